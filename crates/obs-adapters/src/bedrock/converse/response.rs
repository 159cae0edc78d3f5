//! Converse output → internal response: reasoning as `reasoning_content` and, signed or redacted, as
//! `thinking_blocks` (docs/reference/formats.md §7.10).

use aws_sdk_bedrockruntime::operation::converse::ConverseOutput as ConverseResult;
use aws_sdk_bedrockruntime::types::{ContentBlock, ConverseOutput, ReasoningContentBlock};
use obs_convert::bedrock::ResponseMeta;
use obs_convert::finish;
use obs_models::openai::{ChatCompletionResponse, FinishReason, ResponseMessage, ToolCall, Usage};

use crate::bedrock::document;

pub(crate) fn to_internal(output: ConverseResult, meta: &ResponseMeta) -> ChatCompletionResponse {
    let mut text: Option<String> = None;
    let mut reasoning: Option<String> = None;
    let mut tool_calls = Vec::new();
    let mut thinking_blocks = Vec::new();
    if let Some(ConverseOutput::Message(message)) = output.output {
        for block in message.content {
            match block {
                ContentBlock::Text(t) => text.get_or_insert_with(String::new).push_str(&t),
                ContentBlock::ToolUse(call) => tool_calls.push(ToolCall::function(
                    call.tool_use_id,
                    call.name,
                    document::to_json(&call.input).to_string(),
                )),
                ContentBlock::ReasoningContent(ReasoningContentBlock::ReasoningText(r)) => {
                    reasoning.get_or_insert_with(String::new).push_str(&r.text);
                    // Signed (Claude) reasoning can be sent back; a model's unsigned reasoning is text only.
                    if let Some(signature) = r.signature {
                        thinking_blocks.push(obs_convert::bedrock::reasoning::signed_block(r.text, signature));
                    }
                }
                ContentBlock::ReasoningContent(ReasoningContentBlock::RedactedContent(data)) => {
                    thinking_blocks.push(super::reasoning::redacted_block(data.as_ref()));
                }
                _ => {}
            }
        }
    }
    let (mut finish_reason, known) = finish::from_bedrock(output.stop_reason.as_str());
    if !known {
        tracing::warn!(stop_reason = output.stop_reason.as_str(), "unknown Converse stop reason mapped to stop");
    }
    if !tool_calls.is_empty() && finish_reason == FinishReason::Stop {
        finish_reason = FinishReason::ToolCalls;
    }
    let usage = output.usage.as_ref().map_or_else(Usage::default, super::usage);
    let mut message = ResponseMessage::assistant(text, tool_calls);
    message.reasoning_content = reasoning;
    if !thinking_blocks.is_empty() {
        message.extra.insert("thinking_blocks".to_owned(), serde_json::Value::Array(thinking_blocks));
    }
    meta.response(message, finish_reason, usage)
}
