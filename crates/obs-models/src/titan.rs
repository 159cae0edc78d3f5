//! Amazon Titan Text bodies (InvokeModel).

use serde::{Deserialize, Serialize};

use crate::JsonObject;

/// Titan request: `{"inputText","textGenerationConfig"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TitanRequest {
    /// The prompt (obs writes a `User:`/`Bot:` transcript).
    pub input_text: String,
    /// Generation parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_generation_config: Option<TitanGenerationConfig>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// `textGenerationConfig`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TitanGenerationConfig {
    /// Output-token limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_token_count: Option<u32>,
    /// 0..=1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// 0..=1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    /// Stop sequences.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_sequences: Option<Vec<String>>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// Titan response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TitanResponse {
    /// Input tokens.
    pub input_text_token_count: u64,
    /// One result.
    pub results: Vec<TitanResult>,
}

/// One Titan result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TitanResult {
    /// Output tokens.
    pub token_count: u64,
    /// The text.
    pub output_text: String,
    /// `FINISH`, `LENGTH`, `CONTENT_FILTERED`, ….
    pub completion_reason: Option<String>,
}

/// One Titan stream chunk. `totalOutputTextTokenCount` and `completionReason` are `null` until the last chunk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TitanStreamChunk {
    /// Text fragment.
    pub output_text: String,
    /// Always 0.
    #[serde(default)]
    pub index: u32,
    /// Output tokens, on the last chunk.
    #[serde(default)]
    pub total_output_text_token_count: Option<u64>,
    /// Finish reason, on the last chunk.
    #[serde(default)]
    pub completion_reason: Option<String>,
    /// Input tokens, on the first chunk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_text_token_count: Option<u64>,
    /// Other fields (`amazon-bedrock-invocationMetrics`).
    #[serde(flatten)]
    pub extra: JsonObject,
}
