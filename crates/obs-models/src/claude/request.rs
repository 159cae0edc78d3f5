use serde::{Deserialize, Serialize};

use super::{ClaudeContent, TextBlock};
use crate::JsonObject;

/// An Anthropic Messages body for Bedrock InvokeModel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaudeRequest {
    /// `bedrock-2023-05-31` (empty when the body came without one: an Anthropic Messages API request).
    #[serde(default)]
    pub anthropic_version: String,
    /// Output-token limit (required by Claude).
    pub max_tokens: u32,
    /// Alternating user/assistant turns, starting with user.
    pub messages: Vec<ClaudeMessage>,
    /// System prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<ClaudeSystem>,
    /// 0..=1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// 0..=1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    /// Top-k sampling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_k: Option<u32>,
    /// Stop sequences.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_sequences: Option<Vec<String>>,
    /// Tools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<ClaudeTool>>,
    /// Tool choice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ClaudeToolChoice>,
    /// Request metadata (`user_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Value>,
    /// Other fields (`thinking`, `anthropic_beta`, …).
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// `system`: a string or text blocks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ClaudeSystem {
    /// Plain text.
    Text(String),
    /// Text blocks (each `{"type":"text","text"}`).
    Blocks(Vec<SystemBlock>),
}

/// A system text block: `{"type":"text","text",…}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SystemBlock {
    /// The only kind Claude accepts in `system`.
    Text(TextBlock),
}

impl ClaudeSystem {
    /// The system text, blocks joined with `\n`.
    pub fn joined(&self) -> String {
        match self {
            ClaudeSystem::Text(s) => s.clone(),
            ClaudeSystem::Blocks(blocks) => {
                blocks.iter().map(|SystemBlock::Text(t)| t.text.as_str()).collect::<Vec<_>>().join("\n")
            }
        }
    }
}

/// One turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaudeMessage {
    /// `user` or `assistant`.
    pub role: ClaudeRole,
    /// String or blocks.
    pub content: ClaudeContent,
}

/// Claude roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClaudeRole {
    /// The user (and tool results).
    User,
    /// The model.
    Assistant,
}

/// A Claude tool: `{"name","description"?,"input_schema"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaudeTool {
    /// Tool name.
    pub name: String,
    /// What it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// JSON schema of the input object.
    pub input_schema: serde_json::Value,
    /// Other fields (`cache_control`, …).
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// Claude `tool_choice`, tagged by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClaudeToolChoice {
    /// The model decides.
    Auto {
        /// At most one tool call.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        disable_parallel_tool_use: Option<bool>,
    },
    /// The model must use some tool.
    Any {
        /// At most one tool call.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        disable_parallel_tool_use: Option<bool>,
    },
    /// The model must use the named tool.
    Tool {
        /// Tool name.
        name: String,
        /// At most one tool call.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        disable_parallel_tool_use: Option<bool>,
    },
    /// No tools.
    None,
}
