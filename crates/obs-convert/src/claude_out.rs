//! Internal response → Claude response for `?target_format=bedrock_claude` (contract §6.1).

use obs_models::claude::{ClaudeResponse, ClaudeUsage, ContentBlock, ThinkingBlock, ToolUseBlock};
use obs_models::openai::ChatCompletionResponse;
use serde_json::Value;

use crate::{Error, finish};

/// Converts the first choice: reasoning as a `thinking` block, the text as a `text` block when there is text, then
/// one `tool_use` block per tool call (its `input` the parsed arguments object).
pub fn from_internal(response: &ChatCompletionResponse) -> Result<ClaudeResponse, Error> {
    let choice = response.choices.first().ok_or_else(|| Error::upstream("The upstream answer had no choices."))?;
    let mut content = Vec::new();
    if let Some(reasoning) = choice.message.reasoning_content.as_ref().filter(|r| !r.is_empty()) {
        content.push(ContentBlock::Thinking(ThinkingBlock { thinking: reasoning.clone(), signature: None }));
    }
    if let Some(text) = choice.message.content.as_ref().filter(|t| !t.is_empty()) {
        content.push(ContentBlock::text(text.clone()));
    }
    for call in choice.message.tool_calls.iter().flatten() {
        content.push(ContentBlock::ToolUse(ToolUseBlock {
            id: call.id.clone(),
            name: call.function.name.clone(),
            input: arguments_object(&call.function.arguments),
        }));
    }
    let usage = response.usage.as_ref();
    Ok(ClaudeResponse {
        id: response.id.clone(),
        kind: "message".to_owned(),
        role: "assistant".to_owned(),
        model: response.model.clone(),
        content,
        stop_reason: Some(finish::to_claude(choice.finish_reason.as_ref()).to_owned()),
        stop_sequence: None,
        usage: ClaudeUsage {
            input_tokens: usage.map_or(0, |u| u.prompt_tokens),
            output_tokens: usage.map_or(0, |u| u.completion_tokens),
            extra: Default::default(),
        },
    })
}

/// Tool arguments as a JSON object; an upstream that sent malformed JSON gets its raw text kept under `_raw`
/// rather than silently dropped.
pub(crate) fn arguments_object(arguments: &str) -> Value {
    if arguments.trim().is_empty() {
        return Value::Object(Default::default());
    }
    match serde_json::from_str::<Value>(arguments) {
        Ok(value @ Value::Object(_)) => value,
        _ => serde_json::json!({ "_raw": arguments }),
    }
}
