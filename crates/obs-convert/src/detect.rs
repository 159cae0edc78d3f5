//! Ingress format detection on the raw JSON object (docs/reference/formats.md §2).
//!
//! Precedence: `anthropic_version` → Bedrock Claude; a string `inputText` → Bedrock Titan (whose
//! `textGenerationConfig` is optional, as Bedrock has it); an array `messages` → OpenAI; anything else is unsupported.
//! Keys are case-sensitive. The original's heuristics (`max_tokens` + `system`/`top_k`/… meaning Claude) are
//! deliberately gone: an OpenAI body with a named `tool_choice` is OpenAI.

use serde_json::Value;

/// The format a request body arrived in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IngressFormat {
    /// OpenAI chat completions.
    OpenAi,
    /// Anthropic Messages as Bedrock takes it.
    BedrockClaude,
    /// Amazon Titan Text.
    BedrockTitan,
}

impl IngressFormat {
    /// The name used in logs and the health endpoint.
    pub fn as_str(self) -> &'static str {
        match self {
            IngressFormat::OpenAi => "openai",
            IngressFormat::BedrockClaude => "bedrock_claude",
            IngressFormat::BedrockTitan => "bedrock_titan",
        }
    }
}

/// Detects the format of a body; `None` when it matches none (or is not an object).
///
/// ```
/// use obs_convert::detect::{IngressFormat, detect};
/// use serde_json::json;
///
/// let titan = json!({"inputText": "Hi", "textGenerationConfig": {"maxTokenCount": 10}});
/// assert_eq!(detect(&titan), Some(IngressFormat::BedrockTitan));
/// assert_eq!(detect(&json!({"inputText": "Hi"})), Some(IngressFormat::BedrockTitan));
/// assert_eq!(detect(&json!({"Model": "x", "Messages": []})), None);
/// ```
pub fn detect(body: &Value) -> Option<IngressFormat> {
    let object = body.as_object()?;
    if object.contains_key("anthropic_version") {
        return Some(IngressFormat::BedrockClaude);
    }
    if object.get("inputText").is_some_and(Value::is_string) {
        return Some(IngressFormat::BedrockTitan);
    }
    if object.get("messages").is_some_and(Value::is_array) {
        return Some(IngressFormat::OpenAi);
    }
    None
}
