//! Provider adapters: OpenAI-compatible HTTP (reqwest) and AWS Bedrock (aws-sdk-bedrockruntime).
//!
//! Owns dispatch: clients built once per provider and shared, calls to upstreams, transport parsing (SSE, Bedrock
//! event streams), timeouts (connect, first byte, idle between stream events) and the mapping of every upstream
//! failure to an [`AdapterError`] with the code of contract §2. The format work — bodies, responses, stream events
//! — is obs-convert's; Converse, whose shapes are the SDK's own types, is mapped in [`bedrock::converse`].
//!
//! Start at [`ChatAdapter`], then [`openai::OpenAiAdapter`] and [`bedrock::BedrockAdapter`].
//!
//! Must not import: `obs-service`, `obs-server`, `obs-cli`, hyper server types. Never logs or returns a secret.
#![forbid(unsafe_code)]

pub mod bedrock;
mod error;
pub mod openai;
pub mod sse;
mod timeouts;

use std::pin::Pin;

use async_trait::async_trait;
use futures::Stream;
use obs_models::openai::{ChatCompletionChunk, ChatCompletionRequest, ChatCompletionResponse, ModelInfo};

pub use error::AdapterError;
pub use timeouts::Timeouts;

/// A stream of internal chunks. Dropping it cancels the upstream request.
pub type ChunkStream = Pin<Box<dyn Stream<Item = Result<ChatCompletionChunk, AdapterError>> + Send>>;

/// Where a routed request goes upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamTarget {
    /// The model id to send upstream (alias resolved, ARN as is).
    pub model_id: String,
    /// The Bedrock API family; ignored by OpenAI-compatible providers.
    pub family: BedrockFamily,
}

/// Which Bedrock API serves a model (contract §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BedrockFamily {
    /// Anthropic Claude through InvokeModel with the native Messages body.
    ClaudeInvoke,
    /// Amazon Titan Text through InvokeModel.
    TitanInvoke,
    /// Claude through Converse (`bedrock.claude_api = "converse"`): Claude-only fields such as `top_k` go in
    /// `additionalModelRequestFields`.
    ClaudeConverse,
    /// Every other chat family through Converse.
    Converse,
}

/// What obs-service calls for one provider. Object-safe; implementations are shared by every model they serve.
#[async_trait]
pub trait ChatAdapter: Send + Sync {
    /// One non-streaming completion. `request.model` is the id the client sent (Bedrock answers carry it).
    async fn chat(
        &self,
        request: ChatCompletionRequest,
        target: &UpstreamTarget,
    ) -> Result<ChatCompletionResponse, AdapterError>;

    /// A streaming completion. Resolves once the upstream accepted the request; errors after that arrive as items.
    async fn chat_stream(
        &self,
        request: ChatCompletionRequest,
        target: &UpstreamTarget,
    ) -> Result<ChunkStream, AdapterError>;

    /// The models this provider offers, for `/v1/models`.
    async fn list_models(&self) -> Result<Vec<ModelInfo>, AdapterError>;
}

/// Unix seconds now (0 if the clock is before 1970).
pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}
