use serde::{Deserialize, Serialize};

use super::ContentBlock;
use crate::JsonObject;

/// A non-streaming Claude response (also the `message` of `message_start`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaudeResponse {
    /// `msg_…`.
    pub id: String,
    /// Always `message`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Always `assistant`.
    pub role: String,
    /// The model id.
    pub model: String,
    /// Text, tool_use and thinking blocks.
    pub content: Vec<ContentBlock>,
    /// `end_turn`, `max_tokens`, `stop_sequence`, `tool_use`, `refusal`, … (null in `message_start`).
    pub stop_reason: Option<String>,
    /// The stop sequence that matched, or null.
    pub stop_sequence: Option<String>,
    /// Token usage.
    pub usage: ClaudeUsage,
}

/// Claude token usage.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ClaudeUsage {
    /// Input tokens.
    #[serde(default)]
    pub input_tokens: u64,
    /// Output tokens.
    #[serde(default)]
    pub output_tokens: u64,
    /// Cache counters and others.
    #[serde(flatten)]
    pub extra: JsonObject,
}
