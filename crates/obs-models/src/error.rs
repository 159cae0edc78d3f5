//! The OpenAI error body and the closed list of error codes obs answers with (contract §2).

use serde::{Deserialize, Serialize};

/// `{"error":{"message","type","param","code"}}` — the only error body obs ever sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error object.
    pub error: ErrorObject,
}

/// The inner object of [`ErrorBody`]. `param` and `code` are always present, `null` when unknown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorObject {
    /// One human sentence; never a secret, never a debug dump.
    pub message: String,
    /// OpenAI's error type (`invalid_request_error`, `rate_limit_error`, …).
    #[serde(rename = "type")]
    pub kind: String,
    /// Dotted path of the offending request field, when there is one.
    pub param: Option<String>,
    /// Machine-readable code (see [`ErrorCode`]).
    pub code: Option<String>,
}

impl ErrorBody {
    /// Builds the body for `code` with a message and optional param.
    pub fn new(code: ErrorCode, message: impl Into<String>, param: Option<String>) -> Self {
        ErrorBody {
            error: ErrorObject {
                message: message.into(),
                kind: code.error_type().to_owned(),
                param,
                code: Some(code.as_str().to_owned()),
            },
        }
    }
}

/// Every error code of contract §2, with its OpenAI `type` and HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// Body is not JSON.
    InvalidJson,
    /// JSON but not an object.
    InvalidBody,
    /// Object matches no ingress format.
    UnsupportedFormat,
    /// No usable model id.
    MissingModel,
    /// `messages` is empty.
    EmptyMessages,
    /// Any other validation failure.
    InvalidValue,
    /// A valid field the target model cannot honour.
    UnsupportedParameter,
    /// Unknown `target_format`.
    InvalidTargetFormat,
    /// The upstream rejected the request as invalid.
    UpstreamValidationError,
    /// Missing or wrong gateway API key.
    InvalidApiKey,
    /// Bedrock `AccessDeniedException`.
    UpstreamAccessDenied,
    /// No provider for the model, or the upstream does not know it.
    ModelNotFound,
    /// Unknown route.
    NotFound,
    /// Known route, wrong method.
    MethodNotAllowed,
    /// Body over the size limit.
    RequestTooLarge,
    /// Upstream throttling.
    RateLimitExceeded,
    /// A bug in obs.
    InternalError,
    /// Upstream 5xx or an unparseable upstream answer.
    UpstreamError,
    /// Connect, DNS or TLS failure.
    UpstreamUnreachable,
    /// The gateway's own upstream credentials were refused or are missing.
    UpstreamAuthenticationError,
    /// Upstream unavailable, model not ready, or obs shutting down.
    ServiceUnavailable,
    /// Upstream timed out.
    UpstreamTimeout,
}

impl ErrorCode {
    /// The `code` string on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidJson => "invalid_json",
            ErrorCode::InvalidBody => "invalid_body",
            ErrorCode::UnsupportedFormat => "unsupported_format",
            ErrorCode::MissingModel => "missing_model",
            ErrorCode::EmptyMessages => "empty_messages",
            ErrorCode::InvalidValue => "invalid_value",
            ErrorCode::UnsupportedParameter => "unsupported_parameter",
            ErrorCode::InvalidTargetFormat => "invalid_target_format",
            ErrorCode::UpstreamValidationError => "upstream_validation_error",
            ErrorCode::InvalidApiKey => "invalid_api_key",
            ErrorCode::UpstreamAccessDenied => "upstream_access_denied",
            ErrorCode::ModelNotFound => "model_not_found",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::RequestTooLarge => "request_too_large",
            ErrorCode::RateLimitExceeded => "rate_limit_exceeded",
            ErrorCode::InternalError => "internal_error",
            ErrorCode::UpstreamError => "upstream_error",
            ErrorCode::UpstreamUnreachable => "upstream_unreachable",
            ErrorCode::UpstreamAuthenticationError => "upstream_authentication_error",
            ErrorCode::ServiceUnavailable => "service_unavailable",
            ErrorCode::UpstreamTimeout => "upstream_timeout",
        }
    }

    /// OpenAI's `type` for this code.
    pub fn error_type(self) -> &'static str {
        match self.http_status() {
            403 => "permission_error",
            429 => "rate_limit_error",
            s if s >= 500 => "api_error",
            _ => "invalid_request_error",
        }
    }

    /// The HTTP status this code is answered with.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::InvalidJson
            | ErrorCode::InvalidBody
            | ErrorCode::UnsupportedFormat
            | ErrorCode::MissingModel
            | ErrorCode::EmptyMessages
            | ErrorCode::InvalidValue
            | ErrorCode::UnsupportedParameter
            | ErrorCode::InvalidTargetFormat
            | ErrorCode::UpstreamValidationError => 400,
            ErrorCode::InvalidApiKey => 401,
            ErrorCode::UpstreamAccessDenied => 403,
            ErrorCode::ModelNotFound | ErrorCode::NotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::RequestTooLarge => 413,
            ErrorCode::RateLimitExceeded => 429,
            ErrorCode::InternalError => 500,
            ErrorCode::UpstreamError | ErrorCode::UpstreamUnreachable | ErrorCode::UpstreamAuthenticationError => 502,
            ErrorCode::ServiceUnavailable => 503,
            ErrorCode::UpstreamTimeout => 504,
        }
    }

    /// Every code, for exhaustive tests and documentation.
    pub const ALL: [ErrorCode; 22] = [
        ErrorCode::InvalidJson,
        ErrorCode::InvalidBody,
        ErrorCode::UnsupportedFormat,
        ErrorCode::MissingModel,
        ErrorCode::EmptyMessages,
        ErrorCode::InvalidValue,
        ErrorCode::UnsupportedParameter,
        ErrorCode::InvalidTargetFormat,
        ErrorCode::UpstreamValidationError,
        ErrorCode::InvalidApiKey,
        ErrorCode::UpstreamAccessDenied,
        ErrorCode::ModelNotFound,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::RequestTooLarge,
        ErrorCode::RateLimitExceeded,
        ErrorCode::InternalError,
        ErrorCode::UpstreamError,
        ErrorCode::UpstreamUnreachable,
        ErrorCode::UpstreamAuthenticationError,
        ErrorCode::ServiceUnavailable,
        ErrorCode::UpstreamTimeout,
    ];
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
