//! Provider adapters: OpenAI-compatible HTTP (reqwest) and AWS Bedrock (aws-sdk-bedrockruntime).
//!
//! Owns dispatch: clients built once per provider and shared, calls to upstreams, transport parsing (SSE, Bedrock
//! event streams), timeouts (connect, first byte, idle between stream events) and the mapping of every upstream
//! failure to an [`Error`] with the code of docs/reference/errors.md §2. The format work — bodies, responses, stream
//! events — is obs-convert's; Converse, whose shapes are the SDK's own types, is mapped in [`bedrock::converse`].
//!
//! Start at [`ChatAdapter`], then [`openai::OpenAiAdapter`] and [`bedrock::BedrockAdapter`]; the Anthropic Messages
//! passthrough of Claude on Bedrock is [`MessagesAdapter`].
//!
//! Must not import: `obs-service`, `obs-server`, `obs-cli`, hyper server types. Never logs or returns a secret.
#![forbid(unsafe_code)]

pub mod bedrock;
mod embeddings;
mod guardrail_check;
mod messages;
pub mod openai;
mod responses;
mod runtime;
pub mod sse;
pub mod team;
mod timeouts;

use std::pin::Pin;

use async_trait::async_trait;
use futures::{Stream, StreamExt};
use obs_models::error::ErrorCode;
use obs_models::openai::verbatim::{VerbatimChunk, VerbatimCompletion};
use obs_models::openai::{ChatCompletionChunk, ChatCompletionRequest, ChatCompletionResponse, ModelInfo};

pub use embeddings::{EmbeddingsAdapter, EmbeddingsOutput};
pub use guardrail_check::{GuardrailChecker, GuardrailSource, GuardrailVerdict};
pub use messages::{MessagesAdapter, MessagesEvent, MessagesEventStream, no_token_counter};
pub use obs_models::Error;
pub use responses::{ByteStream, ResponsesAdapter};
pub use runtime::{
    FORWARDED_INVOKE_HEADERS, RuntimeAdapter, RuntimeCall, RuntimeFrame, RuntimeFrameStream, RuntimeOptions,
    RuntimeReply, RuntimeStream,
};
pub use timeouts::Timeouts;

/// A stream of internal chunks. Dropping it cancels the upstream request.
pub type ChunkStream = Pin<Box<dyn Stream<Item = Result<ChatCompletionChunk, Error>> + Send>>;

/// A stream of chunks that may be an OpenAI upstream's own ([`StreamItem`]). Dropping it cancels the upstream
/// request.
pub type ItemStream = Pin<Box<dyn Stream<Item = Result<StreamItem, Error>> + Send>>;

/// A non-streamed answer: typed, or an OpenAI-compatible upstream's own JSON that a client of the OpenAI format
/// can be sent as it came (checked: see [`obs_models::openai::verbatim`]).
#[derive(Debug, Clone, PartialEq)]
// One per request, moved a few times: boxing the typed answer would add an allocation to every Bedrock answer to
// save a copy of a few hundred bytes.
#[allow(clippy::large_enum_variant)]
pub enum Completion {
    /// Built or parsed by obs.
    Typed(ChatCompletionResponse),
    /// The upstream's JSON.
    Verbatim(VerbatimCompletion),
}

impl Completion {
    /// The typed answer, parsing a verbatim one.
    pub fn into_typed(self) -> Result<ChatCompletionResponse, Error> {
        match self {
            Completion::Typed(response) => Ok(response),
            Completion::Verbatim(json) => json.into_typed().map_err(|e| {
                Error::new(ErrorCode::UpstreamError, format!("The upstream answer is not a chat completion: {e}."))
            }),
        }
    }
}

/// One streamed chunk: typed, or an OpenAI-compatible upstream's own (checked).
#[derive(Debug, Clone, PartialEq)]
pub enum StreamItem {
    /// Built or parsed by obs.
    Chunk(ChatCompletionChunk),
    /// The upstream's JSON.
    Verbatim(VerbatimChunk),
}

impl StreamItem {
    /// The typed chunk, parsing a verbatim one.
    pub fn into_chunk(self) -> Result<ChatCompletionChunk, Error> {
        match self {
            StreamItem::Chunk(chunk) => Ok(chunk),
            StreamItem::Verbatim(json) => json.into_typed().map_err(|e| {
                Error::new(ErrorCode::UpstreamError, format!("An upstream stream chunk has an unexpected shape: {e}."))
            }),
        }
    }
}

/// The typed chunks of an item stream.
pub fn typed_chunks(items: ItemStream) -> ChunkStream {
    Box::pin(items.map(|item| item.and_then(StreamItem::into_chunk)))
}

/// The items of a typed chunk stream.
pub fn typed_items(chunks: ChunkStream) -> ItemStream {
    Box::pin(chunks.map(|chunk| chunk.map(StreamItem::Chunk)))
}

/// What obs-service calls for one provider. Object-safe; one adapter is shared by every model of its provider.
///
/// Answers come as the provider gives them: typed ([`Completion::Typed`], [`StreamItem::Chunk`]), or for an
/// OpenAI-compatible provider the upstream's own JSON, checked, which a client of the OpenAI format can be sent as it
/// came. Callers that want typed values use [`Completion::into_typed`] and [`typed_chunks`].
#[async_trait]
pub trait ChatAdapter: Send + Sync {
    /// One non-streaming completion of `request` by the upstream model `model` (the id this provider knows it by).
    /// `request.model` is the id the client sent (Bedrock answers carry it).
    async fn chat(&self, request: ChatCompletionRequest, model: &str) -> Result<Completion, Error>;

    /// A streaming completion, likewise. Resolves once the upstream accepted the request; errors after that arrive
    /// as items.
    async fn chat_stream(&self, request: ChatCompletionRequest, model: &str) -> Result<ItemStream, Error>;

    /// The models this provider offers, for `/v1/models`.
    async fn list_models(&self) -> Result<Vec<ModelInfo>, Error>;

    /// The Anthropic Messages capability, when some of this provider's models take the Messages body natively
    /// (Claude on Bedrock); none by default.
    fn messages(&self) -> Option<&dyn MessagesAdapter> {
        None
    }

    /// The embeddings capability, when this provider has embedding models (`/v1/embeddings`); none by default.
    fn embeddings(&self) -> Option<&dyn EmbeddingsAdapter> {
        None
    }

    /// The provider's native Bedrock runtime API, if its models take Converse and InvokeModel requests as sent
    /// (Bedrock): the Bedrock ingress routes pass the client's body through it; other providers get the request
    /// translated.
    fn bedrock_runtime(&self) -> Option<&dyn RuntimeAdapter> {
        None
    }

    /// Bedrock's `ApplyGuardrail`, for checking another provider's traffic against a guardrail; none by default.
    fn guardrail_checker(&self) -> Option<&dyn GuardrailChecker> {
        None
    }

    /// The upstream's own Responses API (`/responses`), which OpenAI-compatible providers may have; used only for a
    /// provider configured `responses = "native"`, the others get `/v1/responses` translated to chat.
    fn responses(&self) -> Option<&dyn ResponsesAdapter> {
        None
    }
}

/// Unix seconds now (0 if the clock is before 1970).
pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}
