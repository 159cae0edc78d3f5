//! Internal chunks → Bedrock's ConverseStream as `application/vnd.amazon.eventstream` frames
//! (docs/reference/bedrock-ingress.md §3): `messageStart`, text as `contentBlockDelta`s, each tool call as
//! `contentBlockStart` + `contentBlockDelta`s of its input, `contentBlockStop`, `messageStop` with the stop reason,
//! then `metadata` with the usage. Also [`ChunkFramer`]: an SSE encoder's `data:` events (the Claude and Titan
//! streams) as InvokeModelWithResponseStream `chunk` frames, `{"bytes":"<base64>"}`.

use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use base64::Engine;
use obs_models::error::ErrorBody;
use obs_models::openai::{ChatCompletionChunk, FinishReason};
use serde_json::{Value, json};

use super::StreamEncoder;

/// One event frame: `:event-type`, `:content-type: application/json`, `:message-type: event`, the JSON payload.
pub fn event_frame(event_type: &str, payload: &Value, out: &mut Vec<u8>) {
    let payload = serde_json::to_vec(payload).unwrap_or_default();
    let message = Message::new(payload)
        .add_header(Header::new(":event-type", HeaderValue::String(event_type.to_owned().into())))
        .add_header(Header::new(":content-type", HeaderValue::String("application/json".into())))
        .add_header(Header::new(":message-type", HeaderValue::String("event".into())));
    // Writing to a Vec fails only beyond the format's limits (a 16 MB payload), which no chunk reaches.
    let start = out.len();
    if aws_smithy_eventstream::frame::write_message_to(&message, out).is_err() {
        out.truncate(start);
    }
}

fn exception_frame(message: &str, out: &mut Vec<u8>) {
    let payload = serde_json::to_vec(&json!({"message": message})).unwrap_or_default();
    let message = Message::new(payload)
        .add_header(Header::new(":exception-type", HeaderValue::String("internalServerException".into())))
        .add_header(Header::new(":content-type", HeaderValue::String("application/json".into())))
        .add_header(Header::new(":message-type", HeaderValue::String("exception".into())));
    let start = out.len();
    if aws_smithy_eventstream::frame::write_message_to(&message, out).is_err() {
        out.truncate(start);
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Open {
    Text(u32),
    Reasoning(u32),
    Tool { call: u32, block: u32 },
}

/// The ConverseStream encoder.
#[derive(Debug, Default)]
pub struct ConverseEventEncoder {
    started: bool,
    open: Option<Open>,
    next_block: u32,
    finish_reason: Option<FinishReason>,
    stopped: bool,
    usage: Option<(u64, u64)>,
    ended: bool,
    /// When the upstream request went out: `metadata`'s `metrics.latencyMs` is the time since (0 without it).
    since: Option<std::time::Instant>,
}

impl ConverseEventEncoder {
    /// A new encoder.
    pub fn new() -> Self {
        Self::default()
    }

    /// An encoder whose `metadata` reports the time since `since` as `metrics.latencyMs`, as Bedrock reports the
    /// whole stream's latency.
    pub fn timed(since: std::time::Instant) -> Self {
        ConverseEventEncoder { since: Some(since), ..Self::default() }
    }

    fn start(&mut self, out: &mut Vec<u8>) {
        if !self.started {
            self.started = true;
            event_frame("messageStart", &json!({"role": "assistant"}), out);
        }
    }

    fn close(&mut self, out: &mut Vec<u8>) {
        if let Some(open) = self.open.take() {
            let index = match open {
                Open::Text(i) | Open::Reasoning(i) | Open::Tool { block: i, .. } => i,
            };
            event_frame("contentBlockStop", &json!({"contentBlockIndex": index}), out);
        }
    }

    fn block(&mut self) -> u32 {
        let index = self.next_block;
        self.next_block += 1;
        index
    }

    fn stop(&mut self, out: &mut Vec<u8>) {
        if !self.stopped {
            self.start(out);
            self.close(out);
            self.stopped = true;
            let reason = crate::converse_out::stop_reason(self.finish_reason.as_ref());
            event_frame("messageStop", &json!({"stopReason": reason}), out);
        }
    }
}

impl StreamEncoder for ConverseEventEncoder {
    fn chunk(&mut self, chunk: ChatCompletionChunk, out: &mut Vec<u8>) {
        if let Some(Some(usage)) = &chunk.usage {
            self.usage = Some((usage.prompt_tokens, usage.completion_tokens));
        }
        for choice in chunk.choices {
            self.start(out);
            let delta = choice.delta;
            if let Some(reasoning) = delta.reasoning_content.filter(|r| !r.is_empty()) {
                let index = match self.open {
                    Some(Open::Reasoning(i)) => i,
                    _ => {
                        self.close(out);
                        let i = self.block();
                        self.open = Some(Open::Reasoning(i));
                        i
                    }
                };
                event_frame(
                    "contentBlockDelta",
                    &json!({"delta": {"reasoningContent": {"text": reasoning}}, "contentBlockIndex": index}),
                    out,
                );
            }
            if let Some(text) = delta.content.filter(|t| !t.is_empty()) {
                let index = match self.open {
                    Some(Open::Text(i)) => i,
                    _ => {
                        self.close(out);
                        let i = self.block();
                        self.open = Some(Open::Text(i));
                        i
                    }
                };
                event_frame("contentBlockDelta", &json!({"delta": {"text": text}, "contentBlockIndex": index}), out);
            }
            for call in delta.tool_calls.into_iter().flatten() {
                let (name, arguments) = call.function.map_or((None, None), |f| (f.name, f.arguments));
                let index = match self.open {
                    Some(Open::Tool { call: open, block }) if open == call.index => block,
                    _ => {
                        self.close(out);
                        let block = self.block();
                        self.open = Some(Open::Tool { call: call.index, block });
                        let start = json!({"toolUse": {"toolUseId": call.id.clone().unwrap_or_default(),
                                                       "name": name.unwrap_or_default()}});
                        event_frame("contentBlockStart", &json!({"start": start, "contentBlockIndex": block}), out);
                        block
                    }
                };
                if let Some(arguments) = arguments.filter(|a| !a.is_empty()) {
                    event_frame(
                        "contentBlockDelta",
                        &json!({"delta": {"toolUse": {"input": arguments}}, "contentBlockIndex": index}),
                        out,
                    );
                }
            }
            if let Some(reason) = choice.finish_reason {
                self.finish_reason = Some(reason);
                self.stop(out);
            }
        }
    }

    fn error(&mut self, error: &ErrorBody, out: &mut Vec<u8>) {
        self.ended = true;
        exception_frame(&error.error.message, out);
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        if self.ended {
            return;
        }
        self.ended = true;
        self.stop(out);
        let (input, output) = self.usage.unwrap_or_default();
        let latency = self.since.map_or(0, |since| u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX));
        event_frame(
            "metadata",
            &json!({"usage": {"inputTokens": input, "outputTokens": output, "totalTokens": input + output},
                    "metrics": {"latencyMs": latency}}),
            out,
        );
    }
}

/// Another encoder's SSE output (`data: <json>` events, as the Claude and Titan encoders write) re-framed as
/// InvokeModelWithResponseStream `chunk` frames: each event's JSON base64-encoded in `{"bytes":…}`.
pub struct ChunkFramer {
    inner: Box<dyn StreamEncoder>,
    scratch: Vec<u8>,
}

impl ChunkFramer {
    /// Frames `inner`'s events.
    pub fn new(inner: Box<dyn StreamEncoder>) -> Self {
        ChunkFramer { inner, scratch: Vec::new() }
    }

    fn flush(&mut self, out: &mut Vec<u8>) {
        let text = std::mem::take(&mut self.scratch);
        for line in text.split(|b| *b == b'\n') {
            if let Some(data) = line.strip_prefix(b"data: ") {
                let bytes = base64::engine::general_purpose::STANDARD.encode(data);
                event_frame("chunk", &json!({"bytes": bytes}), out);
            }
        }
    }
}

impl StreamEncoder for ChunkFramer {
    fn chunk(&mut self, chunk: ChatCompletionChunk, out: &mut Vec<u8>) {
        self.inner.chunk(chunk, &mut self.scratch);
        self.flush(out);
    }

    fn error(&mut self, error: &ErrorBody, out: &mut Vec<u8>) {
        exception_frame(&error.error.message, out);
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        self.inner.finish(&mut self.scratch);
        self.flush(out);
    }
}
