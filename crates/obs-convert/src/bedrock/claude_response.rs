//! Claude InvokeModel response → internal response (docs/reference/formats.md §7.3, §8.2).

use obs_models::claude::{ClaudeResponse, ContentBlock};
use obs_models::openai::{ChatCompletionResponse, FinishReason, ResponseMessage, ToolCall};
use serde_json::Value;

use super::usage::InputTokens;
use super::{ResponseMeta, UnknownStopReason};
use crate::{Error, finish};

/// Parses a Claude response body. Block types obs does not know (server tools, …) are skipped, not fatal.
pub fn parse(body: &[u8]) -> Result<ClaudeResponse, Error> {
    // UTF-8 checked once for the whole body: parsing from `&str` skips serde_json's check of every string.
    let body = std::str::from_utf8(body)
        .map_err(|e| Error::upstream(format!("The Claude response is not valid JSON: {e}.")))?;
    // The typed parse is the hot path; the generic one below only runs when a block obs does not read is present.
    if let Ok(response) = serde_json::from_str::<ClaudeResponse>(body)
        && response.content.iter().all(is_answer_block)
    {
        return Ok(response);
    }
    let mut value: Value = serde_json::from_str(body)
        .map_err(|e| Error::upstream(format!("The Claude response is not valid JSON: {e}.")))?;
    if let Some(Value::Array(blocks)) = value.get_mut("content") {
        blocks.retain(|b| {
            matches!(
                b.get("type").and_then(Value::as_str),
                Some("text" | "tool_use" | "thinking" | "redacted_thinking")
            )
        });
    }
    serde_json::from_value(value)
        .map_err(|e| Error::upstream(format!("The Claude response has an unexpected shape: {e}.")))
}

/// The block kinds a Claude answer is read for (the same list the generic path keeps).
fn is_answer_block(block: &ContentBlock) -> bool {
    matches!(
        block,
        ContentBlock::Text(_)
            | ContentBlock::ToolUse(_)
            | ContentBlock::Thinking(_)
            | ContentBlock::RedactedThinking(_)
    )
}

/// Converts a Claude response: text blocks concatenated (null when none), `tool_use` → `tool_calls`, `thinking` →
/// `reasoning_content` (and every thinking block, signed, as `thinking_blocks`), stop reason and usage mapped.
pub fn to_internal(
    response: ClaudeResponse,
    meta: &ResponseMeta,
) -> (ChatCompletionResponse, Option<UnknownStopReason>) {
    let mut text: Option<String> = None;
    let mut reasoning: Option<String> = None;
    let mut tool_calls = Vec::new();
    let thinking_blocks = super::reasoning::blocks_json(&response.content);
    for block in response.content {
        match block {
            ContentBlock::Text(t) => text.get_or_insert_with(String::new).push_str(&t.text),
            ContentBlock::Thinking(t) => reasoning.get_or_insert_with(String::new).push_str(&t.thinking),
            ContentBlock::ToolUse(call) => {
                tool_calls.push(ToolCall::function(call.id, call.name, call.input.to_string()));
            }
            _ => {}
        }
    }
    let (mut finish_reason, known) = finish::from_bedrock(response.stop_reason.as_deref().unwrap_or("end_turn"));
    if !tool_calls.is_empty() && finish_reason == FinishReason::Stop {
        finish_reason = FinishReason::ToolCalls;
    }
    let unknown = (!known).then(|| UnknownStopReason(response.stop_reason.unwrap_or_default()));
    let mut message = ResponseMessage::assistant(text, tool_calls);
    message.reasoning_content = reasoning;
    if let Some(blocks) = thinking_blocks {
        // With their signatures, so a client can send them back on the next (tool) turn.
        message.extra.insert("thinking_blocks".to_owned(), blocks);
    }
    let usage = InputTokens::from_claude(response.usage.input_tokens, &response.usage.extra)
        .usage(response.usage.output_tokens);
    (meta.response(message, finish_reason, usage), unknown)
}
