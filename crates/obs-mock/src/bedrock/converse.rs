//! Converse and ConverseStream for any model id: validates turns and tool results like Bedrock, answers
//! `output.message` or the Converse event stream.

use http::Response;
use serde_json::{Value, json};

use super::errors::BedrockError;
use super::eventstream;
use crate::config::MockConfig;
use crate::http::{Body, json as json_response};
use crate::plan::{Conversation, Plan, count_words, plan};
use crate::recorder::Recorder;
use crate::scenario::Scenario;

pub(super) fn converse(
    request: &Value,
    stream: bool,
    scenario: Scenario,
    config: &MockConfig,
    recorder: &Recorder,
    seq: u64,
) -> Result<(Response<Body>, std::time::Duration), BedrockError> {
    let conversation = validate(request)?;
    let plan = plan(scenario, &conversation, config);
    if !stream {
        if scenario == Scenario::Disconnect {
            return Ok(super::cut_json(b"{\"output\":", &plan, recorder, seq));
        }
        return Ok((json_response(http::StatusCode::OK, &output(&plan)), plan.first_byte_delay));
    }
    Ok(super::event_stream(events(&plan, scenario), &plan, recorder, seq))
}

fn invalid(message: impl Into<String>) -> BedrockError {
    BedrockError::validation(message)
}

fn validate(request: &Value) -> Result<Conversation, BedrockError> {
    let messages = request
        .get("messages")
        .and_then(Value::as_array)
        .filter(|m| !m.is_empty())
        .ok_or_else(|| invalid("A conversation must start with a user message. Try again with a conversation that starts with a user message."))?;
    let mut conversation = Conversation {
        max_tokens: request.pointer("/inferenceConfig/maxTokens").and_then(Value::as_u64),
        ..Default::default()
    };
    let mut previous_tool_uses: Vec<String> = Vec::new();
    let mut previous_role = "";
    for (i, message) in messages.iter().enumerate() {
        let role = message.get("role").and_then(Value::as_str).unwrap_or("");
        if i == 0 && role != "user" {
            return Err(invalid(
                "A conversation must start with a user message. Try again with a conversation that starts with a user message.",
            ));
        }
        if role == previous_role {
            return Err(invalid(
                "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.",
            ));
        }
        let content = message
            .get("content")
            .and_then(Value::as_array)
            .filter(|c| !c.is_empty())
            .ok_or_else(|| invalid(format!("The content field in the Message object at messages.{i} is empty. Add a ContentBlock object to the content field and try again.")))?;
        let mut tool_uses = Vec::new();
        let mut tool_results = 0usize;
        let mut texts = Vec::new();
        let mut tool_result = None;
        for block in content {
            if let Some(text) = block.get("text").and_then(Value::as_str) {
                conversation.input_words += count_words(text);
                texts.push(text.to_owned());
            } else if let Some(tool_use) = block.get("toolUse") {
                tool_uses.push(tool_use.get("toolUseId").and_then(Value::as_str).unwrap_or("").to_owned());
            } else if let Some(result) = block.get("toolResult") {
                let id = result.get("toolUseId").and_then(Value::as_str).unwrap_or("");
                if !previous_tool_uses.iter().any(|known| known == id) {
                    return Err(invalid(format!(
                        "The toolResult block with id {id} does not match any toolUse block of the previous turn."
                    )));
                }
                tool_results += 1;
                let text: Vec<&str> = result
                    .get("content")
                    .and_then(Value::as_array)
                    .map(|c| c.iter().filter_map(|b| b.get("text").and_then(Value::as_str)).collect())
                    .unwrap_or_default();
                conversation.input_words += count_words(&text.join(" "));
                tool_result = Some(text.join(" "));
            } else if block.get("image").is_some() {
                let format = block.pointer("/image/format").and_then(Value::as_str).unwrap_or("");
                if !matches!(format, "png" | "jpeg" | "gif" | "webp") || block.pointer("/image/source/bytes").is_none()
                {
                    return Err(invalid(format!(
                        "messages.{i}: image blocks need a format (png, jpeg, gif, webp) and source bytes."
                    )));
                }
            } else if block.get("reasoningContent").is_none() {
                return Err(invalid(format!("messages.{i}: unsupported content block {block}")));
            }
        }
        if tool_results > previous_tool_uses.len() {
            return Err(invalid(format!(
                "The number of toolResult blocks at messages.{i}.content exceeds the number of toolUse blocks of previous turn."
            )));
        }
        if role == "user" {
            conversation.last_user_text = texts.join(" ");
            conversation.last_tool_result = if texts.is_empty() { tool_result } else { None };
        }
        previous_tool_uses = tool_uses;
        previous_role = if role == "user" { "user" } else { "assistant" };
    }
    for system in request.get("system").and_then(Value::as_array).into_iter().flatten() {
        conversation.input_words += count_words(system.get("text").and_then(Value::as_str).unwrap_or(""));
    }
    conversation.tool_names = request
        .pointer("/toolConfig/tools")
        .and_then(Value::as_array)
        .map(|tools| {
            tools
                .iter()
                .filter_map(|t| t.pointer("/toolSpec/name").and_then(Value::as_str).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    Ok(conversation)
}

fn tool_id(index: usize) -> String {
    format!("tooluse_mock{index}")
}

fn usage(plan: &Plan) -> Value {
    json!({"inputTokens":plan.input_tokens,"outputTokens":plan.output_tokens,"totalTokens":plan.input_tokens + plan.output_tokens})
}

fn output(plan: &Plan) -> Value {
    let mut content = Vec::new();
    if let Some(reasoning) = &plan.reasoning {
        content.push(json!({"reasoningContent":{"reasoningText":{"text":reasoning,"signature":"mock-signature"}}}));
    }
    let text = plan.text();
    if !text.is_empty() {
        content.push(json!({"text":text}));
    }
    for call in &plan.tool_calls {
        let input: Value = serde_json::from_str(&call.arguments).unwrap_or_else(|_| json!({}));
        content.push(json!({"toolUse":{"toolUseId":tool_id(call.index),"name":call.name,"input":input}}));
    }
    json!({"output":{"message":{"role":"assistant","content":content}},"stopReason":plan.finish.bedrock_stop_reason(),
        "usage":usage(plan),"metrics":{"latencyMs":12}})
}

fn events(plan: &Plan, scenario: Scenario) -> Vec<bytes::Bytes> {
    let e = eventstream::event;
    let mut frames = vec![e("messageStart", &json!({"role":"assistant"}))];
    let mut block = 0;
    if let Some(reasoning) = &plan.reasoning {
        frames.push(e(
            "contentBlockDelta",
            &json!({"contentBlockIndex":block,"delta":{"reasoningContent":{"text":reasoning}}}),
        ));
        frames.push(e(
            "contentBlockDelta",
            &json!({"contentBlockIndex":block,"delta":{"reasoningContent":{"signature":"mock-signature"}}}),
        ));
        frames.push(e("contentBlockStop", &json!({"contentBlockIndex":block})));
        block += 1;
    }
    if !plan.chunks.is_empty() {
        let midway = plan.chunks.len().div_ceil(2);
        for (i, text) in plan.chunks.iter().enumerate() {
            if i == midway && super::interrupts(scenario, &mut frames) {
                return frames;
            }
            frames.push(e("contentBlockDelta", &json!({"contentBlockIndex":block,"delta":{"text":text}})));
        }
        frames.push(e("contentBlockStop", &json!({"contentBlockIndex":block})));
        block += 1;
    }
    for call in &plan.tool_calls {
        frames.push(e(
            "contentBlockStart",
            &json!({"contentBlockIndex":block,
            "start":{"toolUse":{"toolUseId":tool_id(call.index),"name":call.name}}}),
        ));
        for fragment in &call.fragments {
            frames.push(e(
                "contentBlockDelta",
                &json!({"contentBlockIndex":block,"delta":{"toolUse":{"input":fragment}}}),
            ));
        }
        frames.push(e("contentBlockStop", &json!({"contentBlockIndex":block})));
        block += 1;
    }
    if super::interrupts(scenario, &mut frames) {
        return frames;
    }
    frames.push(e("messageStop", &json!({"stopReason":plan.finish.bedrock_stop_reason()})));
    frames.push(e("metadata", &json!({"usage":usage(plan),"metrics":{"latencyMs":12}})));
    frames
}
