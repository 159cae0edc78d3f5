//! Stream encoders: a sequence of internal chunks → the bytes of one target format's stream
//! (docs/reference/streaming.md §2, §5, §6). Each is a small state machine fed chunk by chunk; nothing is buffered
//! beyond the current event.

mod claude_sse;
mod converse_events;
mod openai_sse;
mod titan_sse;

pub use claude_sse::ClaudeEventEncoder;
pub use converse_events::{ChunkFramer, ConverseEventEncoder, event_frame};
pub use openai_sse::OpenAiSseEncoder;
pub use titan_sse::TitanChunkEncoder;

use obs_models::error::{ErrorBody, ErrorCode};
use obs_models::openai::ChatCompletionChunk;
use obs_models::openai::verbatim::VerbatimChunk;

use crate::target::TargetFormat;

/// Turns internal chunks into one target format's stream bytes.
pub trait StreamEncoder: Send {
    /// Encodes one chunk (possibly nothing, possibly several events), appending to `out`.
    fn chunk(&mut self, chunk: ChatCompletionChunk, out: &mut Vec<u8>);
    /// Encodes an OpenAI upstream's own chunk. Formats other than OpenAI read it typed; a chunk the typed parse
    /// refuses (the check accepts only what it accepts, so never in practice) ends the stream with an error event.
    fn verbatim(&mut self, chunk: VerbatimChunk, out: &mut Vec<u8>) {
        match chunk.into_typed() {
            Ok(chunk) => self.chunk(chunk, out),
            Err(error) => {
                let message = format!("An upstream stream chunk has an unexpected shape: {error}.");
                self.error(&ErrorBody::new(ErrorCode::UpstreamError, message, None), out);
            }
        }
    }
    /// Encodes a mid-stream error; the stream ends after it.
    fn error(&mut self, error: &ErrorBody, out: &mut Vec<u8>);
    /// Ends a stream that completed normally.
    fn finish(&mut self, out: &mut Vec<u8>);
    /// Whether tool calls had to be dropped because the format cannot express them (Titan), for the caller's log.
    fn dropped_tool_calls(&self) -> bool {
        false
    }
}

/// The encoder for `target`; `include_usage` is the client's `stream_options.include_usage` (OpenAI target only:
/// the Claude and Titan formats always carry usage).
pub fn encoder_for(target: TargetFormat, include_usage: bool) -> Box<dyn StreamEncoder> {
    match target {
        TargetFormat::OpenAi => Box::new(OpenAiSseEncoder::new(include_usage)),
        TargetFormat::BedrockClaude => Box::new(ClaudeEventEncoder::new()),
        TargetFormat::BedrockTitan => Box::new(TitanChunkEncoder::new()),
    }
}

/// Appends `data: <compact json>\n\n`.
pub(crate) fn write_data<T: serde::Serialize>(value: &T, out: &mut Vec<u8>) {
    out.extend_from_slice(b"data: ");
    write_json(value, out);
    out.extend_from_slice(b"\n\n");
}

/// Appends compact JSON. Serialising obs's own types into a Vec cannot fail; should it ever, an error object is
/// written instead so the stream stays well-formed.
pub(crate) fn write_json<T: serde::Serialize>(value: &T, out: &mut Vec<u8>) {
    let start = out.len();
    if serde_json::to_writer(&mut *out, value).is_err() {
        out.truncate(start);
        out.extend_from_slice(
            br#"{"error":{"message":"Internal server error","type":"api_error","param":null,"code":"internal_error"}}"#,
        );
    }
}
