//! obs-mock: a local emulator of the OpenAI and AWS Bedrock APIs for tests, benchmarks and demo mode.
//!
//! Owns: a hyper server on 127.0.0.1 speaking OpenAI JSON/SSE, Bedrock runtime (JSON and event-stream frames) and
//! the Bedrock control plane, with scenarios chosen by model id, and a request recorder.
//! Must not import: any obs crate but `obs-models` (every other crate dev-depends on this one).
//! It never makes an outbound connection.
//!
//! Nearly empty for now; the issue "obs-mock" fills it.
#![forbid(unsafe_code)]
