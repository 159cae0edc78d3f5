//! Pure format work of obs: detection, conversion and stream encoding. No I/O, no async, no clocks but the ones
//! callers pass in.
//!
//! Owns:
//! - [`anthropic`]: the Anthropic Messages request (`/v1/messages`): checks, the body for Claude on Bedrock, the
//!   conversion for other targets;
//! - [`ingress`]: raw body → (detected format, validated internal request) — [`detect`], [`validate`] (OpenAI),
//!   [`claude_in`] (Bedrock Claude body), [`titan_in`] (Bedrock Titan body);
//! - [`target`]: `?target_format=` and the non-stream answers in Claude ([`claude_out`]) and Titan
//!   ([`titan_out`]) shape;
//! - [`stream`]: encoders from internal chunks to the OpenAI SSE, Anthropic event and Titan chunk transcripts;
//! - [`bedrock`]: the Claude and Titan InvokeModel bodies built from the internal request, and their responses and
//!   stream events parsed back into internal responses and chunks; finish-reason mapping ([`finish`]);
//! - [`structured`]: `response_format` for upstreams without it — the forced-tool method and its answers;
//! - [`guardrail`]: the request's Bedrock Guardrail (body or headers) and its outcome on answers;
//!
//! The internal representation is the OpenAI type set of `obs-models`. Every function returns a typed
//! [`Error`] carrying the OpenAI `code` and `param` of docs/reference/errors.md §2 — never a panic.
//!
//! Must not import: obs-adapters and anything above it, the AWS SDK, reqwest, hyper, tokio.
#![forbid(unsafe_code)]

pub mod anthropic;
pub mod bedrock;
pub mod claude_in;
pub mod claude_out;
pub mod converse_in;
pub mod converse_out;
pub mod detect;
pub mod embeddings;
pub mod finish;
pub mod guardrail;
pub mod ids;
pub mod ingress;
pub mod responses;
pub mod stream;
pub mod structured;
pub mod target;
pub mod titan_in;
pub mod titan_out;
pub mod token_counts;
pub mod validate;

pub use obs_models::Error;
