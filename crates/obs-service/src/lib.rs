//! Embeddable obs: everything another Rust application needs to run the gateway without HTTP.
//!
//! Owns the [`ChatService`] trait and its implementation [`Gateway`]; the providers (any number, each with its own
//! client, built once on first use — `providers`); the [`routing`] table that plans every request once (model
//! groups with fallback, load balancing, affinity and target health); retries; model listing; the typed
//! [`config::Config`] (defaults → TOML → environment) and AWS [`credentials`]. Built on `obs-adapters` (dispatch and
//! each provider's model knowledge) and `obs-models` (wire types and the one library [`Error`]).
//!
//! Must not import: `obs-server`, `obs-cli`, hyper, clap. Reads the process environment only through
//! [`config::ConfigSources::process`].
//!
//! The Anthropic Messages API is [`Gateway::plan_messages`] and [`Gateway::messages`] (`messages.rs`): the same
//! plans and plan runner, with Claude on Bedrock given the client's body as sent.
//!
//! Start at [`Gateway::new`], then [`ChatService`].
#![forbid(unsafe_code)]

mod apply_guardrail;
pub mod config;
pub mod credentials;
mod embeddings;
mod gateway;
mod messages;
mod models;
pub mod prices;
mod providers;
mod responses_native;
pub mod retry;
pub mod routing;
mod runtime;
mod runtime_translate;
mod service;

pub use embeddings::EmbeddingsAnswer;
pub use gateway::Gateway;
pub use messages::{MessagesAnswer, MessagesAnswerStream, MessagesEvents, MessagesInput, MessagesOutput, TokenCount};
pub use obs_adapters::{
    ByteStream, ChunkStream, Completion, ItemStream, MessagesEvent, MessagesEventStream, RuntimeCall, RuntimeFrame,
    RuntimeFrameStream, RuntimeStream, StreamItem, typed_chunks,
};
pub use obs_models::Error;
pub use providers::ProviderSlot;
pub use responses_native::{NativeInput, NativeResponse, NativeResponseStream};
pub use runtime::{RuntimeAnswer, RuntimeAnswerStream, RuntimeInput};
pub use service::{Answer, AnswerStream, ChatService, RequestContext};
