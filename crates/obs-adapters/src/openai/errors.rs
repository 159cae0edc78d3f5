//! OpenAI upstream failures → docs/reference/errors.md §2 codes.

use obs_models::error::ErrorCode;
use serde_json::Value;

use crate::{Error, Timeouts};

pub(super) fn first_byte_timeout() -> Error {
    Error::new(ErrorCode::UpstreamTimeout, "The upstream did not answer in time.")
}

pub(super) fn idle_timeout() -> Error {
    Error::new(ErrorCode::UpstreamTimeout, "The upstream stopped sending in the middle of the answer.")
}

/// A transport failure. The client reads one sentence naming what failed; the error chain (which names the URL,
/// the address and the OS error, never a header) is the detail for the request's log line.
pub(super) fn transport(error: reqwest::Error) -> Error {
    let mapped = if error.is_timeout() {
        Error::new(ErrorCode::UpstreamTimeout, "The upstream did not answer in time.")
    } else if error.is_connect() {
        Error::new(ErrorCode::UpstreamUnreachable, "Could not connect to the upstream.")
    } else {
        Error::new(ErrorCode::UpstreamError, "The upstream closed the connection before the answer was complete.")
    };
    mapped.with_detail(source_chain(&error))
}

fn source_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// A non-2xx answer: the upstream's `error.message` kept, `retry-after` passed through.
pub(super) async fn from_status(response: reqwest::Response, timeouts: &Timeouts) -> Error {
    let status = response.status().as_u16();
    let retry_after = response.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let body =
        tokio::time::timeout(timeouts.idle, response.bytes()).await.ok().and_then(Result::ok).unwrap_or_default();
    let upstream_message = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.pointer("/error/message").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| {
            let text = String::from_utf8_lossy(&body);
            let text = text.trim();
            if text.is_empty() { format!("HTTP {status}") } else { text.chars().take(300).collect() }
        });
    let (code, message) = match status {
        400 | 422 => (ErrorCode::UpstreamValidationError, upstream_message),
        401 | 403 => (
            ErrorCode::UpstreamAuthenticationError,
            format!("The upstream rejected the gateway's credentials: {upstream_message}"),
        ),
        404 => (ErrorCode::ModelNotFound, upstream_message),
        429 => (ErrorCode::RateLimitExceeded, upstream_message),
        503 => (ErrorCode::ServiceUnavailable, upstream_message),
        500..=599 => (ErrorCode::UpstreamError, format!("The upstream failed (HTTP {status}): {upstream_message}")),
        _ => (ErrorCode::UpstreamValidationError, upstream_message),
    };
    Error {
        code,
        message,
        param: None,
        retry_after: if status == 429 { retry_after } else { None },
        detail: None,
        retries: 0,
    }
}
