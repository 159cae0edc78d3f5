//! A Bedrock Guardrail to apply to one request (docs/reference/formats.md §7.12): which guardrail, its version, and
//! whether Bedrock reports its assessment. Filled from the request (body or headers), a model group or the provider,
//! in that order of precedence; never serialised towards OpenAI-compatible upstreams.

use serde::{Deserialize, Serialize};

/// A guardrail as configured (`guardrail = {id, version, trace}`) or asked for by a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Guardrail {
    /// The guardrail's id or ARN (Bedrock's `guardrailIdentifier`).
    pub id: String,
    /// A version number or `DRAFT` (Bedrock's `guardrailVersion`).
    pub version: String,
    /// Whether Bedrock reports the assessment; absent leaves Bedrock's default (disabled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<GuardrailTrace>,
    /// How ConverseStream applies the guardrail; absent leaves Bedrock's default (`sync`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_processing_mode: Option<StreamProcessingMode>,
}

/// Bedrock's `trace` of a guardrail configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GuardrailTrace {
    /// The assessment is reported.
    Enabled,
    /// No assessment.
    Disabled,
    /// The assessment with every filter, also those that did not intervene.
    EnabledFull,
}

impl GuardrailTrace {
    /// Converse's spelling (`enabled`, `disabled`, `enabled_full`).
    pub fn as_str(self) -> &'static str {
        match self {
            GuardrailTrace::Enabled => "enabled",
            GuardrailTrace::Disabled => "disabled",
            GuardrailTrace::EnabledFull => "enabled_full",
        }
    }

    /// Reads Converse's or InvokeModel's spelling (`enabled` / `ENABLED`, …).
    pub fn parse(text: &str) -> Option<GuardrailTrace> {
        match text.to_ascii_lowercase().as_str() {
            "enabled" => Some(GuardrailTrace::Enabled),
            "disabled" => Some(GuardrailTrace::Disabled),
            "enabled_full" => Some(GuardrailTrace::EnabledFull),
            _ => None,
        }
    }
}

/// ConverseStream's `streamProcessingMode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamProcessingMode {
    /// Chunks are held until the guardrail has assessed them.
    Sync,
    /// Chunks are sent at once and assessed in the background.
    Async,
}

impl StreamProcessingMode {
    /// Reads `sync` / `async`.
    pub fn parse(text: &str) -> Option<StreamProcessingMode> {
        match text {
            "sync" => Some(StreamProcessingMode::Sync),
            "async" => Some(StreamProcessingMode::Async),
            _ => None,
        }
    }
}

/// The obs field that reports a guardrail's outcome on a chat completion and on a stream's finish chunk.
pub const ANSWER_FIELD: &str = "guardrail";
/// InvokeModel's key for whether the guardrail intervened (`INTERVENED` / `NONE`), in the answer body.
pub const INVOKE_ACTION_KEY: &str = "amazon-bedrock-guardrailAction";
/// InvokeModel's key for the assessment (`{"guardrail": …}`), in the answer body.
pub const INVOKE_TRACE_KEY: &str = "amazon-bedrock-trace";
/// The action of a guardrail that blocked or masked content.
pub const INTERVENED: &str = "INTERVENED";
