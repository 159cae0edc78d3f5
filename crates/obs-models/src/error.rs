//! The OpenAI error body, the closed list of error codes obs answers with (docs/reference/errors.md §2), and [`Error`]:
//! the one error every library layer (conversion, adapters, service) returns.

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

/// Every error code of docs/reference/errors.md §2, with its OpenAI `type` and HTTP status.
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
    /// The gateway key is valid but may not do this: a model outside a managed key's `models`, an admin route
    /// without an admin key.
    PermissionDenied,
    /// No provider for the model, or the upstream does not know it.
    ModelNotFound,
    /// Unknown route.
    NotFound,
    /// Known route, wrong method.
    MethodNotAllowed,
    /// The request is not valid HTTP (its request line or headers).
    InvalidRequest,
    /// The request's headers are too many or too large.
    HeadersTooLarge,
    /// The request's URI is too long.
    UriTooLong,
    /// Body over the size limit.
    RequestTooLarge,
    /// The request (its body) did not arrive in time.
    RequestTimeout,
    /// Upstream throttling; a managed key over its `rpm`, `tpm` or `max_parallel`.
    RateLimitExceeded,
    /// A managed key over its budget for the period.
    InsufficientQuota,
    /// A bug in obs.
    InternalError,
    /// Upstream 5xx or an unparseable upstream answer.
    UpstreamError,
    /// Connect, DNS or TLS failure.
    UpstreamUnreachable,
    /// The gateway's own upstream credentials were refused or are missing.
    UpstreamAuthenticationError,
    /// Upstream unavailable or model not ready; obs over its concurrency limit or its request-body budget. (On
    /// shutdown obs stops accepting and lets requests in flight finish, so no request is answered with it then.)
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
            ErrorCode::PermissionDenied => "permission_denied",
            ErrorCode::ModelNotFound => "model_not_found",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::HeadersTooLarge => "request_headers_too_large",
            ErrorCode::UriTooLong => "uri_too_long",
            ErrorCode::RequestTooLarge => "request_too_large",
            ErrorCode::RequestTimeout => "request_timeout",
            ErrorCode::RateLimitExceeded => "rate_limit_exceeded",
            ErrorCode::InsufficientQuota => "insufficient_quota",
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
        if self == ErrorCode::InsufficientQuota {
            // OpenAI's own type for a spent quota, which its SDKs and clients recognise.
            return "insufficient_quota";
        }
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
            ErrorCode::UpstreamAccessDenied | ErrorCode::PermissionDenied => 403,
            ErrorCode::ModelNotFound | ErrorCode::NotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::InvalidRequest => 400,
            ErrorCode::RequestTimeout => 408,
            ErrorCode::UriTooLong => 414,
            ErrorCode::HeadersTooLarge => 431,
            ErrorCode::RequestTooLarge => 413,
            ErrorCode::RateLimitExceeded | ErrorCode::InsufficientQuota => 429,
            ErrorCode::InternalError => 500,
            ErrorCode::UpstreamError | ErrorCode::UpstreamUnreachable | ErrorCode::UpstreamAuthenticationError => 502,
            ErrorCode::ServiceUnavailable => 503,
            ErrorCode::UpstreamTimeout => 504,
        }
    }

    /// Whether the code reports something an upstream said or did (as opposed to obs refusing the request itself).
    pub fn is_upstream(self) -> bool {
        matches!(
            self,
            ErrorCode::UpstreamValidationError
                | ErrorCode::UpstreamAccessDenied
                | ErrorCode::ModelNotFound
                | ErrorCode::RateLimitExceeded
                | ErrorCode::UpstreamError
                | ErrorCode::UpstreamUnreachable
                | ErrorCode::UpstreamAuthenticationError
                | ErrorCode::ServiceUnavailable
                | ErrorCode::UpstreamTimeout
        )
    }

    /// Every code, for exhaustive tests and documentation.
    pub const ALL: [ErrorCode; 28] = [
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
        ErrorCode::PermissionDenied,
        ErrorCode::ModelNotFound,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::InvalidRequest,
        ErrorCode::HeadersTooLarge,
        ErrorCode::UriTooLong,
        ErrorCode::RequestTooLarge,
        ErrorCode::RequestTimeout,
        ErrorCode::RateLimitExceeded,
        ErrorCode::InsufficientQuota,
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

/// Why a request failed, in every layer below the HTTP server: the code (which gives the status and OpenAI type),
/// one human sentence, the offending field and the upstream's `retry-after`. Each ingress API's server maps it
/// to its own error shape once, at the edge.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    /// The code of docs/reference/errors.md §2.
    pub code: ErrorCode,
    /// One human sentence, the upstream's own message where it gave one. Never a secret, an address or an error
    /// chain.
    pub message: String,
    /// Dotted path of the offending request field.
    pub param: Option<String>,
    /// The upstream's `retry-after`, passed on with a 429.
    pub retry_after: Option<String>,
    /// What the operator needs and a client must not see (an error chain naming a URL, an address, an OS error):
    /// written to the request's log line, never into an answer.
    pub detail: Option<String>,
    /// Calls the gateway repeated after retryable failures before giving up with this error (`x-obs-retries`).
    pub retries: u32,
}

impl Error {
    /// An error with a code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error { code, message: message.into(), param: None, retry_after: None, detail: None, retries: 0 }
    }

    /// The same error with `detail` for the log.
    #[must_use]
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// The same error about request field `param`.
    #[must_use]
    pub fn with_param(mut self, param: impl Into<String>) -> Self {
        self.param = Some(param.into());
        self
    }

    /// `invalid_value` at `param`.
    pub fn invalid(param: impl Into<String>, message: impl Into<String>) -> Self {
        Error::new(ErrorCode::InvalidValue, message).with_param(param)
    }

    /// `unsupported_parameter` at `param`.
    pub fn unsupported(param: impl Into<String>, message: impl Into<String>) -> Self {
        Error::new(ErrorCode::UnsupportedParameter, message).with_param(param)
    }

    /// `upstream_error`: the upstream answered something obs cannot read.
    pub fn upstream(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::UpstreamError, message)
    }

    /// Whether retrying the same request on the same target may succeed: connect failures, throttling,
    /// unavailability — only ever before any output reached the client.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.code,
            ErrorCode::UpstreamUnreachable | ErrorCode::RateLimitExceeded | ErrorCode::ServiceUnavailable
        )
    }

    /// Whether another target may succeed where this one failed: everything [`Error::is_retryable`] covers, plus
    /// timeouts, the upstream's own 500-class failures and unreadable answers, and the gateway's credentials or
    /// model access refused by that upstream. Never a fault of the request itself (validation, unknown model).
    pub fn allows_fallback(&self) -> bool {
        self.is_retryable()
            || matches!(
                self.code,
                ErrorCode::UpstreamTimeout
                    | ErrorCode::UpstreamError
                    | ErrorCode::UpstreamAuthenticationError
                    | ErrorCode::UpstreamAccessDenied
            )
    }

    /// The OpenAI error body.
    pub fn to_body(&self) -> ErrorBody {
        ErrorBody::new(self.code, self.message.clone(), self.param.clone())
    }
}
