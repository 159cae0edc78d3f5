//! OpenAI SSE → stream items, read incrementally with the idle timeout; dropping the stream drops the response,
//! which closes the upstream connection. Each event is the upstream's own chunk when the verbatim check accepts
//! it, else parsed typed (which also explains malformed events and reads error events).

use std::collections::VecDeque;
use std::pin::Pin;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use obs_models::error::ErrorCode;
use obs_models::openai::ChatCompletionChunk;
use obs_models::openai::verbatim::VerbatimChunk;
use serde_json::Value;

use super::errors;
use crate::sse::{SseEvent, SseParser};
use crate::{Error, ItemStream, StreamItem, Timeouts};

struct State {
    body: Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>,
    parser: SseParser,
    events: Vec<SseEvent>,
    pending: VecDeque<Result<StreamItem, Error>>,
    timeouts: Timeouts,
    first: bool,
    done: bool,
}

pub(super) fn items(response: reqwest::Response, timeouts: Timeouts, max_event_bytes: usize) -> ItemStream {
    let state = State {
        body: Box::pin(response.bytes_stream()),
        parser: SseParser::new(max_event_bytes),
        events: Vec::new(),
        pending: VecDeque::new(),
        timeouts,
        first: true,
        done: false,
    };
    // Boxed: unfold moves its state in and out on every item; a box moves as one pointer.
    Box::pin(futures::stream::unfold(Box::new(state), |mut state| async move {
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
                    return self.fail(Error::new(
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
        match decode_event(event.data) {
            Ok(Some(item)) => self.pending.push_back(Ok(item)),
            Ok(None) => self.done = true,
            Err(error) => self.fail(error),
        }
    }

    fn fail(&mut self, error: Error) {
        self.pending.push_back(Err(error));
        self.done = true;
    }
}

/// One event's data: a chunk, `None` for `[DONE]`, or why the stream failed. The verbatim check is the hot path
/// (once per chunk; it refuses error events); the typed parse takes what it hands back, and the generic one only
/// runs to explain a failure.
fn decode_event(data: String) -> Result<Option<StreamItem>, Error> {
    if data == "[DONE]" {
        return Ok(None);
    }
    let data = match VerbatimChunk::check(data) {
        Ok(chunk) => return Ok(Some(StreamItem::Verbatim(chunk))),
        Err(refused) => refused.json,
    };
    let shape = match serde_json::from_str::<ChatCompletionChunk>(&data) {
        Ok(chunk) => {
            return match chunk.extra.get("error") {
                Some(error) => Err(upstream_stream_error(error)),
                None => Ok(Some(StreamItem::Chunk(chunk))),
            };
        }
        Err(shape) => shape,
    };
    match serde_json::from_str::<Value>(&data) {
        Err(e) => Err(Error::new(ErrorCode::UpstreamError, format!("An upstream stream event is not JSON: {e}."))),
        Ok(value) => match value.get("error") {
            Some(error) => Err(upstream_stream_error(error)),
            None => Err(Error::new(
                ErrorCode::UpstreamError,
                format!("An upstream stream chunk has an unexpected shape: {shape}."),
            )),
        },
    }
}

/// An `{"error": {...}}` event: the upstream gave up mid-stream.
fn upstream_stream_error(error: &Value) -> Error {
    let message = error.get("message").and_then(Value::as_str).unwrap_or("The upstream stream failed.");
    Error::new(ErrorCode::UpstreamError, message)
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
        let error = decode_event(data.to_owned()).unwrap_err();
        assert_eq!(error.code, ErrorCode::UpstreamError);
        error.message
    }

    fn chunk(data: &str) -> StreamItem {
        decode_event(data.to_owned()).unwrap().unwrap()
    }

    #[test]
    fn events_become_chunks_done_or_one_error() {
        // OpenAI's own shape is forwarded as it came.
        let openai = r#"{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","system_fingerprint":"fp","choices":[{"index":0,"delta":{"content":"Hi"},"logprobs":null,"finish_reason":null}]}"#;
        match chunk(openai) {
            StreamItem::Verbatim(verbatim) => assert_eq!(verbatim.as_str(), openai),
            other => panic!("{other:?}"),
        }
        // Without `logprobs` the typed path adds it: parsed.
        let item = chunk(
            r#"{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","system_fingerprint":"fp",
                "choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}"#,
        );
        let StreamItem::Chunk(typed) = item else { panic!("{item:?}") };
        assert_eq!(typed.choices[0].delta.content.as_deref(), Some("Hi"));
        assert_eq!(typed.extra["system_fingerprint"], "fp");
        assert!(decode_event("[DONE]".to_owned()).unwrap().is_none());

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
