//! The `POST /v1/responses` request.

use serde::{Deserialize, Serialize};

use super::response::{OutputContent, ReasoningSummary};
use crate::JsonObject;

/// A Responses request: the fields obs reads, typed; every other field in `extra`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponsesRequest {
    /// The model id, alias or group.
    pub model: String,
    /// A string (one user message) or input items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<ResponseInput>,
    /// A system (developer) message put before the input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    /// Tools; obs serves `function` tools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<serde_json::Value>>,
    /// `auto`, `none`, `required` or `{"type":"function","name"}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<serde_json::Value>,
    /// `false`: at most one call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallel_tool_calls: Option<bool>,
    /// The output-token limit (reasoning included).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<u32>,
    /// 0..=2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// 0..=1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    /// Reasoning effort and summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<ReasoningConfig>,
    /// The output format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<TextConfig>,
    /// Up to 16 string pairs, returned on the response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<JsonObject>,
    /// The end user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Server-sent events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    /// Whether the response is kept (OpenAI's default: true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<bool>,
    /// The stored response this one continues.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_response_id: Option<String>,
    /// Extra output: `reasoning.encrypted_content`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include: Option<Vec<String>>,
    /// Every other field.
    #[serde(flatten)]
    pub extra: JsonObject,
}

impl ResponsesRequest {
    /// Whether the answer streams.
    pub fn is_stream(&self) -> bool {
        self.stream == Some(true)
    }

    /// Whether `include` asks for `reasoning.encrypted_content`.
    pub fn includes_encrypted_reasoning(&self) -> bool {
        self.include.as_ref().is_some_and(|list| list.iter().any(|i| i == "reasoning.encrypted_content"))
    }
}

/// `input`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ResponseInput {
    /// One user message.
    Text(String),
    /// Items.
    Items(Vec<InputItem>),
}

/// One input item. A message may come without `type` (the SDKs' `{"role", "content"}` shorthand).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum InputItem {
    /// An item with a `type` obs reads.
    Typed(TypedItem),
    /// `{"role", "content"}` without `type`.
    Message(InputMessage),
}

/// The typed input items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TypedItem {
    /// A message of `user`, `assistant`, `system` or `developer`.
    Message(InputMessage),
    /// A call the model made earlier.
    FunctionCall(FunctionCallItem),
    /// The result of such a call.
    FunctionCallOutput(FunctionCallOutputItem),
    /// Reasoning the model did earlier (its `encrypted_content` carries what the provider needs back).
    Reasoning(ReasoningItem),
}

/// A message item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputMessage {
    /// `user`, `assistant`, `system`, `developer`.
    pub role: String,
    /// A string or parts.
    pub content: InputContent,
    /// `msg_…` on an earlier output message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Other fields (`status`, …).
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// A message's content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum InputContent {
    /// Text.
    Text(String),
    /// Parts.
    Parts(Vec<InputPart>),
}

/// A content part of an input message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InputPart {
    /// Text from the user.
    InputText {
        /// The text.
        text: String,
    },
    /// An image by URL (`data:` or http(s)).
    InputImage {
        /// The URL.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        image_url: Option<String>,
        /// `auto`, `low`, `high`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
        /// Other fields (`file_id`, …).
        #[serde(flatten)]
        extra: JsonObject,
    },
    /// An earlier answer's content (an assistant message sent back).
    OutputText(OutputContentText),
    /// An earlier refusal.
    Refusal {
        /// The refusal text.
        refusal: String,
    },
}

/// `output_text` sent back as input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputContentText {
    /// The text.
    pub text: String,
    /// Other fields (`annotations`, …).
    #[serde(flatten)]
    pub extra: JsonObject,
}

impl From<OutputContentText> for OutputContent {
    fn from(text: OutputContentText) -> Self {
        OutputContent::OutputText { text: text.text, annotations: Vec::new() }
    }
}

/// A function call item (input or output).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionCallItem {
    /// `fc_…`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The id its output answers.
    pub call_id: String,
    /// The function.
    pub name: String,
    /// JSON arguments.
    pub arguments: String,
    /// Other fields (`status`, …).
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// A function call's output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionCallOutputItem {
    /// The call it answers.
    pub call_id: String,
    /// The result (a string, or parts whose text obs joins).
    pub output: serde_json::Value,
    /// Other fields.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// A reasoning item sent back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReasoningItem {
    /// `rs_…`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The summary parts.
    #[serde(default)]
    pub summary: Vec<ReasoningSummary>,
    /// What obs wrote to continue the reasoning (docs/reference/responses.md §5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted_content: Option<String>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// `reasoning`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReasoningConfig {
    /// `minimal`, `low`, `medium`, `high`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effort: Option<String>,
    /// `auto`, `concise`, `detailed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// `text`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextConfig {
    /// The output format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<TextFormat>,
    /// Other fields (`verbosity`, …).
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// `text.format`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TextFormat {
    /// Plain text.
    Text,
    /// Any JSON object.
    JsonObject,
    /// JSON following a schema.
    JsonSchema {
        /// The schema's name.
        name: String,
        /// The JSON schema.
        schema: serde_json::Value,
        /// What it is for.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
        /// Strict adherence.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        strict: Option<bool>,
    },
}
