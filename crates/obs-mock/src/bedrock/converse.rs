//! Converse and ConverseStream for any model id: validates turns and tool results like Bedrock, answers
//! `output.message` or the Converse event stream.

use http::Response;
use serde_json::{Value, json};

use super::converse_thinking::Reasoning;
use super::errors::BedrockError;
use super::eventstream;
use super::thinking::sign;
use crate::config::MockConfig;
use crate::http::{Body, json as json_response};
use crate::ids::RequestIds;
use crate::plan::{Conversation, OfferedTool, OutputFormat, Plan, ToolChoice, count_words, plan};
use crate::recorder::Recorder;
use crate::scenario::Scenario;

pub(super) fn converse(
    model_id: &str,
    request: &Value,
    stream: bool,
    scenario: Scenario,
    config: &MockConfig,
    recorder: &Recorder,
    seq: u64,
) -> Result<(Response<Body>, std::time::Duration), BedrockError> {
    let conversation = validate(request)?;
    let reasoning = super::converse_thinking::check(model_id, request)?;
    let mut plan = plan(scenario, &conversation, config);
    if reasoning != Reasoning::Off && plan.reasoning.is_none() {
        // Like Claude with thinking on (and a model that always reasons), every answer starts with reasoning.
        plan.reasoning = Some(if conversation.tool_results.is_empty() {
            format!("The user asks: {}. I should answer directly.", conversation.last_user_text)
        } else {
            "The tool answered; I should report its result.".to_owned()
        });
    }
    let signed = reasoning != Reasoning::Unsigned;
    let seed = config.id_seed.unwrap_or_default();
    let cache = cache_points(request).then(|| super::cache::converse_usage(request, plan.input_tokens, seed));
    let usage = usage(&plan, cache);
    let ids = RequestIds::new(seed, seq);
    if !stream {
        if scenario == Scenario::Disconnect {
            return Ok(super::cut_json(b"{\"output\":", &plan, recorder, seq));
        }
        let mut answer = output(ids, &plan, signed, &usage);
        // The tier asked for is the tier that served (the emulator has capacity for every tier).
        if let Some(tier) = request.get("serviceTier").filter(|t| t.is_object()) {
            answer["serviceTier"] = tier.clone();
        }
        return Ok((json_response(http::StatusCode::OK, &answer), plan.first_byte_delay));
    }
    Ok(super::event_stream(events(ids, &plan, scenario, signed, &usage), &plan, recorder, seq))
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
        let mut results = Vec::new();
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
                // JSON results come as `{"json": …}` blocks: the reply quotes them as JSON text.
                let json: Vec<String> = result
                    .get("content")
                    .and_then(Value::as_array)
                    .map(|c| c.iter().filter_map(|b| b.get("json")).map(Value::to_string).collect())
                    .unwrap_or_default();
                let text = text.into_iter().map(str::to_owned).chain(json).collect::<Vec<_>>().join(" ");
                conversation.input_words += count_words(&text);
                results.push(text);
            } else if block.get("image").is_some() {
                let format = block.pointer("/image/format").and_then(Value::as_str).unwrap_or("");
                if !matches!(format, "png" | "jpeg" | "gif" | "webp") || block.pointer("/image/source/bytes").is_none()
                {
                    return Err(invalid(format!(
                        "messages.{i}: image blocks need a format (png, jpeg, gif, webp) and source bytes."
                    )));
                }
            } else if block.get("reasoningContent").is_none() && block.get("cachePoint").is_none() {
                return Err(invalid(format!("messages.{i}: unsupported content block {block}")));
            }
        }
        if tool_results > previous_tool_uses.len() {
            return Err(invalid(format!(
                "The number of toolResult blocks at messages.{i}.content exceeds the number of toolUse blocks of previous turn."
            )));
        }
        if role == "user" && !texts.is_empty() {
            conversation.last_user_text = texts.join(" ");
            conversation.tool_results.clear();
        } else if role == "user" {
            conversation.tool_results = results;
        } else {
            conversation.tool_results.clear();
        }
        conversation.ends_with_user = role == "user" && !texts.is_empty();
        previous_tool_uses = tool_uses;
        previous_role = if role == "user" { "user" } else { "assistant" };
    }
    for system in request.get("system").and_then(Value::as_array).into_iter().flatten() {
        conversation.input_words += count_words(system.get("text").and_then(Value::as_str).unwrap_or(""));
    }
    conversation.tools = request
        .pointer("/toolConfig/tools")
        .and_then(Value::as_array)
        .map(|tools| {
            tools
                .iter()
                .filter_map(|t| {
                    let spec = t.get("toolSpec")?;
                    Some(OfferedTool {
                        name: spec.get("name").and_then(Value::as_str)?.to_owned(),
                        description: spec.get("description").and_then(Value::as_str).unwrap_or("").to_owned(),
                        schema: spec.pointer("/inputSchema/json").cloned().unwrap_or_else(|| json!({})),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    // Converse has no "none": a client that wants no call sends no tools.
    let choice = request.pointer("/toolConfig/toolChoice");
    conversation.tool_choice = match choice.and_then(|c| c.pointer("/tool/name")).and_then(Value::as_str) {
        Some(name) => ToolChoice::Named(name.to_owned()),
        None if choice.and_then(|c| c.get("any")).is_some() => ToolChoice::Required,
        None => ToolChoice::Auto,
    };
    // Native structured output: `outputConfig.textFormat` with the schema as a JSON string, as Bedrock takes it.
    conversation.output_format = request
        .pointer("/outputConfig/textFormat/structure/jsonSchema/schema")
        .and_then(Value::as_str)
        .map(|schema| OutputFormat::JsonSchema(serde_json::from_str(schema).unwrap_or_else(|_| json!({}))));
    Ok(conversation)
}

/// Whether the request marks a cached prefix (the answer then reports cache reads and writes).
fn cache_points(request: &Value) -> bool {
    request.to_string().contains("\"cachePoint\"")
}

/// Converse's usage: `inputTokens` without the cached part, `totalTokens` the sum of all, as Bedrock reports it.
fn usage(plan: &Plan, cache: Option<super::cache::CacheUsage>) -> Value {
    match cache {
        None => json!({"inputTokens":plan.input_tokens,"outputTokens":plan.output_tokens,
            "totalTokens":plan.input_tokens + plan.output_tokens}),
        Some(cache) => json!({"inputTokens":cache.input_tokens,"outputTokens":plan.output_tokens,
            "totalTokens":plan.input_tokens + plan.output_tokens,
            "cacheReadInputTokens":cache.read,"cacheWriteInputTokens":cache.creation}),
    }
}

/// A reasoning text block: signed like Claude's, or bare like a model that reasons on its own.
fn reasoning_text(text: &str, signed: bool) -> Value {
    if signed { json!({"text":text,"signature":sign(text)}) } else { json!({"text":text}) }
}

fn output(ids: RequestIds, plan: &Plan, signed: bool, usage: &Value) -> Value {
    let mut content = Vec::new();
    if let Some(reasoning) = &plan.reasoning {
        content.push(json!({"reasoningContent":{"reasoningText":reasoning_text(reasoning, signed)}}));
    }
    let text = plan.text();
    if !text.is_empty() {
        content.push(json!({"text":text}));
    }
    for call in &plan.tool_calls {
        let input: Value = serde_json::from_str(&call.arguments).unwrap_or_else(|_| json!({}));
        content.push(json!({"toolUse":{"toolUseId":ids.converse_tool_use(call.index),"name":call.name,"input":input}}));
    }
    json!({"output":{"message":{"role":"assistant","content":content}},"stopReason":plan.finish.bedrock_stop_reason(),
        "usage":usage,"metrics":{"latencyMs":12}})
}

fn events(ids: RequestIds, plan: &Plan, scenario: Scenario, signed: bool, usage: &Value) -> Vec<bytes::Bytes> {
    let e = eventstream::event;
    let mut frames = vec![e("messageStart", &json!({"role":"assistant"}))];
    let mut block = 0;
    if let Some(reasoning) = &plan.reasoning {
        frames.push(e(
            "contentBlockDelta",
            &json!({"contentBlockIndex":block,"delta":{"reasoningContent":{"text":reasoning}}}),
        ));
        if signed {
            frames.push(e(
                "contentBlockDelta",
                &json!({"contentBlockIndex":block,"delta":{"reasoningContent":{"signature":sign(reasoning)}}}),
            ));
        }
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
            "start":{"toolUse":{"toolUseId":ids.converse_tool_use(call.index),"name":call.name}}}),
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
    frames.push(e("metadata", &json!({"usage":usage,"metrics":{"latencyMs":12}})));
    frames
}
