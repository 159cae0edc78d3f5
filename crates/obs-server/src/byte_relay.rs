//! A streamed answer whose bytes are already in the client's format — Bedrock's event-stream frames
//! (`bedrock_stream.rs`), an upstream's own Responses events (`responses_native.rs`) — relayed as they arrive. A
//! failure after the first bytes ends the stream with what `on_error` writes for it, if anything. Dropping the body
//! (client gone) drops the upstream stream at once.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use futures::StreamExt;
use http::{HeaderValue, Response, header};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use obs_models::Error;
use obs_service::ByteStream;

use crate::app::App;
use crate::body::Body;
use crate::observe::RequestLog;
use obs_convert::token_counts::TokenCounts;

/// Reads an answer's tokens from the relayed bytes as they pass (usage records; `usage_taps.rs`).
pub(crate) type Tap = Box<dyn FnMut(&[u8]) -> Option<TokenCounts> + Send>;

struct State {
    app: Arc<App>,
    upstream: ByteStream,
    log: RequestLog,
    on_error: fn(&Error) -> Option<Bytes>,
    tap: Option<Tap>,
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

/// The 200 answer relaying `upstream` with `content_type`; the request's log line is written when it ends.
pub(crate) fn relay(
    app: Arc<App>,
    upstream: ByteStream,
    log: RequestLog,
    content_type: &'static str,
    on_error: fn(&Error) -> Option<Bytes>,
    tap: Option<Tap>,
) -> Response<Body> {
    app.metrics.stream_started();
    let state = State { app, upstream, log, on_error, tap, done: false };
    let frames = futures::stream::unfold(Box::new(state), |mut state| async move {
        if state.done {
            return None;
        }
        let item = state.upstream.next().await;
        let started = Instant::now();
        let out = match item {
            Some(Ok(bytes)) => {
                if let Some(tokens) = state.tap.as_mut().and_then(|tap| tap(&bytes)) {
                    state.log.note_tokens(Some(tokens));
                }
                bytes
            }
            Some(Err(error)) => {
                state.app.metrics.upstream_error(error.code.as_str());
                state.log.outcome = "upstream_error";
                state.log.error_code = Some(error.code.as_str());
                state.log.error_detail.clone_from(&error.detail);
                state.done = true;
                (state.on_error)(&error)?
            }
            None => {
                state.done = true;
                return None;
            }
        };
        state.log.overhead += started.elapsed();
        Some((Ok::<_, Infallible>(Frame::data(out)), state))
    });
    let mut response = Response::new(StreamBody::new(frames).boxed_unsync());
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}
