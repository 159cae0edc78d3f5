//! Reading a request body: the size cap (413, by `content-length` before reading when it is sent), the pace a
//! client must keep — `body_timeout` to start with, then at least `min_body_rate` bytes per second — so a body
//! trickled against its `content-length` cannot hold a connection and its buffer for ever (408), and the budget of
//! body bytes in flight across all requests, so a burst of large bodies waits briefly and then gets 503 instead of
//! taking the process's memory.

use std::time::Instant;

use bytes::{Bytes, BytesMut};
use futures::FutureExt;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use obs_models::Error;
use obs_models::error::ErrorCode;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::app::Limits;

/// Body bytes in flight across all requests, counted in KiB (a permit per KiB keeps 256 MiB well within u32).
pub(crate) struct BodyBudget {
    kib: std::sync::Arc<Semaphore>,
    total_kib: u32,
}

/// A request's share of the budget, held until its upstream call has taken the request.
pub(crate) struct BodyPermit(#[allow(dead_code)] Option<OwnedSemaphorePermit>);

/// How long a request waits for budget before it is turned away.
const BUDGET_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

impl BodyBudget {
    /// A budget of `bytes` (0 = no budget).
    pub(crate) fn new(bytes: usize) -> Self {
        let total_kib = u32::try_from(bytes.div_ceil(1024)).unwrap_or(u32::MAX);
        BodyBudget { kib: std::sync::Arc::new(Semaphore::new(total_kib as usize)), total_kib }
    }

    /// `bytes` more of the budget, waiting up to the end of `deadline`; 503 with `retry-after` past it.
    async fn take(
        &self,
        held: &mut Option<OwnedSemaphorePermit>,
        bytes: usize,
        deadline: Instant,
    ) -> Result<(), Error> {
        if self.total_kib == 0 {
            return Ok(());
        }
        let have = held.as_ref().map_or(0, |p| p.num_permits());
        let want = u32::try_from(bytes.div_ceil(1024)).unwrap_or(u32::MAX).min(self.total_kib);
        let Some(more) = (want as usize).checked_sub(have).filter(|more| *more > 0) else { return Ok(()) };
        let more = u32::try_from(more).unwrap_or(u32::MAX);
        let wait = deadline.saturating_duration_since(Instant::now());
        let permit = match self.kib.clone().try_acquire_many_owned(more) {
            Ok(permit) => permit,
            Err(_) => match tokio::time::timeout(wait, self.kib.clone().acquire_many_owned(more)).await {
                Ok(Ok(permit)) => permit,
                _ => {
                    let mut error = Error::new(
                        ErrorCode::ServiceUnavailable,
                        "The gateway is receiving too many large requests at once; retry shortly.",
                    );
                    error.retry_after = Some("1".to_owned());
                    return Err(error);
                }
            },
        };
        match held {
            Some(existing) => existing.merge(permit),
            None => *held = Some(permit),
        }
        Ok(())
    }
}

/// The whole body, read into one buffer sized from `content-length` when it is sent, and its share of the budget.
pub(crate) async fn read(
    headers: &http::HeaderMap,
    mut body: Incoming,
    limit: usize,
    limits: &Limits,
    budget: &BodyBudget,
) -> Result<(Bytes, BodyPermit), Error> {
    let too_large = || {
        Error::new(ErrorCode::RequestTooLarge, format!("The request body is larger than the limit of {limit} bytes."))
    };
    let declared =
        headers.get(http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(too_large());
    }
    let started = Instant::now();
    let budget_deadline = started + BUDGET_WAIT;
    let mut held = None;
    // A declared length is taken from the budget before anything is buffered.
    if let Some(len) = declared {
        budget.take(&mut held, len as usize, budget_deadline).await?;
    }
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
        budget.take(&mut held, received + data.len(), budget_deadline).await?;
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
    Ok((single.unwrap_or_else(|| buffer.freeze()), BodyPermit(held)))
}

fn too_slow() -> Error {
    Error::new(ErrorCode::RequestTimeout, "The request body arrived too slowly.")
}
