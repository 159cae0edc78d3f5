use http::{HeaderValue, Response, StatusCode};
use serde_json::json;

use crate::http::{Body, json};
use crate::scenario::Scenario;

/// A Bedrock service error: status, `x-amzn-errortype` and message.
#[derive(Debug, Clone)]
pub(crate) struct BedrockError {
    pub status: u16,
    pub kind: &'static str,
    pub message: String,
}

impl BedrockError {
    pub(crate) fn new(status: u16, kind: &'static str, message: impl Into<String>) -> Self {
        BedrockError { status, kind, message: message.into() }
    }

    pub(crate) fn validation(message: impl Into<String>) -> Self {
        BedrockError::new(400, "ValidationException", message)
    }
}

pub(crate) fn error_response(error: &BedrockError) -> Response<Body> {
    let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = json(status, &json!({"message": error.message}));
    let kind = format!("{}:http://internal.amazon.com/coral/com.amazon.bedrock/", error.kind);
    if let Ok(value) = HeaderValue::from_str(&kind) {
        response.headers_mut().insert("x-amzn-errortype", value);
    }
    response
}

/// The error a scenario answers before any output.
pub(crate) fn for_scenario(scenario: Scenario, streaming: bool) -> Option<BedrockError> {
    Some(match scenario {
        Scenario::Throttle => {
            BedrockError::new(429, "ThrottlingException", "Too many requests, please wait before trying again.")
        }
        Scenario::Denied => BedrockError::new(
            403,
            "AccessDeniedException",
            "You don't have access to the model with the specified model ID.",
        ),
        Scenario::Invalid => BedrockError::validation("The provided request is not valid (mock scenario 'invalid')."),
        Scenario::NotFound => BedrockError::new(404, "ResourceNotFoundException", "Model not found."),
        Scenario::Unavailable => {
            BedrockError::new(503, "ServiceUnavailableException", "Bedrock is unable to process your request.")
        }
        Scenario::Timeout => {
            BedrockError::new(408, "ModelTimeoutException", "Model has timed out in processing the request.")
        }
        Scenario::MidstreamError if !streaming => {
            BedrockError::new(500, "InternalServerException", "The server encountered an error processing the request.")
        }
        _ => return None,
    })
}
