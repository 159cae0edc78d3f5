//! `?target_format=` (docs/reference/formats.md §9): `openai` (default), `bedrock_claude` (`claude`, `anthropic`),
//! `bedrock_titan` (`titan`), case-insensitive; anything else is 400 `invalid_target_format`.

use obs_models::error::ErrorCode;

use crate::Error;

/// The format obs answers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TargetFormat {
    /// OpenAI chat completions.
    #[default]
    OpenAi,
    /// Anthropic Messages response / event stream.
    BedrockClaude,
    /// Titan results / chunks.
    BedrockTitan,
}

impl TargetFormat {
    /// Parses a `target_format` value; `None` (parameter absent) means OpenAI.
    pub fn parse(value: Option<&str>) -> Result<Self, Error> {
        let Some(value) = value else { return Ok(TargetFormat::OpenAi) };
        match value.to_ascii_lowercase().as_str() {
            "openai" => Ok(TargetFormat::OpenAi),
            "bedrock_claude" | "claude" | "anthropic" => Ok(TargetFormat::BedrockClaude),
            "bedrock_titan" | "titan" => Ok(TargetFormat::BedrockTitan),
            _ => Err(Error::new(
                ErrorCode::InvalidTargetFormat,
                format!("Unknown target_format '{value}': use openai, bedrock_claude or bedrock_titan."),
            )
            .with_param("target_format".to_owned())),
        }
    }

    /// The canonical name.
    pub fn as_str(self) -> &'static str {
        match self {
            TargetFormat::OpenAi => "openai",
            TargetFormat::BedrockClaude => "bedrock_claude",
            TargetFormat::BedrockTitan => "bedrock_titan",
        }
    }
}
