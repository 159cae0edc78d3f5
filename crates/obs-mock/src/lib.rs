//! obs-mock: a local emulator of the OpenAI and AWS Bedrock APIs for tests, benchmarks and demo mode.
//!
//! Owns: one hyper server on 127.0.0.1 serving, on one base URL, OpenAI (`/v1/chat/completions` JSON and SSE,
//! `/v1/models`), the Bedrock runtime (`/model/{id}/invoke`, `/invoke-with-response-stream`, `/converse`,
//! `/converse-stream` — JSON and `application/vnd.amazon.eventstream` frames) and the Bedrock control plane
//! (`/foundation-models`, `/inference-profiles`), and STS `AssumeRole` (`POST /`). Scenarios are chosen by model id ([`Scenario`]); replies are
//! deterministic (derived from the last user message) with plausible token counts; a [`Recorder`] keeps the last
//! requests and how each streamed answer ended.
//!
//! Must not import: any obs crate but `obs-models` — every other crate dev-depends on this one. It never makes an
//! outbound connection.
//!
//! Start at [`spawn`].
#![forbid(unsafe_code)]

mod bedrock;
mod config;
mod control_plane;
mod http;
mod openai;
mod plan;
mod recorder;
mod scenario;
mod server;
mod sts;

pub use config::MockConfig;
pub use config::REJECTED_ACCESS_KEY_ID;
pub use recorder::{RecordedRequest, Recorder, StreamOutcome};
pub use scenario::Scenario;
pub use server::{MockHandle, spawn, spawn_on};
pub use sts::ASSUMED_ACCESS_KEY_ID;
