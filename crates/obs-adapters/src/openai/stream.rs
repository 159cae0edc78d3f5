//! OpenAI SSE → internal chunks, read incrementally with the idle timeout; dropping the stream drops the
//! response, which closes the upstream connection.

use std::collections::VecDeque;
use std::pin::Pin;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use obs_models::error::ErrorCode;
use obs_models::openai::ChatCompletionChunk;
use serde_json::Value;

use super::errors;
use crate::sse::{SseEvent, SseParser};
use crate::{AdapterError, ChunkStream, Timeouts};

struct State {
    body: Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>,
    parser: SseParser,
    events: Vec<SseEvent>,
    pending: VecDeque<Result<ChatCompletionChunk, AdapterError>>,
    timeouts: Timeouts,
    first: bool,
    done: bool,
}

pub(super) fn chunks(response: reqwest::Response, timeouts: Timeouts, max_event_bytes: usize) -> ChunkStream {
    let state = State {
        body: Box::pin(response.bytes_stream()),
        parser: SseParser::new(max_event_bytes),
        events: Vec::new(),
        pending: VecDeque::new(),
        timeouts,
        first: true,
        done: false,
    };
    Box::pin(futures::stream::unfold(state, |mut state| async move {
        loop {
            if let Some(item) = state.pending.pop_front() {
                return Some((item, state));
            }
            if state.done {
                return None;
            }
            state.read().await;
        }
    }))
}

impl State {
    async fn read(&mut self) {
        let limit = if self.first { self.timeouts.first_byte } else { self.timeouts.idle };
        self.first = false;
        match tokio::time::timeout(limit, self.body.next()).await {
            Err(_) => self.fail(errors::idle_timeout()),
            Ok(None) => self.done = true,
            Ok(Some(Err(error))) => self.fail(errors::transport(error)),
            Ok(Some(Ok(bytes))) => {
                if let Err(too_large) = self.parser.push(&bytes, &mut self.events) {
                    return self.fail(AdapterError::new(
                        ErrorCode::UpstreamError,
                        format!("{}.", capitalise(&too_large.to_string())),
                    ));
                }
                let events = std::mem::take(&mut self.events);
                for event in events {
                    if self.done {
                        break;
                    }
                    self.on_event(event);
                }
            }
        }
    }

    fn on_event(&mut self, event: SseEvent) {
        match decode_event(&event.data) {
            Ok(Some(chunk)) => self.pending.push_back(Ok(chunk)),
            Ok(None) => self.done = true,
            Err(error) => self.fail(error),
        }
    }

    fn fail(&mut self, error: AdapterError) {
        self.pending.push_back(Err(error));
        self.done = true;
    }
}

/// One event's data: a chunk, `None` for `[DONE]`, or why the stream failed. The typed parse is the hot path (once
/// per chunk); the generic one only runs to explain a failure.
fn decode_event(data: &str) -> Result<Option<ChatCompletionChunk>, AdapterError> {
    if data == "[DONE]" {
        return Ok(None);
    }
    let shape = match serde_json::from_str::<ChatCompletionChunk>(data) {
        Ok(chunk) => {
            return match chunk.extra.get("error") {
                Some(error) => Err(upstream_stream_error(error)),
                None => Ok(Some(chunk)),
            };
        }
        Err(shape) => shape,
    };
    match serde_json::from_str::<Value>(data) {
        Err(e) => {
            Err(AdapterError::new(ErrorCode::UpstreamError, format!("An upstream stream event is not JSON: {e}.")))
        }
        Ok(value) => match value.get("error") {
            Some(error) => Err(upstream_stream_error(error)),
            None => Err(AdapterError::new(
                ErrorCode::UpstreamError,
                format!("An upstream stream chunk has an unexpected shape: {shape}."),
            )),
        },
    }
}

/// An `{"error": {...}}` event: the upstream gave up mid-stream.
fn upstream_stream_error(error: &Value) -> AdapterError {
    let message = error.get("message").and_then(Value::as_str).unwrap_or("The upstream stream failed.");
    AdapterError::new(ErrorCode::UpstreamError, message)
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| first.to_uppercase().chain(chars).collect())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn message(data: &str) -> String {
        let error = decode_event(data).unwrap_err();
        assert_eq!(error.code, ErrorCode::UpstreamError);
        error.message
    }

    #[test]
    fn events_become_chunks_done_or_one_error() {
        let chunk = decode_event(
            r#"{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","system_fingerprint":"fp",
                "choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}"#,
        )
        .unwrap()
        .unwrap();
        assert_eq!(chunk.choices[0].delta.content.as_deref(), Some("Hi"));
        assert_eq!(chunk.extra["system_fingerprint"], "fp");
        assert!(decode_event("[DONE]").unwrap().is_none());

        assert_eq!(
            message(r#"{"error":{"message":"The server had an error.","type":"server_error"}}"#),
            "The server had an error."
        );
        // An error beside chunk fields still ends the stream.
        assert_eq!(
            message(
                r#"{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"error":{"message":"stop"}}"#
            ),
            "stop"
        );
        assert_eq!(message(r#"{"error":"overloaded"}"#), "The upstream stream failed.");
        assert!(message("not json").starts_with("An upstream stream event is not JSON: "));
        assert!(message(r#"{"id":1}"#).starts_with("An upstream stream chunk has an unexpected shape: "));
    }
}
