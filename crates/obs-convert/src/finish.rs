//! Finish-reason mapping between Bedrock (Claude, Titan, Converse) and OpenAI (docs/reference/formats.md §8.2, §9.2,
//! §9.3).

use obs_models::openai::FinishReason;

/// Maps a Bedrock stop reason to OpenAI's. The flag is `false` when the value was unknown (mapped to `stop`), so
/// the caller can log it at WARN.
pub fn from_bedrock(reason: &str) -> (FinishReason, bool) {
    match reason {
        "end_turn" | "stop_sequence" | "FINISH" | "stop" => (FinishReason::Stop, true),
        "max_tokens" | "LENGTH" | "model_context_window_exceeded" | "length" => (FinishReason::Length, true),
        "tool_use" => (FinishReason::ToolCalls, true),
        "guardrail_intervened" | "content_filtered" | "CONTENT_FILTERED" | "refusal" => {
            (FinishReason::ContentFilter, true)
        }
        _ => (FinishReason::Stop, false),
    }
}

/// OpenAI finish reason → Claude `stop_reason` (`stop`→`end_turn`, `length`→`max_tokens`, `tool_calls`→`tool_use`,
/// `content_filter`→`refusal`; anything else `end_turn`).
pub fn to_claude(reason: Option<&FinishReason>) -> &'static str {
    match reason {
        Some(FinishReason::Length) => "max_tokens",
        Some(FinishReason::ToolCalls) => "tool_use",
        Some(FinishReason::ContentFilter) => "refusal",
        _ => "end_turn",
    }
}

/// OpenAI finish reason → Titan `completionReason` (`length`→`LENGTH`, `content_filter`→`CONTENT_FILTERED`, else
/// `FINISH`).
pub fn to_titan(reason: Option<&FinishReason>) -> &'static str {
    match reason {
        Some(FinishReason::Length) => "LENGTH",
        Some(FinishReason::ContentFilter) => "CONTENT_FILTERED",
        _ => "FINISH",
    }
}
