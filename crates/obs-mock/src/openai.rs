//! OpenAI emulation: `POST /v1/chat/completions` (JSON and SSE) and `GET /v1/models`, with OpenAI's error shape.

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};
use serde_json::{Value, json};

use crate::config::MockConfig;
use crate::http::{Body, Step, cut_json, json, streamed};
use crate::ids::{FINGERPRINT, RequestIds, now_unix};
use crate::plan::{Conversation, Finish, OfferedTool, OutputFormat, Plan, ToolChoice, count_words, plan};
use crate::recorder::Recorder;
use crate::scenario::Scenario;

pub(crate) fn error(status: StatusCode, message: &str, kind: &str, code: Option<&str>) -> Response<Body> {
    json(status, &json!({"error":{"message":message,"type":kind,"param":null,"code":code}}))
}

/// Checks `Authorization: Bearer <key>`; the rejection when it fails.
pub(crate) fn rejects(authorization: Option<&str>, config: &MockConfig) -> Option<Response<Body>> {
    let key = authorization.and_then(|h| h.strip_prefix("Bearer ")).map(str::trim).unwrap_or("");
    let accepted = match &config.openai_api_key {
        Some(expected) => key == expected,
        None => !key.is_empty(),
    };
    (!accepted).then(|| {
        error(
            StatusCode::UNAUTHORIZED,
            "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.",
            "invalid_request_error",
            Some("invalid_api_key"),
        )
    })
}

pub(crate) fn models() -> Response<Body> {
    let ids = ["gpt-4o", "gpt-4o-mini", "o3-mini", "text-embedding-3-small", "obs-mock-tool"];
    let data: Vec<Value> = ids
        .iter()
        .map(|id| json!({"id": id, "object": "model", "created": 1_715_367_049, "owned_by": "system"}))
        .collect();
    json(StatusCode::OK, &json!({"object": "list", "data": data}))
}

/// The answer, and how long to wait before sending it (non-stream answers wait as a whole; streams pace
/// themselves).
pub(crate) fn chat(body: &Bytes, config: &MockConfig, recorder: &Recorder, seq: u64) -> (Response<Body>, Duration) {
    let now = |response| (response, Duration::ZERO);
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return now(error(
            StatusCode::BAD_REQUEST,
            "We could not parse the JSON body of your request.",
            "invalid_request_error",
            None,
        ));
    };
    let Some(model) = request.get("model").and_then(Value::as_str).map(str::to_owned) else {
        return now(error(
            StatusCode::BAD_REQUEST,
            "you must provide a model parameter",
            "invalid_request_error",
            None,
        ));
    };
    let Some(messages) = request.get("messages").and_then(Value::as_array).filter(|m| !m.is_empty()) else {
        return now(error(
            StatusCode::BAD_REQUEST,
            "Invalid 'messages': empty array. Expected an array with minimum length 1.",
            "invalid_request_error",
            Some("empty_array"),
        ));
    };
    let scenario = Scenario::from_model(&model);
    if let Some(response) = scenario_error(scenario, &model) {
        return now(response);
    }
    let conversation = conversation(messages, &request);
    let plan = plan(scenario, &conversation, config);
    let stream = request.get("stream").and_then(Value::as_bool) == Some(true);
    let ids = RequestIds::new(config.id_seed.unwrap_or_default(), seq);
    let answer = Answer { id: ids.chat_completion(), created: now_unix(), model: &model, ids };
    if !stream {
        if scenario == Scenario::MidstreamError {
            return now(error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The server had an error while processing your request.",
                "server_error",
                None,
            ));
        }
        if scenario == Scenario::Disconnect {
            return now(cut_json(b"{\"id\":\"chatcmpl-", &plan, recorder, seq));
        }
        return (json(StatusCode::OK, &completion(&answer, &plan)), plan.first_byte_delay);
    }
    let include_usage = request.pointer("/stream_options/include_usage").and_then(Value::as_bool) == Some(true);
    let steps = sse_steps(&answer, &plan, include_usage, scenario);
    let mut response = streamed("text/event-stream", steps, &plan, recorder.clone(), seq);
    response.headers_mut().insert(http::header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    now(response)
}

pub(crate) fn scenario_error(scenario: Scenario, model: &str) -> Option<Response<Body>> {
    Some(match scenario {
        Scenario::Throttle => {
            let mut response = error(
                StatusCode::TOO_MANY_REQUESTS,
                "Rate limit reached for requests. Please try again in 1s.",
                "requests",
                Some("rate_limit_exceeded"),
            );
            response.headers_mut().insert("retry-after", HeaderValue::from_static("1"));
            response
        }
        Scenario::Denied => error(
            StatusCode::FORBIDDEN,
            "You are not allowed to use this model.",
            "invalid_request_error",
            Some("model_access_denied"),
        ),
        Scenario::Invalid => error(
            StatusCode::BAD_REQUEST,
            "Invalid value for 'messages': the mock rejects this request as invalid.",
            "invalid_request_error",
            Some("invalid_value"),
        ),
        Scenario::NotFound => error(
            StatusCode::NOT_FOUND,
            &format!("The model `{model}` does not exist or you do not have access to it."),
            "invalid_request_error",
            Some("model_not_found"),
        ),
        Scenario::Unavailable => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "The engine is currently overloaded, please try again later.",
            "server_error",
            None,
        ),
        _ => return None,
    })
}

fn conversation(messages: &[Value], request: &Value) -> Conversation {
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
    for message in messages {
        let text = text_of(message.get("content"));
        conversation.input_words += count_words(&text);
        match message.get("role").and_then(Value::as_str) {
            Some("user") => {
                conversation.last_user_text = text;
                conversation.tool_results.clear();
                conversation.ends_with_user = true;
            }
            Some("tool" | "function") => {
                // Consecutive tool messages answer one assistant turn's calls (the assistant turn cleared the list).
                conversation.tool_results.push(text);
                conversation.ends_with_user = false;
            }
            Some("assistant") => {
                conversation.tool_results.clear();
                conversation.ends_with_user = false;
            }
            _ => {}
        }
    }
    conversation.tools = request
        .get("tools")
        .and_then(Value::as_array)
        .map(|tools| {
            tools
                .iter()
                .filter_map(|t| {
                    let function = t.get("function")?;
                    Some(OfferedTool {
                        name: function.get("name").and_then(Value::as_str)?.to_owned(),
                        description: function.get("description").and_then(Value::as_str).unwrap_or("").to_owned(),
                        schema: function.get("parameters").cloned().unwrap_or_else(|| json!({})),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    conversation.tool_choice = match request.get("tool_choice") {
        Some(Value::String(mode)) if mode == "none" => ToolChoice::None,
        Some(Value::String(mode)) if mode == "required" => ToolChoice::Required,
        Some(choice) => match choice.pointer("/function/name").and_then(Value::as_str) {
            Some(name) => ToolChoice::Named(name.to_owned()),
            None => ToolChoice::Auto,
        },
        None => ToolChoice::Auto,
    };
    conversation.output_format = match request.pointer("/response_format/type").and_then(Value::as_str) {
        Some("json_object") => Some(OutputFormat::JsonObject),
        Some("json_schema") => Some(OutputFormat::JsonSchema(
            request.pointer("/response_format/json_schema/schema").cloned().unwrap_or_else(|| json!({})),
        )),
        _ => None,
    };
    conversation.max_tokens =
        request.get("max_completion_tokens").or_else(|| request.get("max_tokens")).and_then(Value::as_u64);
    conversation
}

fn finish_reason(finish: Finish) -> &'static str {
    match finish {
        Finish::Stop => "stop",
        Finish::Length => "length",
        Finish::ToolUse => "tool_calls",
    }
}

/// What every chunk of one answer repeats.
struct Answer<'a> {
    id: String,
    created: u64,
    model: &'a str,
    ids: RequestIds,
}

fn usage(plan: &Plan) -> Value {
    json!({"prompt_tokens":plan.input_tokens,"completion_tokens":plan.output_tokens,
        "total_tokens":plan.input_tokens + plan.output_tokens,
        "prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},
        "completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}})
}

fn completion(answer: &Answer<'_>, plan: &Plan) -> Value {
    let text = plan.text();
    let mut message = json!({"role":"assistant","content": if text.is_empty() { Value::Null } else { json!(text) },
        "refusal":null,"annotations":[]});
    if !plan.tool_calls.is_empty() {
        message["tool_calls"] = plan
            .tool_calls
            .iter()
            .map(
                |c| json!({"id":answer.ids.call(c.index),"type":"function","function":{"name":c.name,"arguments":c.arguments}}),
            )
            .collect();
    }
    json!({"id":answer.id,"object":"chat.completion","created":answer.created,"model":answer.model,
        "choices":[{"index":0,"message":message,"logprobs":null,"finish_reason":finish_reason(plan.finish)}],
        "usage":usage(plan),"service_tier":"default","system_fingerprint":FINGERPRINT})
}

fn sse_steps(answer: &Answer<'_>, plan: &Plan, include_usage: bool, scenario: Scenario) -> Vec<Step> {
    let (id, created, model) = (&answer.id, answer.created, answer.model);
    let call_id = |index| answer.ids.call(index);
    let chunk = |delta: Value, finish: Option<&str>| -> Step {
        let mut chunk = json!({"id":id,"object":"chat.completion.chunk","created":created,"model":model,
            "service_tier":"default","system_fingerprint":FINGERPRINT,
            "choices":[{"index":0,"delta":delta,"logprobs":null,"finish_reason":finish}]});
        if include_usage {
            chunk["usage"] = Value::Null;
        }
        Step::Data(Bytes::from(format!("data: {chunk}\n\n")))
    };
    // Like OpenAI: a reply that starts with a tool call opens with `content: null` and the call itself.
    let first_call = plan.chunks.is_empty().then(|| plan.tool_calls.first()).flatten();
    let mut steps = vec![match first_call {
        Some(call) => chunk(
            json!({"role":"assistant","content":null,"refusal":null,"tool_calls":[{"index":call.index,"id":call_id(call.index),
                "type":"function","function":{"name":call.name,"arguments":""}}]}),
            None,
        ),
        None => chunk(json!({"role":"assistant","content":"","refusal":null}), None),
    }];
    let midway = plan.chunks.len().div_ceil(2).max(1);
    for (i, text) in plan.chunks.iter().enumerate() {
        if i == midway {
            match scenario {
                Scenario::MidstreamError => {
                    let error = json!({"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}});
                    steps.push(Step::Data(Bytes::from(format!("data: {error}\n\n"))));
                    return steps;
                }
                Scenario::Disconnect => {
                    steps.push(Step::Cut);
                    return steps;
                }
                _ => {}
            }
        }
        steps.push(chunk(json!({"content":text}), None));
    }
    for call in &plan.tool_calls {
        if first_call.is_none_or(|first| first.index != call.index) {
            steps.push(chunk(
                json!({"tool_calls":[{"index":call.index,"id":call_id(call.index),"type":"function","function":{"name":call.name,"arguments":""}}]}),
                None,
            ));
        }
        for fragment in &call.fragments {
            steps.push(chunk(json!({"tool_calls":[{"index":call.index,"function":{"arguments":fragment}}]}), None));
        }
    }
    if matches!(scenario, Scenario::MidstreamError | Scenario::Disconnect) {
        // No text to interrupt (tool-first): fail after the tool call instead.
        steps.push(if scenario == Scenario::Disconnect {
            Step::Cut
        } else {
            Step::Data(Bytes::from_static(b"data: {\"error\":{\"message\":\"The server had an error while processing your request.\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n"))
        });
        return steps;
    }
    steps.push(chunk(json!({}), Some(finish_reason(plan.finish))));
    if include_usage {
        let usage_chunk = json!({"id":id,"object":"chat.completion.chunk","created":created,"model":model,
            "service_tier":"default","system_fingerprint":FINGERPRINT,"choices":[],"usage":usage(plan)});
        steps.push(Step::Data(Bytes::from(format!("data: {usage_chunk}\n\n"))));
    }
    steps.push(Step::Data(Bytes::from_static(b"data: [DONE]\n\n")));
    steps
}
