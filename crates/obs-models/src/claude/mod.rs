//! Anthropic Messages as Bedrock takes it (InvokeModel with `anthropic_version`), its response and stream events.

mod content;
mod request;
mod response;
mod stream;

pub use content::{
    ClaudeContent, ContentBlock, ImageBlock, ImageSource, RedactedThinkingBlock, TextBlock, ThinkingBlock,
    ToolResultBlock, ToolResultContent, ToolUseBlock,
};
pub use request::{ClaudeMessage, ClaudeRequest, ClaudeRole, ClaudeSystem, ClaudeTool, ClaudeToolChoice, SystemBlock};
pub use response::{ClaudeResponse, ClaudeUsage};
pub use stream::{BlockDelta, ClaudeStreamError, MessageDeltaBody, MessageDeltaUsage, StreamEvent};

/// The `anthropic_version` Bedrock expects.
pub const BEDROCK_ANTHROPIC_VERSION: &str = "bedrock-2023-05-31";
