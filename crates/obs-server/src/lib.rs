//! The obs HTTP gateway: hyper 1 accept loop, routes, auth, the chat pipeline, SSE, metrics, OpenAPI docs.
//!
//! Owns everything HTTP-facing (docs/reference/routes.md §1, §12; errors.md §2; formats.md §8, §9), including the one
//! function that maps any error to (status, OpenAI error body): [`errors::status_and_body`]. Talks to providers only
//! through `obs-service`.
//!
//! Request path: `server.rs` (accept) → `router.rs` (route, request id, CORS, log) → `chat.rs` (auth → target
//! format → body → detect/convert/validate → route → service) → `sse.rs` or a JSON answer.
//!
//! Must not import: `obs-cli`, clap. Start at [`start`] / [`run`].
#![forbid(unsafe_code)]

mod admission;
mod answered;
mod anthropic_errors;
mod app;
mod auth;
mod aws_errors;
mod bedrock_ingress;
mod bedrock_listing;
mod bedrock_openapi;
mod bedrock_stream;
mod body;
mod byte_relay;
mod chat;
mod connections;
mod cors;
#[cfg(feature = "demo")]
mod demo;
mod embeddings;
pub mod errors;
mod group_limits;
mod head_deadline;
mod health;
mod hex;
mod input_items;
mod keyring;
mod keys_admin;
mod keys_openapi;
mod logging;
mod messages;
mod messages_sse;
mod metrics;
mod observe;
mod openapi;
mod periods;
mod rejections;
mod request_body;
mod responses;
mod responses_native;
mod router;
mod server;
mod shared_limits;
mod sigv4;
mod sse;
mod stored;
mod target_metrics;
mod tls;
mod usage_admin;
mod usage_taps;
mod usage_writer;

pub use logging::init_logging;
pub use server::{RunningServer, ServeOptions, ServerError, run, start};
