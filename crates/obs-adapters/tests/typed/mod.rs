//! The adapters answer as the provider gives them (an OpenAI upstream's own JSON, checked); these tests read typed
//! values.

use obs_adapters::{ChatAdapter, ChunkStream, Error};
use obs_models::openai::{ChatCompletionRequest, ChatCompletionResponse};

#[async_trait::async_trait]
pub trait Typed {
    async fn typed_chat(&self, request: ChatCompletionRequest, model: &str) -> Result<ChatCompletionResponse, Error>;
    async fn typed_stream(&self, request: ChatCompletionRequest, model: &str) -> Result<ChunkStream, Error>;
}

#[async_trait::async_trait]
impl<A: ChatAdapter> Typed for A {
    async fn typed_chat(&self, request: ChatCompletionRequest, model: &str) -> Result<ChatCompletionResponse, Error> {
        ChatAdapter::chat(self, request, model).await?.into_typed()
    }
    async fn typed_stream(&self, request: ChatCompletionRequest, model: &str) -> Result<ChunkStream, Error> {
        ChatAdapter::chat_stream(self, request, model).await.map(obs_adapters::typed_chunks)
    }
}
