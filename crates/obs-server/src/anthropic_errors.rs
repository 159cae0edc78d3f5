//! The Messages routes' errors in Anthropic's shape: `{"type":"error","error":{"type","message"}}` with the
//! status Anthropic's API gives the same situation ([`obs_models::anthropic::error_kind`]: 529
//! `overloaded_error` for an unavailable upstream, …), `retry-after` kept. The OpenAI-shape mapping of every other
//! route is `errors.rs`; this is its one counterpart for this ingress API.

use http::{HeaderValue, Response, StatusCode, header};
use obs_models::Error;
use obs_models::anthropic::{AnthropicErrorBody, error_kind};
use obs_models::error::ErrorCode;

use crate::body::{Body, json};

/// The one mapping from any error to (HTTP status, Anthropic error body).
pub fn status_and_body(error: &Error) -> (StatusCode, AnthropicErrorBody) {
    let (status, _) = error_kind(error.code);
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let message =
        if error.code == ErrorCode::InternalError { "Internal server error".to_owned() } else { error.message.clone() };
    (status, AnthropicErrorBody::new(error.code, message))
}

/// The HTTP response for an error on a Messages route, with `retry-after` when known.
pub(crate) fn error_response(error: &Error) -> Response<Body> {
    let (status, body) = status_and_body(error);
    let mut response = json(status, &body);
    if let Some(value) = error.retry_after.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_an_anthropic_status_and_type() {
        let table: Vec<(&str, u16, String)> = ErrorCode::ALL
            .into_iter()
            .map(|code| {
                let (status, body) = status_and_body(&Error::new(code, "detail"));
                assert_eq!(body.kind, "error");
                (code.as_str(), status.as_u16(), body.error.kind)
            })
            .filter(|(_, status, _)| ![400, 405, 408, 414, 431].contains(status))
            .collect();
        let expected: Vec<(&str, u16, String)> = [
            ("invalid_api_key", 401, "authentication_error"),
            ("upstream_access_denied", 403, "permission_error"),
            ("permission_denied", 403, "permission_error"),
            ("model_not_found", 404, "not_found_error"),
            ("not_found", 404, "not_found_error"),
            ("request_too_large", 413, "request_too_large"),
            ("rate_limit_exceeded", 429, "rate_limit_error"),
            ("insufficient_quota", 429, "rate_limit_error"),
            ("internal_error", 500, "api_error"),
            ("upstream_error", 502, "api_error"),
            ("upstream_unreachable", 502, "api_error"),
            ("upstream_authentication_error", 502, "api_error"),
            ("service_unavailable", 529, "overloaded_error"),
            ("upstream_timeout", 504, "timeout_error"),
        ]
        .into_iter()
        .map(|(code, status, kind)| (code, status, kind.to_owned()))
        .collect();
        assert_eq!(table, expected);
        let (status, body) = status_and_body(&Error::new(ErrorCode::EmptyMessages, "x"));
        assert_eq!((status.as_u16(), body.error.kind.as_str()), (400, "invalid_request_error"));
        let (_, body) = status_and_body(&Error::new(ErrorCode::InternalError, "panic at src/x.rs:1"));
        assert_eq!(body.error.message, "Internal server error");
    }
}
