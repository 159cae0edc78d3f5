//! Streaming answers: the encoder of the target format over the service's chunk stream, `: keep-alive` comments
//! while the upstream is silent, one error event on a mid-stream failure. Dropping the body (client gone) drops
//! the upstream stream at once.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use http::{HeaderValue, Response, header};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use obs_convert::stream::StreamEncoder;
use obs_service::{ItemStream, StreamItem};

use crate::app::App;
use crate::body::Body;
use crate::observe::RequestLog;

struct State {
    app: Arc<App>,
    upstream: ItemStream,
    encoder: Box<dyn StreamEncoder>,
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

pub(crate) fn response(
    app: Arc<App>,
    upstream: ItemStream,
    encoder: Box<dyn StreamEncoder>,
    log: RequestLog,
) -> Response<Body> {
    app.metrics.stream_started();
    let keep_alive = app.keep_alive;
    let state = State { app, upstream, encoder, keep_alive, log, done: false };
    // Boxed: unfold moves its state in and out on every item, and this one holds the request log.
    let frames = futures::stream::unfold(Box::new(state), |mut state| async move {
        loop {
            if state.done {
                return None;
            }
            let item = tokio::select! {
                // Upstream first: when a chunk is ready the keep-alive timer is never polled, so never registered.
                biased;
                item = state.upstream.next() => item,
                () = tokio::time::sleep(state.keep_alive) => {
                    return Some((Ok::<_, Infallible>(Frame::data(Bytes::from_static(b": keep-alive\n\n"))), state));
                }
            };
            let started = Instant::now();
            // Room for a typical event, so serialising it does not grow the buffer step by step.
            let mut out = Vec::with_capacity(512);
            match item {
                Some(Ok(StreamItem::Chunk(chunk))) => {
                    if let Some(Some(usage)) = &chunk.usage {
                        state.log.note_usage(usage);
                    }
                    state.encoder.chunk(chunk, &mut out);
                }
                Some(Ok(StreamItem::Verbatim(chunk))) => {
                    if *chunk.usage() == obs_models::openai::verbatim::UsageMember::Object {
                        state.log.note_answer(chunk.as_str().as_bytes());
                    }
                    state.encoder.verbatim(chunk, &mut out);
                }
                Some(Err(error)) => {
                    state.app.metrics.upstream_error(error.code.as_str());
                    state.log.outcome = "upstream_error";
                    state.log.error_code = Some(error.code.as_str());
                    state.log.error_detail.clone_from(&error.detail);
                    state.encoder.error(&crate::errors::status_and_body(&error).1, &mut out);
                    state.done = true;
                }
                None => {
                    state.encoder.finish(&mut out);
                    if state.encoder.dropped_tool_calls() {
                        tracing::info!(request_id = %state.log.request_id, "tool calls dropped: the Titan format cannot express them");
                    }
                    state.done = true;
                }
            }
            state.log.overhead += started.elapsed();
            if !out.is_empty() {
                return Some((Ok(Frame::data(Bytes::from(out))), state));
            }
        }
    });
    let mut response = Response::new(StreamBody::new(frames).boxed_unsync());
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}
