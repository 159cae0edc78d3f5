use async_trait::async_trait;
use obs_adapters::ChunkStream;
use obs_models::openai::{ChatCompletionRequest, ChatCompletionResponse, ModelList};

use crate::Error;

/// What obs does, without HTTP: the trait another Rust application (and obs-server) calls.
///
/// Object-safe, so `Arc<dyn ChatService>` works; [`crate::Gateway`] is the implementation that routes every request
/// to its provider.
#[async_trait]
pub trait ChatService: Send + Sync {
    /// One non-streaming completion (retried on connect errors, 429 and 503 as configured).
    async fn chat_completion(&self, request: ChatCompletionRequest) -> Result<ChatCompletionResponse, Error>;

    /// A streaming completion. The first upstream chunk has already arrived when this resolves, so failures before
    /// any output are ordinary errors (and are retried); later failures arrive as stream items.
    async fn chat_completion_stream(&self, request: ChatCompletionRequest) -> Result<ChunkStream, Error>;

    /// Every model clients can ask for: the providers' lists and the configured aliases, sorted and de-duplicated.
    async fn list_models(&self) -> Result<ModelList, Error>;
}
