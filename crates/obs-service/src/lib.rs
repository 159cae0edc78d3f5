//! Embeddable obs: everything another Rust application needs to run the gateway without HTTP.
//!
//! Owns the [`ChatService`] trait and its implementation [`Gateway`] (routing by model id — [`routing`] — the
//! provider factory, retries, model listing), the typed [`config::Config`] (defaults → TOML → environment) and AWS
//! credentials ([`credentials`]). Built on `obs-adapters` (dispatch) and `obs-convert` (formats).
//!
//! Must not import: `obs-server`, `obs-cli`, hyper, clap. Reads the process environment only through
//! [`config::ConfigSources::process`].
//!
//! Start at [`Gateway::new`].
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
pub use obs_adapters::{ChunkStream, Completion, ItemStream, StreamItem, UpstreamTarget};
pub use obs_models::Error;
pub use service::ChatService;
