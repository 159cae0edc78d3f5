use obs_models::error::{ErrorBody, ErrorCode};

/// A conversion or validation failure, carrying what the OpenAI error body needs.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ConvertError {
    /// Error code (its HTTP status and type follow from it).
    pub code: ErrorCode,
    /// One human sentence.
    pub message: String,
    /// Dotted path of the offending field.
    pub param: Option<String>,
}

impl ConvertError {
    /// A new error.
    pub fn new(code: ErrorCode, message: impl Into<String>, param: Option<String>) -> Self {
        ConvertError { code, message: message.into(), param }
    }

    /// `invalid_value` at `param`.
    pub fn invalid(param: impl Into<String>, message: impl Into<String>) -> Self {
        ConvertError::new(ErrorCode::InvalidValue, message, Some(param.into()))
    }

    /// `unsupported_parameter` at `param`.
    pub fn unsupported(param: impl Into<String>, message: impl Into<String>) -> Self {
        ConvertError::new(ErrorCode::UnsupportedParameter, message, Some(param.into()))
    }

    /// `upstream_error`: the upstream answered something obs cannot read.
    pub fn upstream(message: impl Into<String>) -> Self {
        ConvertError::new(ErrorCode::UpstreamError, message, None)
    }

    /// The OpenAI error body for this error.
    pub fn to_body(&self) -> ErrorBody {
        ErrorBody::new(self.code, self.message.clone(), self.param.clone())
    }
}
