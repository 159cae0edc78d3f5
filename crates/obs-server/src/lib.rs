//! The obs HTTP gateway: hyper 1 accept loop, routes, auth, the chat pipeline, SSE, metrics, OpenAPI docs.
//!
//! Owns everything HTTP-facing (contract §1, §2, §4, §6, §13), including the one function that maps any error to
//! (status, OpenAI error body): [`errors::status_and_body`]. Talks to providers only through `obs-service`.
//!
//! Request path: `server.rs` (accept) → `router.rs` (route, request id, CORS, log) → `chat.rs` (auth → target
//! format → body → detect/convert/validate → route → service) → `sse.rs` or a JSON answer.
//!
//! Must not import: `obs-cli`, clap. Start at [`start`] / [`run`].
#![forbid(unsafe_code)]

mod app;
mod auth;
mod body;
mod chat;
mod connections;
mod cors;
#[cfg(feature = "demo")]
mod demo;
pub mod errors;
mod head_deadline;
mod health;
mod logging;
mod metrics;
mod observe;
mod openapi;
mod rejections;
mod request_body;
mod router;
mod server;
mod sse;
mod target_metrics;

pub use logging::init_logging;
pub use server::{RunningServer, ServeOptions, ServerError, run, start};
