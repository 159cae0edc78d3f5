//! An internal answer → Bedrock's Converse response JSON (docs/reference/bedrock-ingress.md §3), for a target that
//! does not speak Converse: the message's text and tool calls as content blocks, the stop reason and usage in
//! Converse's names.

use obs_models::openai::{ChatCompletionResponse, FinishReason};
use serde_json::{Value, json};

use crate::Error;

/// Converse's `stopReason` for an internal finish reason.
pub fn stop_reason(reason: Option<&FinishReason>) -> &'static str {
    match reason {
        Some(FinishReason::Length) => "max_tokens",
        Some(FinishReason::ToolCalls) => "tool_use",
        Some(FinishReason::ContentFilter) => "content_filtered",
        _ => "end_turn",
    }
}

/// The Converse response for an answer.
pub fn from_internal(response: &ChatCompletionResponse) -> Result<Value, Error> {
    let choice = response.choices.first().ok_or_else(|| Error::upstream("The upstream answer has no choices."))?;
    let mut content = Vec::new();
    if let Some(reasoning) = choice.message.reasoning_content.as_deref().filter(|r| !r.is_empty()) {
        content.push(json!({"reasoningContent": {"reasoningText": {"text": reasoning}}}));
    }
    if let Some(text) = choice.message.content.as_deref().filter(|t| !t.is_empty()) {
        content.push(json!({"text": text}));
    }
    for call in choice.message.tool_calls.iter().flatten() {
        content.push(json!({"toolUse": {
            "toolUseId": call.id,
            "name": call.function.name,
            "input": crate::claude_out::arguments_object(&call.function.arguments),
        }}));
    }
    let usage = response.usage.as_ref();
    let input = usage.map_or(0, |u| u.prompt_tokens);
    let output = usage.map_or(0, |u| u.completion_tokens);
    Ok(json!({
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": stop_reason(choice.finish_reason.as_ref()),
        "usage": {"inputTokens": input, "outputTokens": output, "totalTokens": input + output},
        "metrics": {"latencyMs": 0}
    }))
}
