//! The internal answer → a response object (docs/reference/responses.md §4): a `reasoning` item for the reasoning
//! text (its `encrypted_content` when asked for), a `message` with one `output_text`, one `function_call` per tool
//! call; `status` and `incomplete_details` from the finish reason; usage with its cached and reasoning details.

use obs_models::claude::{ContentBlock, ThinkingBlock};
use obs_models::openai::{ChatCompletionResponse, FinishReason, Usage};
use obs_models::responses::{
    IncompleteDetails, InputTokensDetails, OutputContent, OutputItem, OutputTokensDetails, ReasoningSummary, Response,
    ResponseUsage, ResponsesRequest,
};
use serde_json::{Value, json};

use super::new_id;
use super::reasoning;

/// A response of `request` with no output yet: the request's settings echoed as OpenAI does.
pub fn skeleton(request: &ResponsesRequest, id: String, created_at: u64, status: &str) -> Response {
    let reasoning = request.reasoning.as_ref();
    Response {
        id,
        object: "response".to_owned(),
        created_at,
        status: status.to_owned(),
        error: None,
        incomplete_details: None,
        instructions: request.instructions.clone(),
        max_output_tokens: request.max_output_tokens,
        model: request.model.clone(),
        output: Vec::new(),
        parallel_tool_calls: request.parallel_tool_calls.unwrap_or(true),
        previous_response_id: request.previous_response_id.clone(),
        reasoning: json!({
            "effort": reasoning.and_then(|r| r.effort.clone()),
            "summary": reasoning.and_then(|r| r.summary.clone()),
        }),
        store: request.store.unwrap_or(true),
        temperature: request.temperature,
        text: match request.text.as_ref().and_then(|t| t.format.as_ref()) {
            Some(format) => json!({"format": format}),
            None => json!({"format": {"type": "text"}}),
        },
        tool_choice: request.tool_choice.clone().unwrap_or_else(|| Value::String("auto".to_owned())),
        tools: request.tools.clone().unwrap_or_default(),
        top_p: request.top_p,
        truncation: "disabled".to_owned(),
        usage: None,
        user: request.user.clone(),
        metadata: request.metadata.clone().unwrap_or_default(),
        extra: obs_models::JsonObject::new(),
    }
}

/// The status and `incomplete_details` for a finish reason.
pub fn status_of(finish: Option<&FinishReason>) -> (&'static str, Option<IncompleteDetails>) {
    let incomplete = |reason: &str| ("incomplete", Some(IncompleteDetails { reason: reason.to_owned() }));
    match finish {
        Some(FinishReason::Length) => incomplete("max_output_tokens"),
        Some(FinishReason::ContentFilter) => incomplete("content_filter"),
        _ => ("completed", None),
    }
}

/// Responses usage from chat usage (`prompt_tokens_details.cached_tokens`,
/// `completion_tokens_details.reasoning_tokens` when the upstream gave them).
pub fn usage(usage: &Usage) -> ResponseUsage {
    let detail = |outer: &str, inner: &str| {
        usage.extra.get(outer).and_then(|d| d.get(inner)).and_then(Value::as_u64).unwrap_or(0)
    };
    ResponseUsage {
        input_tokens: usage.prompt_tokens,
        input_tokens_details: InputTokensDetails { cached_tokens: detail("prompt_tokens_details", "cached_tokens") },
        output_tokens: usage.completion_tokens,
        output_tokens_details: OutputTokensDetails {
            reasoning_tokens: detail("completion_tokens_details", "reasoning_tokens"),
        },
        total_tokens: usage.total_tokens,
    }
}

/// The Claude blocks a turn's reasoning text stands for: Claude's own, signed, when the internal answer carries
/// them (`thinking_blocks`, docs/reference/formats.md §7.10), else the text as one unsigned block.
pub fn thinking_blocks(reasoning_text: &str, signed: Option<&serde_json::Value>) -> Vec<ContentBlock> {
    signed
        .and_then(|blocks| serde_json::from_value::<Vec<ContentBlock>>(blocks.clone()).ok())
        .filter(|blocks| !blocks.is_empty())
        .unwrap_or_else(|| {
            vec![ContentBlock::Thinking(ThinkingBlock { thinking: reasoning_text.to_owned(), signature: None })]
        })
}

/// The response object for an internal answer.
pub fn from_internal(answer: &ChatCompletionResponse, request: &ResponsesRequest, id: String) -> Response {
    let choice = answer.choices.first();
    let (status, incomplete) = status_of(choice.and_then(|c| c.finish_reason.as_ref()));
    let mut response = skeleton(request, id, answer.created, status);
    response.incomplete_details = incomplete;
    let item_status = if status == "completed" { "completed" } else { "incomplete" };
    if let Some(message) = choice.map(|c| &c.message) {
        if let Some(text) = message.reasoning_content.as_deref().filter(|t| !t.is_empty()) {
            response.output.push(OutputItem::Reasoning {
                id: new_id("rs"),
                summary: vec![ReasoningSummary::text(text)],
                encrypted_content: if request.includes_encrypted_reasoning() {
                    reasoning::encode(&thinking_blocks(text, message.extra.get("thinking_blocks")))
                } else {
                    None
                },
            });
        }
        if let Some(text) = message.content.as_deref().filter(|t| !t.is_empty()) {
            response.output.push(OutputItem::Message {
                id: new_id("msg"),
                status: item_status.to_owned(),
                role: "assistant".to_owned(),
                content: vec![OutputContent::OutputText { text: text.to_owned(), annotations: Vec::new() }],
            });
        }
        for call in message.tool_calls.iter().flatten() {
            response.output.push(OutputItem::FunctionCall {
                id: new_id("fc"),
                status: "completed".to_owned(),
                arguments: call.function.arguments.clone(),
                call_id: call.id.clone(),
                name: call.function.name.clone(),
            });
        }
    }
    response.usage = answer.usage.as_ref().map(usage);
    response
}

#[cfg(test)]
mod tests {
    use obs_models::claude::{ContentBlock, ThinkingBlock};
    use serde_json::json;

    #[test]
    fn claudes_signed_blocks_are_what_encrypted_content_carries() {
        let signed = json!([{"type":"thinking","thinking":"plan","signature":"sig"}]);
        let blocks = super::thinking_blocks("plan", Some(&signed));
        assert_eq!(
            blocks,
            vec![ContentBlock::Thinking(ThinkingBlock { thinking: "plan".into(), signature: Some("sig".into()) })]
        );
        let encoded = super::reasoning::encode(&blocks).unwrap();
        assert_eq!(
            super::reasoning::decode(&encoded).unwrap(),
            blocks,
            "a stateless next turn gets the signature back"
        );
        // Without Claude's blocks, the text stands alone, unsigned.
        assert_eq!(
            super::thinking_blocks("plan", None),
            vec![ContentBlock::Thinking(ThinkingBlock { thinking: "plan".into(), signature: None })]
        );
    }
}
