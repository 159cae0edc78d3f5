//! Wire types of obs, and nothing else.
//!
//! Owns the JSON shapes that cross obs's boundaries: the OpenAI chat-completions request, response, stream chunk,
//! model list and error body ([`openai`], [`error`]); the Anthropic Messages body as Bedrock takes it
//! ([`claude`]), and what the Anthropic Messages route adds to it ([`anthropic`]); and the Amazon Titan text body
//! ([`titan`]). Converse shapes are the AWS SDK's own types and are
//! not duplicated here.
//!
//! Serialisation matches the upstream APIs' key presence exactly: absent optional fields are skipped, `null` is
//! kept where the API sends `null` (an assistant's `content` beside tool calls, `finish_reason` while streaming),
//! and every field obs does not understand is kept in a flattened `extra` map in the order it arrived.
//!
//! [`openai::verbatim`] checks an OpenAI-compatible upstream's own answers and chunks, so that obs can forward them
//! as they came when the typed path would write the same JSON back.
//!
//! Must not import: any other obs crate, any I/O (HTTP, AWS SDK, tokio). Only serde (and memchr for byte scans).
//! Start reading at [`openai::ChatCompletionRequest`].
#![forbid(unsafe_code)]

pub mod anthropic;
pub mod claude;
pub mod converse;
pub mod embeddings;
pub mod error;
pub mod guardrail;

pub use error::Error;
pub mod openai;
pub mod responses;
pub mod titan;

/// A JSON object that keeps its keys in insertion order (serde_json is built with `preserve_order`).
pub type JsonObject = serde_json::Map<String, serde_json::Value>;
