//! Reading a request body: the size cap (413, by `content-length` before reading when it is sent) and the pace a
//! client must keep — `body_timeout` to start with, then at least `min_body_rate` bytes per second — so a body
//! trickled against its `content-length` cannot hold a connection and its buffer for ever (408).

use std::time::Instant;

use bytes::{Bytes, BytesMut};
use futures::FutureExt;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use obs_models::Error;
use obs_models::error::ErrorCode;

use crate::app::Limits;

/// The whole body, read into one buffer sized from `content-length` when it is sent.
pub(crate) async fn read(
    headers: &http::HeaderMap,
    mut body: Incoming,
    limit: usize,
    limits: &Limits,
) -> Result<Bytes, Error> {
    let too_large = || {
        Error::new(ErrorCode::RequestTooLarge, format!("The request body is larger than the limit of {limit} bytes."))
    };
    let declared =
        headers.get(http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(too_large());
    }
    let started = Instant::now();
    let mut buffer = BytesMut::with_capacity(declared.map_or(0, |len| len as usize));
    let mut single: Option<Bytes> = None;
    loop {
        let received = buffer.len() + single.as_ref().map_or(0, Bytes::len);
        // The allowance grows with what has arrived: a large body at a fair pace is never cut off.
        let allowance =
            limits.body_timeout + std::time::Duration::from_secs(received as u64 / limits.min_body_rate.max(1));
        // A frame already buffered needs no timer: most bodies arrive with their head.
        let next = match body.frame().now_or_never() {
            Some(frame) => Ok(frame),
            None => {
                let Some(remaining) = allowance.checked_sub(started.elapsed()) else { return Err(too_slow()) };
                tokio::time::timeout(remaining, body.frame()).await
            }
        };
        let frame = match next {
            Err(_) => return Err(too_slow()),
            Ok(None) => break,
            Ok(Some(Err(_))) => return Err(Error::new(ErrorCode::InvalidBody, "The request body could not be read.")),
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(data) = frame.into_data() else { continue };
        if received + data.len() > limit {
            return Err(too_large());
        }
        // The usual body is one frame: kept as it came, without a copy.
        match single.take() {
            None if buffer.is_empty() => single = Some(data),
            None => buffer.extend_from_slice(&data),
            Some(first) => {
                buffer.extend_from_slice(&first);
                buffer.extend_from_slice(&data);
            }
        }
    }
    Ok(single.unwrap_or_else(|| buffer.freeze()))
}

fn too_slow() -> Error {
    Error::new(ErrorCode::RequestTimeout, "The request body arrived too slowly.")
}
