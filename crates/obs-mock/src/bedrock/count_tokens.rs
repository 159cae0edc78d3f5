//! CountTokens (`POST /model/{id}/count-tokens`): `{"input":{"invokeModel":{"body":"<base64>"}}}` for Claude (the
//! InvokeModel body, checked as InvokeModel checks it) → `{"inputTokens":N}`, the same count the answer's
//! `usage.input_tokens` would report for that body. Converse input and other models are refused as Bedrock
//! refuses models without a counter.

use base64::Engine as _;
use http::{Response, StatusCode};
use serde_json::{Value, json};

use super::errors::{BedrockError, error_response};
use crate::http::{Body, json as json_response};
use crate::scenario::Scenario;

/// The answer to a CountTokens request for `model_id`.
pub(crate) fn count_tokens(model_id: &str, body: &[u8]) -> Response<Body> {
    match count(model_id, body) {
        Ok(tokens) => json_response(StatusCode::OK, &json!({"inputTokens": tokens})),
        Err(error) => error_response(&error),
    }
}

fn count(model_id: &str, body: &[u8]) -> Result<u64, BedrockError> {
    if let Some(error) = super::errors::for_scenario(Scenario::from_model(model_id), false) {
        return Err(error);
    }
    let lower = model_id.to_ascii_lowercase();
    if !lower.contains("anthropic") && !lower.contains("claude") {
        return Err(BedrockError::validation(format!(
            "The provided model doesn't support counting tokens: {model_id}"
        )));
    }
    let request: Value = serde_json::from_slice(body)
        .map_err(|_| BedrockError::validation("Malformed input request, please reformat your input and try again."))?;
    let Some(encoded) = request.pointer("/input/invokeModel/body").and_then(Value::as_str) else {
        return Err(BedrockError::validation(
            "The mock counts tokens of InvokeModel bodies of Claude models only (input.invokeModel.body).",
        ));
    };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|_| BedrockError::validation("input.invokeModel.body: not valid base64"))?;
    let invoke: Value = serde_json::from_slice(&decoded)
        .map_err(|_| BedrockError::validation("Malformed input request, please reformat your input and try again."))?;
    super::claude::input_tokens(&invoke)
}
