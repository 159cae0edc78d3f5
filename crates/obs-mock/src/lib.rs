//! obs-mock: a local emulator of the OpenAI and AWS Bedrock APIs for tests, benchmarks and demo mode.
//!
//! Owns: one hyper server on 127.0.0.1 serving, on one base URL, OpenAI (`/v1/chat/completions` JSON and SSE,
//! `/v1/responses` JSON and typed events, `/v1/embeddings`, `/v1/models`; embeddings of Titan and Cohere on the runtime path), the Bedrock runtime (`/model/{id}/invoke`, `/invoke-with-response-stream`, `/converse`,
//! `/converse-stream` — JSON and `application/vnd.amazon.eventstream` frames) and the Bedrock control plane
//! (`/foundation-models`, `/inference-profiles`), and STS `AssumeRole` (`POST /`). It answers like a model would:
//! text derived from the last user message, tool calls whose arguments are built from the offered tool's JSON schema
//! (`src/tool_use.rs` has the rule of when it calls, `src/schema_example.rs` what it builds), `tool_choice`
//! honoured, tool results answered with text that quotes them, JSON that follows a `response_format` schema, ids and
//! timestamps shaped like the real APIs' (`src/ids.rs`). Scenarios — errors, delays, streams cut short — are chosen
//! by words in the model id ([`Scenario`]). Everything but ids and timestamps is deterministic; a [`Recorder`] keeps
//! the last requests and how each streamed answer ended. `docs/demo.md` is the user's guide.
//!
//! Must not import: any obs crate but `obs-models` — every other crate dev-depends on this one. It never makes an
//! outbound connection.
//!
//! Start at [`spawn`].
#![forbid(unsafe_code)]

mod bedrock;
mod config;
mod control_plane;
mod embeddings;
mod http;
mod ids;
mod openai;
mod plan;
mod plausible;
mod recorder;
mod responses;
mod scenario;
mod schema_example;
mod server;
mod sts;
mod tool_use;

pub use config::MockConfig;
pub use config::{REJECTED_ACCESS_KEY_ID, REJECTED_BEDROCK_API_KEY};
pub use recorder::{RecordedRequest, Recorder, StreamOutcome};
pub use scenario::Scenario;
pub use server::{MockHandle, spawn, spawn_on};
pub use sts::{ASSUMED_ACCESS_KEY_ID, session_token};
