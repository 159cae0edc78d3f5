//! Embeddings as a provider capability (docs/reference/embeddings.md): an OpenAI-compatible provider passes the
//! request through to its `/embeddings`; Bedrock calls Titan Text Embeddings or Cohere Embed through InvokeModel.

use async_trait::async_trait;
use bytes::Bytes;
use obs_models::embeddings::{EmbeddingsRequest, EmbeddingsResponse};

use crate::Error;

/// An embeddings answer as the provider gave it.
#[derive(Debug, Clone, PartialEq)]
pub enum EmbeddingsOutput {
    /// An OpenAI-compatible upstream's own JSON, sent to the client as it came.
    Verbatim(Bytes),
    /// Built by obs from the provider's vectors (already in the client's `encoding_format`).
    Typed(EmbeddingsResponse),
}

/// What a provider with embedding models offers (see [`crate::ChatAdapter::embeddings`]).
#[async_trait]
pub trait EmbeddingsAdapter: Send + Sync {
    /// The vectors of `request`'s input by the upstream model `model`. `request.model` is the id the client sent
    /// (obs-built answers carry it).
    async fn embeddings(&self, request: &EmbeddingsRequest, model: &str) -> Result<EmbeddingsOutput, Error>;
}
