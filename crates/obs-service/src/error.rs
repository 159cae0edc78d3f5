use obs_adapters::AdapterError;
use obs_convert::ConvertError;
use obs_models::error::{ErrorBody, ErrorCode};

/// Why a completion or a listing failed: the contract §2 code and a human sentence, plus `retry-after` when the
/// upstream gave one.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ServiceError {
    /// The code (gives the HTTP status and OpenAI type).
    pub code: ErrorCode,
    /// One sentence; never a secret.
    pub message: String,
    /// The offending request field.
    pub param: Option<String>,
    /// Upstream `retry-after`, passed through on 429.
    pub retry_after: Option<String>,
}

impl ServiceError {
    /// An error with a code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ServiceError { code, message: message.into(), param: None, retry_after: None }
    }

    /// The OpenAI error body.
    pub fn to_body(&self) -> ErrorBody {
        ErrorBody::new(self.code, self.message.clone(), self.param.clone())
    }
}

impl From<AdapterError> for ServiceError {
    fn from(e: AdapterError) -> Self {
        ServiceError { code: e.code, message: e.message, param: e.param, retry_after: e.retry_after }
    }
}

impl From<ConvertError> for ServiceError {
    fn from(e: ConvertError) -> Self {
        ServiceError { code: e.code, message: e.message, param: e.param, retry_after: None }
    }
}
