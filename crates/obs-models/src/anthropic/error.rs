use serde::{Deserialize, Serialize};

use crate::error::ErrorCode;

/// `{"type":"error","error":{"type","message"}}` — Anthropic's error body, on the Messages routes and in an
/// `event: error` of their streams.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnthropicErrorBody {
    /// Always `error`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The error.
    pub error: AnthropicError,
}

/// The inner object of [`AnthropicErrorBody`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnthropicError {
    /// `invalid_request_error`, `authentication_error`, `rate_limit_error`, `overloaded_error`, ….
    #[serde(rename = "type")]
    pub kind: String,
    /// One human sentence.
    pub message: String,
}

impl AnthropicErrorBody {
    /// The body for `code`, with its Anthropic type ([`error_kind`]).
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        AnthropicErrorBody {
            kind: "error".to_owned(),
            error: AnthropicError { kind: error_kind(code).1.to_owned(), message: message.into() },
        }
    }
}

/// The HTTP status and Anthropic error `type` for an obs error code, as Anthropic's API answers the same
/// situation: 400 `invalid_request_error`, 401 `authentication_error`, 403 `permission_error`, 404
/// `not_found_error`, 413 `request_too_large`, 429 `rate_limit_error`, 500 and 502 `api_error`, 504
/// `timeout_error`, and 529 `overloaded_error` for an upstream that is overloaded or unavailable (and obs's own
/// refusals under load).
///
/// ```
/// use obs_models::anthropic::error_kind;
/// use obs_models::error::ErrorCode;
///
/// assert_eq!(error_kind(ErrorCode::ServiceUnavailable), (529, "overloaded_error"));
/// assert_eq!(error_kind(ErrorCode::MissingModel), (400, "invalid_request_error"));
/// ```
pub fn error_kind(code: ErrorCode) -> (u16, &'static str) {
    match code {
        ErrorCode::InvalidApiKey => (401, "authentication_error"),
        ErrorCode::UpstreamAccessDenied | ErrorCode::PermissionDenied => (403, "permission_error"),
        ErrorCode::ModelNotFound | ErrorCode::NotFound => (404, "not_found_error"),
        ErrorCode::RequestTooLarge => (413, "request_too_large"),
        ErrorCode::RateLimitExceeded | ErrorCode::InsufficientQuota => (429, "rate_limit_error"),
        ErrorCode::ServiceUnavailable => (529, "overloaded_error"),
        ErrorCode::UpstreamTimeout => (504, "timeout_error"),
        ErrorCode::InternalError => (500, "api_error"),
        ErrorCode::UpstreamError | ErrorCode::UpstreamUnreachable | ErrorCode::UpstreamAuthenticationError => {
            (502, "api_error")
        }
        // 405, 408, 414, 431 keep their own status; Anthropic's body calls them invalid requests.
        other => (other.http_status(), "invalid_request_error"),
    }
}

/// The obs error code of an Anthropic error `type` (an `error` event in a Claude stream, an error body).
///
/// ```
/// use obs_models::anthropic::error_code;
/// use obs_models::error::ErrorCode;
///
/// assert_eq!(error_code("overloaded_error"), ErrorCode::ServiceUnavailable);
/// assert_eq!(error_code("something_new"), ErrorCode::UpstreamError);
/// ```
pub fn error_code(kind: &str) -> ErrorCode {
    match kind {
        "rate_limit_error" => ErrorCode::RateLimitExceeded,
        "overloaded_error" => ErrorCode::ServiceUnavailable,
        "invalid_request_error" => ErrorCode::UpstreamValidationError,
        "timeout_error" => ErrorCode::UpstreamTimeout,
        _ => ErrorCode::UpstreamError,
    }
}
