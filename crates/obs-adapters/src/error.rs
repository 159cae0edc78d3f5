use obs_convert::ConvertError;
use obs_models::error::{ErrorBody, ErrorCode};

/// An upstream call that failed, with what the client's error needs and what retries need.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct AdapterError {
    /// The contract §2 code (gives the status and type).
    pub code: ErrorCode,
    /// One human sentence, the upstream's own message where it gave one. Never a secret.
    pub message: String,
    /// The offending request field, for errors obs found itself.
    pub param: Option<String>,
    /// The upstream's `retry-after`, passed through on 429.
    pub retry_after: Option<String>,
}

impl AdapterError {
    /// An error with a code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        AdapterError { code, message: message.into(), param: None, retry_after: None }
    }

    /// Whether retrying the same request may succeed (connect failures, throttling, unavailability) — only ever
    /// before any output reached the client.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.code,
            ErrorCode::UpstreamUnreachable | ErrorCode::RateLimitExceeded | ErrorCode::ServiceUnavailable
        )
    }

    /// The OpenAI error body.
    pub fn to_body(&self) -> ErrorBody {
        ErrorBody::new(self.code, self.message.clone(), self.param.clone())
    }
}

impl From<ConvertError> for AdapterError {
    fn from(error: ConvertError) -> Self {
        AdapterError { code: error.code, message: error.message, param: error.param, retry_after: None }
    }
}
