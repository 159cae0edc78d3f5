use serde::{Deserialize, Serialize};

use crate::JsonObject;

/// Message `content`: a string or an array of blocks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ClaudeContent {
    /// Plain text.
    Text(String),
    /// Typed blocks.
    Blocks(Vec<ContentBlock>),
}

/// One content block, tagged by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentBlock {
    /// `{"type":"text","text"}`.
    Text(TextBlock),
    /// `{"type":"image","source":{…}}`.
    Image(ImageBlock),
    /// `{"type":"tool_use","id","name","input"}`.
    ToolUse(ToolUseBlock),
    /// `{"type":"tool_result","tool_use_id","content"?,"is_error"?}`.
    ToolResult(ToolResultBlock),
    /// `{"type":"thinking","thinking","signature"}`.
    Thinking(ThinkingBlock),
    /// `{"type":"redacted_thinking","data"}`.
    RedactedThinking(RedactedThinkingBlock),
}

impl ContentBlock {
    /// A text block.
    pub fn text(text: impl Into<String>) -> Self {
        ContentBlock::Text(TextBlock { text: text.into(), extra: JsonObject::new() })
    }
}

/// Text block body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextBlock {
    /// The text.
    pub text: String,
    /// Other fields (`cache_control`, `citations`, …).
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// Image block body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageBlock {
    /// Where the image comes from.
    pub source: ImageSource,
}

/// Image source, tagged by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ImageSource {
    /// Inline bytes.
    Base64 {
        /// `image/png`, `image/jpeg`, `image/gif` or `image/webp`.
        media_type: String,
        /// Base64 of the image bytes.
        data: String,
    },
    /// A URL the model fetches (Anthropic API) — obs fetches it for Bedrock.
    Url {
        /// http(s) URL.
        url: String,
    },
}

/// `tool_use` block body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolUseBlock {
    /// Call id (`toolu_…`).
    pub id: String,
    /// Tool name.
    pub name: String,
    /// Arguments object.
    pub input: serde_json::Value,
}

/// `tool_result` block body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolResultBlock {
    /// The `tool_use` id this answers.
    pub tool_use_id: String,
    /// The result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<ToolResultContent>,
    /// The tool failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_error: Option<bool>,
}

/// `tool_result.content`: a string or blocks (text, image).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ToolResultContent {
    /// Plain text.
    Text(String),
    /// Blocks.
    Blocks(Vec<ContentBlock>),
}

/// `thinking` block body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThinkingBlock {
    /// The reasoning text.
    pub thinking: String,
    /// Signature Claude requires when the block is replayed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

/// `redacted_thinking` block body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RedactedThinkingBlock {
    /// Encrypted reasoning.
    pub data: String,
}
