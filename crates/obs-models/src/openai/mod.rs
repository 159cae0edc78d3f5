//! OpenAI chat-completions wire types (docs/reference/formats.md §3, §8; routes.md §4).

mod chunk;
mod finish;
mod message;
mod models;
mod request;
mod response;
mod tool;
pub mod verbatim;

pub use chunk::{ChatCompletionChunk, ChunkChoice, Delta, FunctionCallDelta, ToolCallDelta};
pub use finish::FinishReason;
pub use message::{
    AssistantMessage, ContentPart, FunctionCall, ImageUrl, Message, MessageContent, SystemMessage, TextPart, ToolCall,
    ToolMessage, UserMessage,
};
pub use models::{ModelInfo, ModelList};
pub use request::{ChatCompletionRequest, ClaudeIngress, Stop, StreamOptions, TitanIngress};
pub use response::{ChatCompletionResponse, Choice, ResponseMessage, Usage};
pub use tool::{FunctionDefinition, FunctionName, NamedToolChoice, Tool, ToolChoice, ToolChoiceMode};

/// `serde(skip_serializing_if)` helper for maps.
pub(crate) fn is_empty_map(map: &crate::JsonObject) -> bool {
    map.is_empty()
}
