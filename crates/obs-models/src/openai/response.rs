use serde::{Deserialize, Serialize};

use super::{FinishReason, ToolCall};
use crate::JsonObject;

/// A non-streaming chat completion (docs/reference/formats.md §8.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatCompletionResponse {
    /// `chatcmpl-…`.
    pub id: String,
    /// Always `chat.completion`.
    pub object: String,
    /// Unix seconds.
    pub created: u64,
    /// The model that answered.
    pub model: String,
    /// The choices (one for Bedrock).
    pub choices: Vec<Choice>,
    /// Token usage; always present for Bedrock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// Other fields (`system_fingerprint`, `service_tier`, …), passed through.
    #[serde(flatten)]
    pub extra: JsonObject,
}

impl ChatCompletionResponse {
    /// The object string of a non-streaming completion.
    pub const OBJECT: &'static str = "chat.completion";
}

/// One choice of a completion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    /// Position among the choices.
    pub index: u32,
    /// The assistant's reply.
    pub message: ResponseMessage,
    /// Why generation stopped.
    #[serde(default)]
    pub finish_reason: Option<FinishReason>,
    /// Log probabilities; `null` unless asked for.
    #[serde(default)]
    pub logprobs: serde_json::Value,
    /// Other fields, passed through.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// The assistant message of a completion: `content` is `null`, not absent, when there is no text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseMessage {
    /// Always `assistant`.
    pub role: String,
    /// The text, or null (tool calls only).
    #[serde(default)]
    pub content: Option<String>,
    /// Reasoning text (Claude thinking, Converse reasoning); absent when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<String>,
    /// Present only when non-empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCall>>,
    /// Other fields (`refusal`, `annotations`, …), passed through.
    #[serde(flatten)]
    pub extra: JsonObject,
}

impl ResponseMessage {
    /// An assistant message with optional text and tool calls (an empty list becomes absent).
    pub fn assistant(content: Option<String>, tool_calls: Vec<ToolCall>) -> Self {
        ResponseMessage {
            role: "assistant".to_owned(),
            content,
            reasoning_content: None,
            tool_calls: if tool_calls.is_empty() { None } else { Some(tool_calls) },
            extra: JsonObject::new(),
        }
    }
}

/// Token usage.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Usage {
    /// Input tokens.
    pub prompt_tokens: u64,
    /// Output tokens.
    pub completion_tokens: u64,
    /// Their sum.
    pub total_tokens: u64,
    /// Other fields (`prompt_tokens_details`, …), passed through.
    #[serde(flatten)]
    pub extra: JsonObject,
}

impl Usage {
    /// Usage with the total computed.
    pub fn new(prompt_tokens: u64, completion_tokens: u64) -> Self {
        Usage {
            prompt_tokens,
            completion_tokens,
            total_tokens: prompt_tokens + completion_tokens,
            extra: JsonObject::new(),
        }
    }
}
