//! Claude on InvokeModel: validates the Anthropic Messages body like Bedrock does, answers a message or its event
//! stream (as `chunk` frames).

use http::Response;
use serde_json::{Value, json};

use super::errors::BedrockError;
use super::eventstream;
use crate::config::MockConfig;
use crate::http::{Body, json as json_response};
use crate::ids::RequestIds;
use crate::plan::{Conversation, OfferedTool, Plan, ToolChoice, count_words, plan};
use crate::recorder::Recorder;
use crate::scenario::Scenario;

pub(super) fn invoke(
    model_id: &str,
    request: &Value,
    stream: bool,
    scenario: Scenario,
    config: &MockConfig,
    recorder: &Recorder,
    seq: u64,
) -> Result<(Response<Body>, std::time::Duration), BedrockError> {
    let mut conversation = validate(request)?;
    conversation.output_format = super::claude_structured::output_format(model_id, request)?;
    let thinking = super::thinking::check(request)?;
    let mut plan = plan(scenario, &conversation, config);
    if thinking && plan.reasoning.is_none() {
        // With thinking enabled Claude thinks before every answer, tool calls and answers to tool results alike.
        plan.reasoning = Some(if conversation.tool_results.is_empty() {
            format!("The user asks: {}. I should answer directly.", conversation.last_user_text)
        } else {
            "The tool answered; I should report its result.".to_owned()
        });
    }
    let seed = config.id_seed.unwrap_or_default();
    let usage = Usage { cache: super::cache::usage(request, plan.input_tokens, seed), marked: marks_cache(request) };
    let ids = RequestIds::new(seed, seq);
    if !stream {
        if scenario == Scenario::Disconnect {
            return Ok(super::cut_json(b"{\"id\":\"msg_", &plan, recorder, seq));
        }
        let answer = json_response(http::StatusCode::OK, &message(ids, model_id, &plan, usage));
        let answer = super::invocation_headers(answer, usage.cache.input_tokens, plan.output_tokens, &plan);
        return Ok((answer, plan.first_byte_delay));
    }
    Ok(super::event_stream(events(ids, model_id, &plan, scenario, usage), &plan, recorder, seq))
}

/// The input counts of an answer: cache fields only when the request marked something for caching, as the
/// emulator's answers have always been without them.
#[derive(Debug, Clone, Copy)]
struct Usage {
    cache: super::cache::CacheUsage,
    marked: bool,
}

impl Usage {
    /// `usage` with the input counts and `output_tokens`.
    fn json(self, output_tokens: u64) -> Value {
        if self.marked {
            json!({"input_tokens": self.cache.input_tokens, "cache_creation_input_tokens": self.cache.creation,
                   "cache_read_input_tokens": self.cache.read, "output_tokens": output_tokens})
        } else {
            json!({"input_tokens": self.cache.input_tokens, "output_tokens": output_tokens})
        }
    }
}

fn marks_cache(request: &Value) -> bool {
    request.to_string().contains("\"cache_control\"")
}

/// The input tokens CountTokens reports for an InvokeModel body: the whole input, as the answer's usage counts it
/// (cached or not).
pub(super) fn input_tokens(request: &Value) -> Result<u64, BedrockError> {
    let conversation = validate(request)?;
    super::thinking::check(request)?;
    Ok(conversation.input_words.max(1))
}

fn invalid(message: impl Into<String>) -> BedrockError {
    BedrockError::validation(message)
}

/// The checks Bedrock makes that a conversion bug would trip, so such bugs fail tests.
fn validate(request: &Value) -> Result<Conversation, BedrockError> {
    if request.get("anthropic_version").and_then(Value::as_str).is_none() {
        return Err(invalid(
            "Malformed input request: #: required key [anthropic_version] not found, please reformat your input and try again.",
        ));
    }
    let Some(max_tokens) = request.get("max_tokens").and_then(Value::as_u64).filter(|n| *n >= 1) else {
        return Err(invalid(
            "Malformed input request: #: required key [max_tokens] not found, please reformat your input and try again.",
        ));
    };
    let messages = request
        .get("messages")
        .and_then(Value::as_array)
        .filter(|m| !m.is_empty())
        .ok_or_else(|| invalid("messages: at least one message is required"))?;
    let mut conversation = Conversation { max_tokens: Some(max_tokens), ..Default::default() };
    let mut previous_tool_uses: Vec<String> = Vec::new();
    let mut previous_role = "";
    for (i, message) in messages.iter().enumerate() {
        let role = message.get("role").and_then(Value::as_str).unwrap_or("");
        if role != "user" && role != "assistant" {
            return Err(invalid(format!("messages.{i}.role: Input should be 'user' or 'assistant'")));
        }
        if i == 0 && role != "user" {
            return Err(invalid("messages: first message must use the \"user\" role"));
        }
        if role == previous_role {
            return Err(invalid(format!(
                "messages: roles must alternate between \"user\" and \"assistant\", but found multiple \"{role}\" roles in a row"
            )));
        }
        let mut tool_uses = Vec::new();
        let blocks: Vec<Value> = match message.get("content") {
            Some(Value::String(text)) => vec![json!({"type":"text","text":text})],
            Some(Value::Array(blocks)) if !blocks.is_empty() => blocks.clone(),
            _ => return Err(invalid(format!("messages.{i}.content: content must be a non-empty string or array"))),
        };
        let mut user_text = Vec::new();
        let mut tool_results = Vec::new();
        for (j, block) in blocks.iter().enumerate() {
            match block.get("type").and_then(Value::as_str) {
                Some("text") => {
                    let text = block.get("text").and_then(Value::as_str).unwrap_or("");
                    if text.is_empty() {
                        return Err(invalid(format!(
                            "messages.{i}.content.{j}.text: text content blocks must be non-empty"
                        )));
                    }
                    conversation.input_words += count_words(text);
                    user_text.push(text.to_owned());
                }
                Some("document" | "search_result") if role == "user" => {}
                Some("image") => {
                    if block.pointer("/source/type").and_then(Value::as_str) != Some("base64") {
                        return Err(invalid(format!(
                            "messages.{i}.content.{j}.source: only base64 image sources are supported on Bedrock"
                        )));
                    }
                }
                Some("tool_use") if role == "assistant" => {
                    let id = block.get("id").and_then(Value::as_str).unwrap_or("").to_owned();
                    if !block.get("input").is_some_and(Value::is_object) {
                        return Err(invalid(format!(
                            "messages.{i}.content.{j}.tool_use.input: Input should be a valid dictionary"
                        )));
                    }
                    tool_uses.push(id);
                }
                Some("tool_result") if role == "user" => {
                    let id = block.get("tool_use_id").and_then(Value::as_str).unwrap_or("");
                    if !previous_tool_uses.iter().any(|known| known == id) {
                        return Err(invalid(format!(
                            "messages.{i}.content.{j}: unexpected `tool_use_id` found in `tool_result` blocks: {id}. Each `tool_result` block must have a corresponding `tool_use` block in the previous message."
                        )));
                    }
                    let text = match block.get("content") {
                        Some(Value::String(s)) => s.clone(),
                        Some(Value::Array(parts)) => parts
                            .iter()
                            .filter_map(|p| p.get("text").and_then(Value::as_str))
                            .collect::<Vec<_>>()
                            .join(" "),
                        _ => String::new(),
                    };
                    conversation.input_words += count_words(&text);
                    tool_results.push(text);
                }
                Some("thinking" | "redacted_thinking") if role == "assistant" => {}
                other => {
                    return Err(invalid(format!(
                        "messages.{i}.content.{j}.type: unexpected block type {} in a {role} message",
                        other.unwrap_or("(none)")
                    )));
                }
            }
        }
        if role == "user" && !user_text.is_empty() {
            conversation.last_user_text = user_text.join(" ");
            conversation.tool_results.clear();
        } else if role == "user" {
            conversation.tool_results = tool_results;
        } else {
            conversation.tool_results.clear();
        }
        conversation.ends_with_user = role == "user" && !user_text.is_empty();
        previous_tool_uses = tool_uses;
        previous_role = if role == "user" { "user" } else { "assistant" };
    }
    match request.get("system") {
        None | Some(Value::String(_)) => {}
        Some(Value::Array(blocks)) if blocks.iter().all(|b| b.get("type").and_then(Value::as_str) == Some("text")) => {}
        Some(_) => return Err(invalid("system: Input should be a valid string or a list of text blocks")),
    }
    if let Some(system) = request.get("system").and_then(Value::as_str) {
        conversation.input_words += count_words(system);
    }
    conversation.tools = request
        .get("tools")
        .and_then(Value::as_array)
        .map(|tools| {
            tools
                .iter()
                .filter_map(|t| {
                    Some(OfferedTool {
                        name: t.get("name").and_then(Value::as_str)?.to_owned(),
                        description: t.get("description").and_then(Value::as_str).unwrap_or("").to_owned(),
                        schema: t.get("input_schema").cloned().unwrap_or_else(|| json!({})),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    conversation.tool_choice = match request.pointer("/tool_choice/type").and_then(Value::as_str) {
        Some("none") => ToolChoice::None,
        Some("any") => ToolChoice::Required,
        Some("tool") => match request.pointer("/tool_choice/name").and_then(Value::as_str) {
            Some(name) => ToolChoice::Named(name.to_owned()),
            None => return Err(invalid("tool_choice.tool.name: Field required")),
        },
        _ => ToolChoice::Auto,
    };
    Ok(conversation)
}

fn message(ids: RequestIds, model: &str, plan: &Plan, usage: Usage) -> Value {
    let mut content = Vec::new();
    if let Some(reasoning) = &plan.reasoning {
        content.push(json!({"type":"thinking","thinking":reasoning,"signature":super::thinking::sign(reasoning)}));
    }
    let text = plan.text();
    if !text.is_empty() {
        content.push(json!({"type":"text","text":text}));
    }
    for call in &plan.tool_calls {
        let input: Value = serde_json::from_str(&call.arguments).unwrap_or_else(|_| json!({}));
        content.push(json!({"type":"tool_use","id":ids.claude_tool_use(call.index),"name":call.name,"input":input}));
    }
    json!({"id":ids.claude_message(),"type":"message","role":"assistant","model":model,"content":content,
        "stop_reason":plan.finish.bedrock_stop_reason(),"stop_sequence":null,
        "usage":usage.json(plan.output_tokens)})
}

fn events(ids: RequestIds, model: &str, plan: &Plan, scenario: Scenario, usage: Usage) -> Vec<bytes::Bytes> {
    let c = eventstream::chunk;
    let mut frames = vec![c(
        &json!({"type":"message_start","message":{"id":ids.claude_message(),"type":"message","role":"assistant",
        "model":model,"content":[],"stop_reason":null,"stop_sequence":null,
        "usage":usage.json(1)}}),
    )];
    let mut block = 0;
    if let Some(reasoning) = &plan.reasoning {
        frames.push(c(
            &json!({"type":"content_block_start","index":block,"content_block":{"type":"thinking","thinking":"","signature":""}}),
        ));
        frames.push(c(
            &json!({"type":"content_block_delta","index":block,"delta":{"type":"thinking_delta","thinking":reasoning}}),
        ));
        frames.push(c(&json!({"type":"content_block_delta","index":block,"delta":{"type":"signature_delta","signature":super::thinking::sign(reasoning)}})));
        frames.push(c(&json!({"type":"content_block_stop","index":block})));
        block += 1;
    }
    if !plan.chunks.is_empty() {
        frames.push(c(&json!({"type":"content_block_start","index":block,"content_block":{"type":"text","text":""}})));
        frames.push(c(&json!({"type":"ping"})));
        let midway = plan.chunks.len().div_ceil(2);
        for (i, text) in plan.chunks.iter().enumerate() {
            if i == midway && super::interrupts(scenario, &mut frames) {
                return frames;
            }
            frames.push(c(
                &json!({"type":"content_block_delta","index":block,"delta":{"type":"text_delta","text":text}}),
            ));
        }
        frames.push(c(&json!({"type":"content_block_stop","index":block})));
        block += 1;
    }
    for call in &plan.tool_calls {
        frames.push(c(&json!({"type":"content_block_start","index":block,
            "content_block":{"type":"tool_use","id":ids.claude_tool_use(call.index),"name":call.name,"input":{}}})));
        frames.push(c(
            &json!({"type":"content_block_delta","index":block,"delta":{"type":"input_json_delta","partial_json":""}}),
        ));
        for fragment in &call.fragments {
            frames.push(c(&json!({"type":"content_block_delta","index":block,"delta":{"type":"input_json_delta","partial_json":fragment}})));
        }
        frames.push(c(&json!({"type":"content_block_stop","index":block})));
        block += 1;
    }
    if super::interrupts(scenario, &mut frames) {
        return frames;
    }
    frames.push(c(
        &json!({"type":"message_delta","delta":{"stop_reason":plan.finish.bedrock_stop_reason(),"stop_sequence":null},
        "usage":{"output_tokens":plan.output_tokens}}),
    ));
    frames.push(c(
        &json!({"type":"message_stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":plan.input_tokens,
        "outputTokenCount":plan.output_tokens,"invocationLatency":12,"firstByteLatency":3}}),
    ));
    frames
}
