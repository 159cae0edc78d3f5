//! Response helpers: JSON answers and streamed bodies fed by a task, with delays and disconnect detection.

use std::convert::Infallible;

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use tokio::sync::mpsc;

use crate::recorder::{Recorder, StreamOutcome};

pub(crate) type Body = UnsyncBoxBody<Bytes, std::io::Error>;

pub(crate) fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).map_err(|never: Infallible| match never {}).boxed_unsync()
}

pub(crate) fn json(status: StatusCode, value: &serde_json::Value) -> Response<Body> {
    let mut response = Response::new(full(value.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// One step of a streamed answer.
pub(crate) enum Step {
    /// Bytes to send, after the plan's delay.
    Data(Bytes),
    /// Abort the connection (the `disconnect` scenario).
    Cut,
}

/// The `disconnect` scenario of a JSON answer: the first bytes of the body, then the connection is cut.
pub(crate) fn cut_json(
    prefix: &'static [u8],
    plan: &crate::plan::Plan,
    recorder: &Recorder,
    seq: u64,
) -> Response<Body> {
    streamed("application/json", vec![Step::Data(Bytes::from_static(prefix)), Step::Cut], plan, recorder.clone(), seq)
}

/// A streamed body: `steps` are sent by a task, the first after the plan's first-byte delay, the others its chunk
/// delay apart. When the client goes away the task notices (the channel closes) and records
/// [`StreamOutcome::ClientGone`].
pub(crate) fn streamed(
    content_type: &'static str,
    steps: Vec<Step>,
    plan: &crate::plan::Plan,
    recorder: Recorder,
    seq: u64,
) -> Response<Body> {
    let (first_delay, gap) = (plan.first_byte_delay, plan.chunk_delay);
    let (tx, rx) = mpsc::channel::<Result<Frame<Bytes>, std::io::Error>>(1);
    tokio::spawn(async move {
        let mut outcome = StreamOutcome::Completed;
        for (i, step) in steps.into_iter().enumerate() {
            let delay = if i == 0 { first_delay } else { gap };
            if !delay.is_zero() {
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    () = tx.closed() => { outcome = StreamOutcome::ClientGone; break; }
                }
            }
            let item = match step {
                Step::Data(bytes) => Ok(Frame::data(bytes)),
                Step::Cut => Err(std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "mock disconnect")),
            };
            if tx.send(item).await.is_err() {
                outcome = StreamOutcome::ClientGone;
                break;
            }
        }
        // Dropping the sender ends the body; with a one-slot channel every frame but the last was already taken.
        drop(tx);
        recorder.stream_ended(seq, outcome);
    });
    let mut rx = rx;
    let stream = futures::stream::poll_fn(move |cx| rx.poll_recv(cx));
    let mut response = Response::new(BodyExt::boxed_unsync(StreamBody::new(stream)));
    response.headers_mut().insert(http::header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}
