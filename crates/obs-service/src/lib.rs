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
//! Start at [`Gateway::new`], then [`ChatService`].
#![forbid(unsafe_code)]

pub mod config;
pub mod credentials;
mod gateway;
mod models;
mod providers;
pub mod retry;
pub mod routing;
mod service;

pub use gateway::Gateway;
pub use obs_adapters::{ChunkStream, Completion, ItemStream, StreamItem, typed_chunks};
pub use obs_models::Error;
pub use providers::ProviderSlot;
pub use service::{Answer, AnswerStream, ChatService, RequestContext};
