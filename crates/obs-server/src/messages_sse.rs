//! The Messages route's stream from Claude on Bedrock: each upstream event relayed as it came, as
//! `event: <type>\ndata: <json>\n\n`; `: keep-alive` comments while the upstream is silent; a mid-stream failure as
//! one Anthropic `event: error`. Dropping the body (client gone) drops the upstream stream at once. (Streams of
//! other models are encoded by `sse.rs` with the Messages encoder.)

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use http::{HeaderValue, Response, header};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use obs_service::MessagesEventStream;

use crate::app::App;
use crate::body::Body;
use crate::observe::RequestLog;

struct State {
    app: Arc<App>,
    upstream: MessagesEventStream,
    keep_alive: Duration,
    log: RequestLog,
    done: bool,
}

impl Drop for State {
    fn drop(&mut self) {
        if !self.done {
            self.log.outcome = "client_closed";
        }
        self.app.metrics.stream_ended();
    }
}

pub(crate) fn relay(app: Arc<App>, upstream: MessagesEventStream, log: RequestLog) -> Response<Body> {
    app.metrics.stream_started();
    let keep_alive = app.keep_alive;
    let state = State { app, upstream, keep_alive, log, done: false };
    let frames = futures::stream::unfold(Box::new(state), |mut state| async move {
        if state.done {
            return None;
        }
        let item = tokio::select! {
            biased;
            item = state.upstream.next() => item,
            () = tokio::time::sleep(state.keep_alive) => {
                return Some((Ok::<_, Infallible>(Frame::data(Bytes::from_static(b": keep-alive\n\n"))), state));
            }
        };
        let started = Instant::now();
        let out = match item {
            Some(Ok(event)) => {
                // Anthropic reports input at message_start and the output so far at each message_delta.
                if matches!(event.kind.as_str(), "message_start" | "message_delta") {
                    state.log.note_answer(&event.data);
                }
                let mut out = Vec::with_capacity(event.kind.len() + event.data.len() + 16);
                write_event(&event.kind, &event.data, &mut out);
                out
            }
            Some(Err(error)) => {
                state.app.metrics.upstream_error(error.code.as_str());
                state.log.outcome = "upstream_error";
                state.log.error_code = Some(error.code.as_str());
                state.log.error_detail.clone_from(&error.detail);
                state.done = true;
                let (_, body) = crate::anthropic_errors::status_and_body(&error);
                let data = serde_json::to_vec(&body).unwrap_or_default();
                let mut out = Vec::with_capacity(data.len() + 24);
                write_event("error", &data, &mut out);
                out
            }
            None => {
                state.done = true;
                return None;
            }
        };
        state.log.overhead += started.elapsed();
        Some((Ok(Frame::data(Bytes::from(out))), state))
    });
    let mut response = Response::new(StreamBody::new(frames).boxed_unsync());
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

fn write_event(kind: &str, data: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(b"event: ");
    out.extend_from_slice(kind.as_bytes());
    out.extend_from_slice(b"\ndata: ");
    out.extend_from_slice(data);
    out.extend_from_slice(b"\n\n");
}
