//! OpenAI's `POST /v1/responses`, non-streamed and streamed (the typed events with `sequence_number`), answered from
//! the same plan as chat completions: the last user text, function tools (Responses' flat shape), `tool_choice`,
//! `text.format`, `max_output_tokens`, and `function_call_output` items as tool results. What an upstream with its
//! own Responses API answers, for obs's native passthrough.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};
use serde_json::{Value, json};

use crate::config::MockConfig;
use crate::http::{Body, Step, json as json_response, streamed};
use crate::ids::{RequestIds, now_unix};
use crate::openai::{error, scenario_error};
use crate::plan::{Conversation, Finish, OfferedTool, OutputFormat, ToolChoice, count_words, plan};
use crate::recorder::Recorder;
use crate::scenario::Scenario;

/// The answer to `POST /v1/responses`.
pub(crate) fn create(body: &Bytes, config: &MockConfig, recorder: &Recorder, seq: u64) -> Response<Body> {
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return error(
            StatusCode::BAD_REQUEST,
            "We could not parse the JSON body of your request.",
            "invalid_request_error",
            None,
        );
    };
    let Some(model) = request.get("model").and_then(Value::as_str).map(str::to_owned) else {
        return error(StatusCode::BAD_REQUEST, "Missing required parameter: 'model'.", "invalid_request_error", None);
    };
    let scenario = Scenario::from_model(&model);
    if let Some(response) = scenario_error(scenario, &model) {
        return response;
    }
    let plan = plan(scenario, &conversation(&request), config);
    let ids = RequestIds::new(config.id_seed.unwrap_or_default(), seq);
    let suffix = ids.chat_completion()["chatcmpl-".len()..].to_owned();
    let response_id = format!("resp_{suffix}");
    let message_id = format!("msg_{suffix}");
    let text = plan.text();
    let mut output = Vec::new();
    if !text.is_empty() {
        output.push(json!({"type": "message", "id": message_id, "status": "completed", "role": "assistant",
                           "content": [{"type": "output_text", "text": text, "annotations": []}]}));
    }
    for call in &plan.tool_calls {
        output.push(json!({"type": "function_call", "id": format!("fc_{suffix}{}", call.index), "status": "completed",
                           "arguments": call.arguments, "call_id": ids.call(call.index), "name": call.name}));
    }
    let (status, incomplete) = match plan.finish {
        Finish::Length => ("incomplete", json!({"reason": "max_output_tokens"})),
        Finish::Stop | Finish::ToolUse => ("completed", Value::Null),
    };
    let whole = |status: &str, output: Value, usage: Value, incomplete: Value| {
        json!({"id": response_id, "object": "response", "created_at": now_unix(), "status": status, "error": null,
               "incomplete_details": incomplete, "instructions": request.get("instructions").cloned().unwrap_or(Value::Null),
               "max_output_tokens": request.get("max_output_tokens").cloned().unwrap_or(Value::Null), "model": model,
               "output": output, "parallel_tool_calls": true, "previous_response_id": null,
               "reasoning": {"effort": null, "summary": null}, "store": request.get("store").cloned().unwrap_or(Value::Bool(true)),
               "temperature": 1.0, "text": {"format": {"type": "text"}}, "tool_choice": "auto",
               "tools": request.get("tools").cloned().unwrap_or_else(|| json!([])), "top_p": 1.0, "truncation": "disabled",
               "usage": usage, "user": null, "metadata": {}})
    };
    let usage = json!({"input_tokens": plan.input_tokens, "input_tokens_details": {"cached_tokens": 0},
                       "output_tokens": plan.output_tokens, "output_tokens_details": {"reasoning_tokens": 0},
                       "total_tokens": plan.input_tokens + plan.output_tokens});
    let done = whole(status, Value::Array(output.clone()), usage, incomplete);
    if request.get("stream").and_then(Value::as_bool) != Some(true) {
        // As on chat completions: a whole answer of the failing scenarios is a 500, or cut short.
        return match scenario {
            Scenario::MidstreamError => error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The server had an error while processing your request.",
                "server_error",
                None,
            ),
            Scenario::Disconnect => crate::http::cut_json(b"{\"id\":\"resp_", &plan, recorder, seq),
            _ => json_response(StatusCode::OK, &done),
        };
    }
    let mut events = Events::default();
    let started = whole("in_progress", json!([]), Value::Null, Value::Null);
    events.push("response.created", json!({"response": started}));
    events.push("response.in_progress", json!({"response": started}));
    for (index, item) in output.iter().enumerate() {
        let item_id = item["id"].clone();
        let mut added = item.clone();
        added["status"] = json!("in_progress");
        if item["type"] == "message" {
            added["content"] = json!([]);
            events.push("response.output_item.added", json!({"output_index": index, "item": added}));
            let empty = json!({"type": "output_text", "text": "", "annotations": []});
            events.push(
                "response.content_part.added",
                json!({"item_id": item_id, "output_index": index, "content_index": 0, "part": empty}),
            );
            let midway = plan.chunks.len().div_ceil(2).max(1);
            for (i, piece) in plan.chunks.iter().enumerate() {
                // The failing scenarios stop halfway through the text, as OpenAI's stream does when it fails.
                if i == midway && interrupted(scenario, &mut events) {
                    return stream_response(events, &plan, recorder, seq);
                }
                events.push("response.output_text.delta", json!({"item_id": item_id, "output_index": index, "content_index": 0, "delta": piece, "logprobs": []}));
            }
            events.push(
                "response.output_text.done",
                json!({"item_id": item_id, "output_index": index, "content_index": 0, "text": text, "logprobs": []}),
            );
            events.push(
                "response.content_part.done",
                json!({"item_id": item_id, "output_index": index, "content_index": 0, "part": item["content"][0]}),
            );
        } else {
            added["arguments"] = json!("");
            events.push("response.output_item.added", json!({"output_index": index, "item": added}));
            let call = &plan.tool_calls[index - usize::from(!text.is_empty())];
            for piece in &call.fragments {
                events.push(
                    "response.function_call_arguments.delta",
                    json!({"item_id": item_id, "output_index": index, "delta": piece}),
                );
            }
            events.push(
                "response.function_call_arguments.done",
                json!({"item_id": item_id, "output_index": index, "arguments": call.arguments}),
            );
        }
        events.push("response.output_item.done", json!({"output_index": index, "item": item}));
    }
    let last = if status == "incomplete" { "response.incomplete" } else { "response.completed" };
    events.push(last, json!({"response": done}));
    stream_response(events, &plan, recorder, seq)
}

fn stream_response(events: Events, plan: &crate::plan::Plan, recorder: &Recorder, seq: u64) -> Response<Body> {
    let mut response = streamed("text/event-stream", events.steps, plan, recorder.clone(), seq);
    response.headers_mut().insert(http::header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// `midstream-error`: an `error` event, as OpenAI sends when a stream fails; `disconnect`: the connection cut. True
/// when the stream ends here.
fn interrupted(scenario: Scenario, events: &mut Events) -> bool {
    match scenario {
        Scenario::MidstreamError => {
            events.push(
                "error",
                json!({"code": "server_error", "message": "The server had an error while processing your request.",
                       "param": null}),
            );
            true
        }
        Scenario::Disconnect => {
            events.steps.push(Step::Cut);
            true
        }
        _ => false,
    }
}

#[derive(Default)]
struct Events {
    steps: Vec<Step>,
    sequence: u64,
}

impl Events {
    fn push(&mut self, kind: &str, mut data: Value) {
        data["type"] = json!(kind);
        data["sequence_number"] = json!(self.sequence);
        self.sequence += 1;
        self.steps.push(Step::Data(Bytes::from(format!("event: {kind}\ndata: {data}\n\n"))));
    }
}

/// What the plan reads from a Responses request.
fn conversation(request: &Value) -> Conversation {
    let text_of = |content: Option<&Value>| -> String {
        match content {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Array(parts)) => {
                parts.iter().filter_map(|p| p.get("text").and_then(Value::as_str)).collect::<Vec<_>>().join(" ")
            }
            _ => String::new(),
        }
    };
    let mut conversation = Conversation::default();
    match request.get("input") {
        Some(Value::String(text)) => {
            conversation.input_words += count_words(text);
            conversation.last_user_text = text.clone();
            conversation.ends_with_user = true;
        }
        Some(Value::Array(items)) => {
            for item in items {
                let kind = item.get("type").and_then(Value::as_str).unwrap_or("message");
                match (kind, item.get("role").and_then(Value::as_str)) {
                    ("message", Some("user")) => {
                        let text = text_of(item.get("content"));
                        conversation.input_words += count_words(&text);
                        conversation.last_user_text = text;
                        conversation.tool_results.clear();
                        conversation.ends_with_user = true;
                    }
                    ("function_call_output", _) => {
                        let output = item.get("output").and_then(Value::as_str).unwrap_or_default().to_owned();
                        conversation.input_words += count_words(&output);
                        conversation.tool_results.push(output);
                        conversation.ends_with_user = false;
                    }
                    ("message", Some("assistant")) | ("function_call", _) => {
                        if kind == "message" {
                            conversation.tool_results.clear();
                        }
                        conversation.ends_with_user = false;
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
    conversation.tools = request
        .get("tools")
        .and_then(Value::as_array)
        .map(|tools| {
            tools
                .iter()
                .filter(|t| t.get("type").and_then(Value::as_str) == Some("function"))
                .filter_map(|t| {
                    Some(OfferedTool {
                        name: t.get("name").and_then(Value::as_str)?.to_owned(),
                        description: t.get("description").and_then(Value::as_str).unwrap_or("").to_owned(),
                        schema: t.get("parameters").cloned().unwrap_or_else(|| json!({})),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    conversation.tool_choice = match request.get("tool_choice") {
        Some(Value::String(mode)) if mode == "none" => ToolChoice::None,
        Some(Value::String(mode)) if mode == "required" => ToolChoice::Required,
        Some(choice) => match choice.get("name").and_then(Value::as_str) {
            Some(name) => ToolChoice::Named(name.to_owned()),
            None => ToolChoice::Auto,
        },
        None => ToolChoice::Auto,
    };
    conversation.output_format = match request.pointer("/text/format/type").and_then(Value::as_str) {
        Some("json_object") => Some(OutputFormat::JsonObject),
        Some("json_schema") => request.pointer("/text/format/schema").cloned().map(OutputFormat::JsonSchema),
        _ => None,
    };
    conversation.max_tokens = request.get("max_output_tokens").and_then(Value::as_u64);
    conversation
}
