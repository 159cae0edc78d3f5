//! The Bedrock runtime API as a provider capability: a provider whose models take Bedrock runtime requests natively
//! (Bedrock) gets the client's body as sent — Converse JSON, an InvokeModel body, a CountTokens request — and
//! answers with its own JSON and event-stream frames, relayed as they came. Other models are served through
//! [`crate::ChatAdapter`] with the request translated (obs-service decides per target).

use std::pin::Pin;

use async_trait::async_trait;
use bytes::Bytes;
use futures::Stream;

use crate::Error;

/// One frame of a native event stream, as the upstream encoded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeFrame {
    /// `messageStart`, `contentBlockDelta`, `chunk`, … (the frame's `:event-type`).
    pub event_type: String,
    /// The whole `application/vnd.amazon.eventstream` frame: prelude, headers, payload and CRCs.
    pub frame: Bytes,
}

/// A native event stream, frame for frame. Dropping it cancels the upstream request.
pub type RuntimeFrameStream = Pin<Box<dyn Stream<Item = Result<RuntimeFrame, Error>> + Send>>;

/// A native whole answer: the body as the upstream wrote it, and the response headers an AWS client reads beside
/// it (InvokeModel's `x-amzn-bedrock-*`: token counts, invocation latency, the service tier and latency mode that
/// served), to be relayed as they came.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RuntimeReply {
    /// The answer's body.
    pub body: Bytes,
    /// `(name, value)` pairs, names lowercase.
    pub headers: Vec<(String, String)>,
}

impl RuntimeReply {
    /// A body without headers to relay.
    pub fn body(body: Bytes) -> Self {
        RuntimeReply { body, headers: Vec::new() }
    }
}

/// A Bedrock runtime operation that answers once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuntimeCall {
    /// `POST /model/{modelId}/converse`.
    Converse,
    /// `POST /model/{modelId}/invoke`.
    Invoke,
    /// `POST /model/{modelId}/count-tokens`.
    CountTokens,
}

/// A Bedrock runtime operation that streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuntimeStream {
    /// `POST /model/{modelId}/converse-stream`.
    ConverseStream,
    /// `POST /model/{modelId}/invoke-with-response-stream`.
    InvokeStream,
}

/// What a runtime call carries besides its body: the Bedrock Guardrail to apply (the client's
/// `X-Amzn-Bedrock-Guardrail*` headers, or its model group's), and the client's own InvokeModel request headers
/// Bedrock reads beside the body — `X-Amzn-Bedrock-Service-Tier`, `X-Amzn-Bedrock-PerformanceConfig-Latency` —
/// passed on as they came.
#[derive(Debug, Clone, Copy, Default)]
pub struct RuntimeOptions<'a> {
    /// The guardrail.
    pub guardrail: Option<&'a obs_models::guardrail::Guardrail>,
    /// `(name, value)` pairs, lowercase names.
    pub headers: &'a [(String, String)],
}

/// The client request headers an InvokeModel passthrough forwards ([`RuntimeOptions::headers`]).
pub const FORWARDED_INVOKE_HEADERS: [&str; 2] =
    ["x-amzn-bedrock-service-tier", "x-amzn-bedrock-performanceconfig-latency"];

/// What a provider whose models take Bedrock runtime requests natively offers (see
/// [`crate::ChatAdapter::bedrock_runtime`]).
#[async_trait]
pub trait RuntimeAdapter: Send + Sync {
    /// One answer: the upstream's JSON (or, for InvokeModel, whatever body the model wrote) and its
    /// `x-amzn-bedrock-*` headers, as they came. `body` is the client's request body.
    async fn call(&self, operation: RuntimeCall, body: Bytes, model: &str) -> Result<RuntimeReply, Error>;

    /// A streamed answer, frame for frame. Resolves once the upstream accepted the request; errors after that
    /// (exception frames among them) arrive as items.
    async fn stream(&self, operation: RuntimeStream, body: Bytes, model: &str) -> Result<RuntimeFrameStream, Error>;

    /// [`RuntimeAdapter::call`] with [`RuntimeOptions`]; a provider without them answers as `call` does.
    async fn call_guarded(
        &self,
        operation: RuntimeCall,
        body: Bytes,
        model: &str,
        _options: RuntimeOptions<'_>,
    ) -> Result<RuntimeReply, Error> {
        self.call(operation, body, model).await
    }

    /// [`RuntimeAdapter::stream`] with [`RuntimeOptions`], as [`RuntimeAdapter::call_guarded`].
    async fn stream_guarded(
        &self,
        operation: RuntimeStream,
        body: Bytes,
        model: &str,
        _options: RuntimeOptions<'_>,
    ) -> Result<RuntimeFrameStream, Error> {
        self.stream(operation, body, model).await
    }
}
