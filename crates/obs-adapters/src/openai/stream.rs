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
        if event.data == "[DONE]" {
            self.done = true;
            return;
        }
        let value: Value = match serde_json::from_str(&event.data) {
            Ok(value) => value,
            Err(e) => {
                return self.fail(AdapterError::new(
                    ErrorCode::UpstreamError,
                    format!("An upstream stream event is not JSON: {e}."),
                ));
            }
        };
        if let Some(error) = value.get("error") {
            let message = error.get("message").and_then(Value::as_str).unwrap_or("The upstream stream failed.");
            return self.fail(AdapterError::new(ErrorCode::UpstreamError, message));
        }
        match serde_json::from_value::<ChatCompletionChunk>(value) {
            Ok(chunk) => self.pending.push_back(Ok(chunk)),
            Err(e) => self.fail(AdapterError::new(
                ErrorCode::UpstreamError,
                format!("An upstream stream chunk has an unexpected shape: {e}."),
            )),
        }
    }

    fn fail(&mut self, error: AdapterError) {
        self.pending.push_back(Err(error));
        self.done = true;
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| first.to_uppercase().chain(chars).collect())
}
