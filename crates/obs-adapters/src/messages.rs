//! The Anthropic Messages API as a provider capability: a provider whose models take the Messages body natively
//! (Claude on Bedrock through InvokeModel) gets the client's body as sent and answers with its own JSON and
//! events, relayed as they came. Every other model is served through [`crate::ChatAdapter`] with the request
//! converted (obs-service decides per target).

use std::pin::Pin;

use async_trait::async_trait;
use bytes::Bytes;
use futures::Stream;
use obs_models::anthropic::MessagesRequest;
use obs_models::guardrail::Guardrail;

use crate::Error;

/// One event of a native Anthropic stream: its `type` and its JSON as the upstream wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessagesEvent {
    /// `message_start`, `content_block_delta`, `ping`, … (the SSE `event:` name).
    pub kind: String,
    /// The event's JSON (the SSE `data:`), one line.
    pub data: Bytes,
}

/// A native Anthropic event stream. Dropping it cancels the upstream request.
pub type MessagesEventStream = Pin<Box<dyn Stream<Item = Result<MessagesEvent, Error>> + Send>>;

/// What a provider whose models take the Messages body natively offers (see [`crate::ChatAdapter::messages`]).
#[async_trait]
pub trait MessagesAdapter: Send + Sync {
    /// Whether the upstream model `model` takes the Messages body natively; when not, the request is converted
    /// and sent through [`crate::ChatAdapter`]. Async: an application inference profile's model is looked up.
    async fn native(&self, model: &str) -> bool;

    /// One answer: the upstream's Anthropic message JSON (its id in the `msg_…` shape). `guardrail` is the
    /// request's (or its model group's), which wins over the provider's own.
    async fn messages(
        &self,
        request: &MessagesRequest,
        model: &str,
        guardrail: Option<&Guardrail>,
    ) -> Result<Bytes, Error>;

    /// A streamed answer, event for event. Resolves once the upstream accepted the request; errors after that
    /// arrive as items (an in-band `error` event among them).
    async fn messages_stream(
        &self,
        request: &MessagesRequest,
        model: &str,
        guardrail: Option<&Guardrail>,
    ) -> Result<MessagesEventStream, Error>;

    /// The input tokens the request would take (`/v1/messages/count_tokens`).
    async fn count_tokens(&self, request: &MessagesRequest, model: &str) -> Result<u64, Error>;
}

/// The 400 (`unsupported_parameter`, param `model`) for a model no token counter covers: a model group then tries
/// its next target.
pub fn no_token_counter(model: &str) -> Error {
    Error::unsupported(
        "model",
        format!("Token counting is available for Claude models on Bedrock only, not for '{model}'."),
    )
}
