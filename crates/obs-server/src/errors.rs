//! Every failure obs answers, and the one function that turns it into a status and an OpenAI error body.

use http::{HeaderValue, Response, StatusCode, header};
use obs_models::Error;
use obs_models::error::{ErrorBody, ErrorCode};

use crate::body::{Body, json};

/// A bug in obs: the detail goes to the log only; the client reads "Internal server error".
pub(crate) fn internal_error(detail: impl std::fmt::Display) -> Error {
    tracing::error!(detail = %detail, "internal error");
    Error::new(ErrorCode::InternalError, "Internal server error")
}

/// The one mapping from any error to (HTTP status, OpenAI error body) — docs/reference/errors.md §2.
pub fn status_and_body(error: &Error) -> (StatusCode, ErrorBody) {
    let status = StatusCode::from_u16(error.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let message =
        if error.code == ErrorCode::InternalError { "Internal server error".to_owned() } else { error.message.clone() };
    (status, ErrorBody::new(error.code, message, error.param.clone()))
}

/// The HTTP response for an error: the body of [`status_and_body`], `retry-after` when known, and
/// `WWW-Authenticate: Bearer` on 401.
pub(crate) fn error_response(error: &Error) -> Response<Body> {
    let (status, body) = status_and_body(error);
    let mut response = json(status, &body);
    if let Some(value) = error.retry_after.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_its_status_and_internal_details_stay_in_the_log() {
        for code in ErrorCode::ALL {
            let (status, body) = status_and_body(&Error::new(code, "detail"));
            assert_eq!(status.as_u16(), code.http_status());
            assert_eq!(
                (body.error.kind.as_str(), body.error.code.as_deref()),
                (code.error_type(), Some(code.as_str()))
            );
        }
        let (status, body) = status_and_body(&Error::new(ErrorCode::InternalError, "panic at src/x.rs:1"));
        assert_eq!((status.as_u16(), body.error.message.as_str()), (500, "Internal server error"));
    }
}
