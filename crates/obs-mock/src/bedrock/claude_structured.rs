//! Claude's native structured output on InvokeModel, as Bedrock documents it: `output_config.format` =
//! `{"type":"json_schema","schema":{…}}`, taken by Claude Sonnet 4.5, Haiku 4.5, Opus 4.1, 4.5 and 4.6 only; the
//! answer's text is then JSON valid against the schema (built by the emulator's schema example).

use serde_json::Value;

use super::errors::BedrockError;
use crate::plan::OutputFormat;

/// Model id fragments of the Claude models that take `output_config.format`.
const CAPABLE: [&str; 5] =
    ["claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1", "claude-opus-4-5", "claude-opus-4-6"];

/// The structured output a Claude body asks for, checked; `None` without `output_config.format`.
pub(super) fn output_format(model_id: &str, request: &Value) -> Result<Option<OutputFormat>, BedrockError> {
    let Some(format) = request.pointer("/output_config/format") else { return Ok(None) };
    if !CAPABLE.iter().any(|m| model_id.contains(m)) {
        return Err(BedrockError::validation(format!(
            "output_config.format: structured outputs are not supported by the model {model_id}."
        )));
    }
    if format.get("type").and_then(Value::as_str) != Some("json_schema") {
        return Err(BedrockError::validation("output_config.format.type: Input should be 'json_schema'"));
    }
    match format.get("schema") {
        Some(schema @ Value::Object(_)) => Ok(Some(OutputFormat::JsonSchema(schema.clone()))),
        _ => Err(BedrockError::validation("output_config.format.schema: Field required")),
    }
}
