//! The response object and its output items.

use serde::{Deserialize, Serialize};

use crate::JsonObject;

/// A response (`"object": "response"`), as `POST /v1/responses` answers and `response.completed` carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    /// `resp_…`.
    pub id: String,
    /// Always `response`.
    pub object: String,
    /// Unix seconds.
    pub created_at: u64,
    /// `completed`, `incomplete`, `in_progress`, `failed`.
    pub status: String,
    /// The error of a failed response, else null.
    pub error: Option<serde_json::Value>,
    /// Why the response is incomplete, else null.
    pub incomplete_details: Option<IncompleteDetails>,
    /// The request's instructions, or null.
    pub instructions: Option<String>,
    /// The request's limit, or null.
    pub max_output_tokens: Option<u32>,
    /// The model id the client asked for.
    pub model: String,
    /// The output items.
    pub output: Vec<OutputItem>,
    /// As requested (default true).
    pub parallel_tool_calls: bool,
    /// The response this one continues, or null.
    pub previous_response_id: Option<String>,
    /// `{"effort", "summary"}` as requested, nulls otherwise.
    pub reasoning: serde_json::Value,
    /// Whether it was stored.
    pub store: bool,
    /// As requested, or null.
    pub temperature: Option<f64>,
    /// `{"format": …}` as requested (default text).
    pub text: serde_json::Value,
    /// As requested (default `auto`).
    pub tool_choice: serde_json::Value,
    /// As requested.
    pub tools: Vec<serde_json::Value>,
    /// As requested, or null.
    pub top_p: Option<f64>,
    /// Always `disabled`.
    pub truncation: String,
    /// Token usage; null until the response completes.
    pub usage: Option<ResponseUsage>,
    /// As requested, or null.
    pub user: Option<String>,
    /// As requested (default `{}`).
    pub metadata: JsonObject,
    /// Other fields.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// `incomplete_details`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncompleteDetails {
    /// `max_output_tokens` or `content_filter`.
    pub reason: String,
}

/// One output item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutputItem {
    /// The assistant's message.
    Message {
        /// `msg_…`.
        id: String,
        /// `completed` or `incomplete` (`in_progress` while streaming).
        status: String,
        /// Always `assistant`.
        role: String,
        /// The parts.
        content: Vec<OutputContent>,
    },
    /// A function call.
    FunctionCall {
        /// `fc_…`.
        id: String,
        /// `completed` (`in_progress` while streaming).
        status: String,
        /// The JSON arguments.
        arguments: String,
        /// The id its output must name.
        call_id: String,
        /// The function.
        name: String,
    },
    /// Reasoning.
    Reasoning {
        /// `rs_…`.
        id: String,
        /// The reasoning text, as one summary part.
        summary: Vec<ReasoningSummary>,
        /// What continuing needs, when `include` asks for it (docs/reference/responses.md §5).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        encrypted_content: Option<String>,
    },
}

/// A part of an output message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutputContent {
    /// Text.
    OutputText {
        /// The text.
        text: String,
        /// Always empty from obs.
        annotations: Vec<serde_json::Value>,
    },
}

/// A reasoning summary part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReasoningSummary {
    /// `summary_text`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The text.
    pub text: String,
}

impl ReasoningSummary {
    /// A `summary_text` part.
    pub fn text(text: impl Into<String>) -> Self {
        ReasoningSummary { kind: "summary_text".to_owned(), text: text.into() }
    }
}

/// A response's `usage`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ResponseUsage {
    /// Input tokens.
    pub input_tokens: u64,
    /// `cached_tokens`.
    pub input_tokens_details: InputTokensDetails,
    /// Output tokens (reasoning included).
    pub output_tokens: u64,
    /// `reasoning_tokens`.
    pub output_tokens_details: OutputTokensDetails,
    /// Their sum.
    pub total_tokens: u64,
}

/// `usage.input_tokens_details`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct InputTokensDetails {
    /// Input tokens read from a prompt cache.
    pub cached_tokens: u64,
}

/// `usage.output_tokens_details`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OutputTokensDetails {
    /// Output tokens spent reasoning.
    pub reasoning_tokens: u64,
}
