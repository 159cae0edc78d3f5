//! Internal response → Anthropic message, for `?target_format=bedrock_claude` (docs/reference/formats.md §9.2) and for
//! a Messages request (`/v1/messages`) served by a model other than Claude on Bedrock.

use obs_models::claude::{ClaudeResponse, ClaudeUsage, ContentBlock, ThinkingBlock, ToolUseBlock};
use obs_models::openai::ChatCompletionResponse;
use serde_json::Value;

use crate::{Error, finish};

/// Converts the first choice: reasoning as a `thinking` block, the text as a `text` block when there is text, then
/// one `tool_use` block per tool call (its `input` the parsed arguments object).
pub fn from_internal(response: &ChatCompletionResponse) -> Result<ClaudeResponse, Error> {
    let choice = response.choices.first().ok_or_else(|| Error::upstream("The upstream answer had no choices."))?;
    let mut content = Vec::new();
    // Claude's own blocks, signed, when the answer came from Claude; else the reasoning text as one block.
    let signed = choice
        .message
        .extra
        .get("thinking_blocks")
        .and_then(|blocks| serde_json::from_value::<Vec<ContentBlock>>(blocks.clone()).ok())
        .filter(|blocks| !blocks.is_empty());
    if let Some(blocks) = signed {
        content.extend(blocks);
    } else if let Some(reasoning) = choice.message.reasoning_content.as_ref().filter(|r| !r.is_empty()) {
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
        // A Claude-shaped answer has a Claude-shaped id (`msg_…`), whichever model wrote it.
        id: crate::anthropic::message_id(&response.id),
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

/// The answer of a Messages request (`/v1/messages`) served by a model other than Claude on Bedrock: as
/// [`from_internal`], every thinking block with a `signature` (empty: such a model signs nothing).
pub fn to_message(response: &ChatCompletionResponse) -> Result<ClaudeResponse, Error> {
    let mut message = from_internal(response)?;
    for block in &mut message.content {
        if let ContentBlock::Thinking(thinking) = block {
            thinking.signature.get_or_insert_with(String::new);
        }
    }
    Ok(message)
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
