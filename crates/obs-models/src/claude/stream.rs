use serde::{Deserialize, Serialize};

use super::{ClaudeResponse, ContentBlock};
use crate::JsonObject;

/// One event of a Claude stream, tagged by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamEvent {
    /// Opens the message; carries input usage.
    MessageStart {
        /// The message with empty content.
        message: ClaudeResponse,
    },
    /// Opens content block `index`.
    ContentBlockStart {
        /// Content-block index (not a tool-call index).
        index: u32,
        /// The block with empty text / input.
        content_block: ContentBlock,
    },
    /// A fragment of block `index`.
    ContentBlockDelta {
        /// Content-block index.
        index: u32,
        /// The fragment.
        delta: BlockDelta,
    },
    /// Closes block `index`.
    ContentBlockStop {
        /// Content-block index.
        index: u32,
    },
    /// Stop reason and output usage.
    MessageDelta {
        /// Stop reason.
        delta: MessageDeltaBody,
        /// Output usage.
        usage: MessageDeltaUsage,
    },
    /// End of the message (Bedrock adds `amazon-bedrock-invocationMetrics`).
    MessageStop {
        /// Extra fields.
        #[serde(flatten)]
        extra: JsonObject,
    },
    /// Keep-alive.
    Ping,
    /// In-band error.
    Error {
        /// The error.
        error: ClaudeStreamError,
    },
}

/// A block fragment, tagged by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BlockDelta {
    /// Text (older payloads say `"type":"text"`).
    #[serde(alias = "text")]
    TextDelta {
        /// The fragment.
        text: String,
    },
    /// Tool input JSON fragment.
    InputJsonDelta {
        /// The fragment.
        partial_json: String,
    },
    /// Reasoning fragment.
    ThinkingDelta {
        /// The fragment.
        thinking: String,
    },
    /// Thinking-block signature.
    SignatureDelta {
        /// The signature.
        signature: String,
    },
}

/// `message_delta.delta`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MessageDeltaBody {
    /// Stop reason.
    pub stop_reason: Option<String>,
    /// The stop sequence that matched.
    pub stop_sequence: Option<String>,
}

/// `message_delta.usage`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MessageDeltaUsage {
    /// Output tokens so far.
    pub output_tokens: u64,
    /// Others.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// `error` event body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaudeStreamError {
    /// `api_error`, `overloaded_error`, ….
    #[serde(rename = "type")]
    pub kind: String,
    /// Human message.
    pub message: String,
}
