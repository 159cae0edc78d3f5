//! Every failure obs answers, and the one function that turns it into a status and an OpenAI error body.

use http::{HeaderValue, Response, StatusCode, header};
use obs_convert::ConvertError;
use obs_models::error::{ErrorBody, ErrorCode};
use obs_service::ServiceError;

use crate::body::{Body, json};

/// An error on its way to the client.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// Contract §2 code.
    pub code: ErrorCode,
    /// One human sentence.
    pub message: String,
    /// Offending request field.
    pub param: Option<String>,
    /// `retry-after` to send.
    pub retry_after: Option<String>,
}

impl ApiError {
    /// An error with a code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError { code, message: message.into(), param: None, retry_after: None }
    }

    /// A bug in obs: the details go to the log only.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(detail = %detail, "internal error");
        ApiError::new(ErrorCode::InternalError, "Internal server error")
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        ApiError { code: e.code, message: e.message, param: e.param, retry_after: e.retry_after }
    }
}

impl From<ConvertError> for ApiError {
    fn from(e: ConvertError) -> Self {
        ApiError { code: e.code, message: e.message, param: e.param, retry_after: None }
    }
}

/// The one mapping from any error to (HTTP status, OpenAI error body) — contract §2.
pub fn status_and_body(error: &ApiError) -> (StatusCode, ErrorBody) {
    let status = StatusCode::from_u16(error.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let message =
        if error.code == ErrorCode::InternalError { "Internal server error".to_owned() } else { error.message.clone() };
    (status, ErrorBody::new(error.code, message, error.param.clone()))
}

/// The HTTP response for an error: the body of [`status_and_body`], `retry-after` when known, and
/// `WWW-Authenticate: Bearer` on 401.
pub(crate) fn error_response(error: &ApiError) -> Response<Body> {
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
            let (status, body) = status_and_body(&ApiError::new(code, "detail"));
            assert_eq!(status.as_u16(), code.http_status());
            assert_eq!(
                (body.error.kind.as_str(), body.error.code.as_deref()),
                (code.error_type(), Some(code.as_str()))
            );
        }
        let (status, body) = status_and_body(&ApiError::new(ErrorCode::InternalError, "panic at src/x.rs:1"));
        assert_eq!((status.as_u16(), body.error.message.as_str()), (500, "Internal server error"));
    }
}
