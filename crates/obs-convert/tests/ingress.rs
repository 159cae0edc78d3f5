//! The ingress step: error codes and params in docs/reference/errors.md §2 order, Bedrock-format input (orig C23–C28
//! where obs departs from the original, as the reference says), and the lossless Claude and Titan round trips of docs/reference/formats.md §4/§5.3.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;

use obs_convert::bedrock::{claude_request, titan};
use obs_convert::detect::IngressFormat;
use obs_convert::ingress::parse_chat_request;
use obs_models::error::ErrorCode;
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

fn parse(body: Value) -> Result<(IngressFormat, Value), (ErrorCode, Option<String>, String)> {
    parse_chat_request(body.to_string().as_bytes())
        .map(|(format, request)| (format, serde_json::to_value(request).unwrap()))
        .map_err(|e| (e.code, e.param, e.message))
}

fn error_of(body: Value) -> (ErrorCode, Option<String>) {
    let (code, param, _) = parse(body).unwrap_err();
    (code, param)
}

fn fixture(name: &str) -> Value {
    let text = std::fs::read_to_string(format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn malformed_and_non_object_bodies() {
    let err = parse_chat_request(b"{not json").unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidJson);
    let err = parse_chat_request(b"{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"\xff\"}]}")
        .unwrap_err();
    assert_eq!(
        (err.code, err.message.as_str()),
        (ErrorCode::InvalidJson, "The request body is not valid JSON: not UTF-8 at byte 56.")
    );
    assert_eq!(parse_chat_request(b"[1,2]").unwrap_err().code, ErrorCode::InvalidBody);
    assert_eq!(parse_chat_request(b"\"text\"").unwrap_err().code, ErrorCode::InvalidBody);
    assert_eq!(error_of(json!({"model":"gpt-4o","foo":1})), (ErrorCode::UnsupportedFormat, None));
    assert_eq!(error_of(json!({})), (ErrorCode::UnsupportedFormat, None));
}

#[test]
fn model_and_messages_errors_name_their_param() {
    let hi = json!([{"role":"user","content":"hi"}]);
    assert_eq!(error_of(json!({"messages": hi})), (ErrorCode::MissingModel, Some("model".into())));
    assert_eq!(error_of(json!({"model":"","messages": hi})), (ErrorCode::MissingModel, Some("model".into())));
    assert_eq!(error_of(json!({"model":123,"messages": hi})), (ErrorCode::InvalidValue, Some("model".into())));
    assert_eq!(error_of(json!({"model":"m","messages":[]})), (ErrorCode::EmptyMessages, Some("messages".into())));
    assert_eq!(
        error_of(json!({"model":"m","messages":[{"role":"user","content":"a"},{"role":"wizard","content":"b"}]})),
        (ErrorCode::InvalidValue, Some("messages.1.role".into()))
    );
    assert_eq!(
        error_of(json!({"model":"m","messages":[{"role":"user","content":null}]})),
        (ErrorCode::InvalidValue, Some("messages.0.content".into()))
    );
    assert_eq!(
        error_of(json!({"model":"m","messages":[{"role":"tool","content":"r"}]})),
        (ErrorCode::InvalidValue, Some("messages.0.tool_call_id".into()))
    );
    assert_eq!(
        error_of(
            json!({"model":"m","messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f"}}]}]})
        ),
        (ErrorCode::InvalidValue, Some("messages.0.tool_calls.0.function.arguments".into()))
    );
}

#[test]
fn parameter_errors_name_their_param() {
    let base = |key: &str, value: Value| {
        let mut body = json!({"model":"m","messages":[{"role":"user","content":"hi"}]});
        body[key] = value;
        error_of(body)
    };
    assert_eq!(base("temperature", json!(2.5)), (ErrorCode::InvalidValue, Some("temperature".into())));
    assert_eq!(base("temperature", json!("hot")), (ErrorCode::InvalidValue, Some("temperature".into())));
    assert_eq!(base("top_p", json!(1.5)), (ErrorCode::InvalidValue, Some("top_p".into())));
    assert_eq!(base("max_tokens", json!(0)), (ErrorCode::InvalidValue, Some("max_tokens".into())));
    assert_eq!(
        base("max_completion_tokens", json!(-1)),
        (ErrorCode::InvalidValue, Some("max_completion_tokens".into()))
    );
    assert_eq!(base("stop", json!(["a", "b", "c", "d", "e"])), (ErrorCode::InvalidValue, Some("stop".into())));
    assert_eq!(base("stream", json!("yes")), (ErrorCode::InvalidValue, Some("stream".into())));
    assert_eq!(
        base("tools", json!([{"type":"function","function":{}}])),
        (ErrorCode::InvalidValue, Some("tools.0.function.name".into()))
    );
    assert_eq!(base("tool_choice", json!("sometimes")), (ErrorCode::InvalidValue, Some("tool_choice".into())));
}

#[test]
fn openai_body_passes_through_with_every_field() {
    let body = json!({"model":"gpt-4o","messages":[{"role":"developer","content":"x"},{"role":"user","content":"hi"}],
        "tools":[{"type":"function","function":{"name":"f"}}],"seed":1,"response_format":{"type":"json_object"},
        "max_completion_tokens":5,"temperature":null});
    let (format, request) = parse(body).unwrap();
    assert_eq!(format, IngressFormat::OpenAi);
    // `temperature: null` is OpenAI's "absent"; description/parameters are not required (docs/reference/formats.md §3).
    assert_eq!(
        request,
        json!({"model":"gpt-4o","messages":[{"role":"developer","content":"x"},{"role":"user","content":"hi"}],
            "max_completion_tokens":5,"tools":[{"type":"function","function":{"name":"f"}}],
            "seed":1,"response_format":{"type":"json_object"}})
    );
}

#[test]
fn c23_claude_body_to_internal() {
    let body = json!({"anthropic_version":"bedrock-2023-05-31","model":"anthropic.claude-3-haiku-20240307-v1:0",
        "max_tokens":1000,"temperature":0.7,"system":"You are a helpful assistant.",
        "messages":[{"role":"user","content":"Hello, how are you?"}]});
    let (format, request) = parse(body).unwrap();
    assert_eq!(format, IngressFormat::BedrockClaude);
    assert_eq!(
        request,
        json!({"model":"anthropic.claude-3-haiku-20240307-v1:0","messages":[
            {"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Hello, how are you?"}],
            "max_tokens":1000,"temperature":0.7})
    );
}

#[test]
fn c24_titan_body_to_internal_keeps_top_p_and_stop() {
    let body = json!({"model":"amazon.titan-text-express-v1","inputText":"Hello, how are you?",
        "textGenerationConfig":{"maxTokenCount":1000,"temperature":0.7,"topP":0.9,"stopSequences":["User:"]},"stream":true});
    let (format, request) = parse(body).unwrap();
    assert_eq!(format, IngressFormat::BedrockTitan);
    assert_eq!(
        request,
        json!({"model":"amazon.titan-text-express-v1","messages":[{"role":"user","content":"Hello, how are you?"}],
            "max_tokens":1000,"temperature":0.7,"top_p":0.9,"stop":["User:"],"stream":true})
    );
}

#[test]
fn c25_claude_turns_keep_their_order() {
    let body = json!({"anthropic_version":"bedrock-2023-05-31","model_id":"anthropic.claude-v2","max_tokens":10,"system":"S",
        "messages":[{"role":"user","content":"u1"},{"role":"assistant","content":"a1"},{"role":"user","content":"u2"}]});
    let (_, request) = parse(body).unwrap();
    assert_eq!(
        request["messages"],
        json!([{"role":"system","content":"S"},{"role":"user","content":"u1"},
            {"role":"assistant","content":"a1"},{"role":"user","content":"u2"}])
    );
    assert_eq!(request["model"], "anthropic.claude-v2");
}

#[test]
fn c26_c28_claude_tools_and_tool_choice() {
    let schema = json!({"type":"object","properties":{"location":{"type":"string"}},"required":["location"]});
    let claude = |choice: Value| {
        json!({"anthropic_version":"bedrock-2023-05-31","model":"m","max_tokens":10,"messages":[{"role":"user","content":"w?"}],
            "tools":[{"name":"get_weather","description":"Get weather information for a location","input_schema":schema}],
            "tool_choice":choice})
    };
    let (_, request) = parse(claude(json!({"type":"auto"}))).unwrap();
    assert_eq!(
        request["tools"],
        json!([{"type":"function","function":{"name":"get_weather","description":"Get weather information for a location","parameters":schema}}])
    );
    assert_eq!(request["tool_choice"], "auto");
    assert_eq!(parse(claude(json!({"type":"any"}))).unwrap().1["tool_choice"], "required");
    assert_eq!(
        parse(claude(json!({"type":"tool","name":"test_tool"}))).unwrap().1["tool_choice"],
        json!({"type":"function","function":{"name":"test_tool"}})
    );
    assert_eq!(parse(claude(json!({"type":"none"}))).unwrap().1["tool_choice"], "none");
    let (_, request) = parse(claude(json!({"type":"auto","disable_parallel_tool_use":true}))).unwrap();
    assert_eq!(request["parallel_tool_calls"], false);
}

#[test]
fn c27_claude_image_blocks_become_image_url_parts() {
    let body = json!({"anthropic_version":"bedrock-2023-05-31","model":"m","max_tokens":10,"messages":[{"role":"user","content":[
        {"type":"text","text":"Look at this image:"},
        {"type":"image","source":{"type":"base64","media_type":"image/jpeg","data":"D"}},
        {"type":"image","source":{"type":"url","url":"https://example.com/cat.png"}}]}]});
    let (_, request) = parse(body).unwrap();
    assert_eq!(
        request["messages"][0]["content"],
        json!([{"type":"text","text":"Look at this image:"},
            {"type":"image_url","image_url":{"url":"data:image/jpeg;base64,D"}},
            {"type":"image_url","image_url":{"url":"https://example.com/cat.png"}}])
    );
}

#[test]
fn claude_tool_use_and_results_become_tool_calls_and_tool_messages() {
    let body = json!({"anthropic_version":"bedrock-2023-05-31","model":"m","max_tokens":10,"stop_sequences":["END"],"top_k":5,
        "messages":[{"role":"user","content":"weather?"},
        {"role":"assistant","content":[{"type":"text","text":"Checking."},{"type":"tool_use","id":"toolu_1","name":"w","input":{"city":"Paris"}}]},
        {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"21C"},{"type":"text","text":"thanks"}]}]});
    let (_, request) = parse(body).unwrap();
    assert_eq!(
        request,
        json!({"model":"m","messages":[{"role":"user","content":"weather?"},
            {"role":"assistant","content":[{"type":"text","text":"Checking."}],"tool_calls":[{"id":"toolu_1","type":"function","function":{"name":"w","arguments":"{\"city\":\"Paris\"}"}}]},
            {"role":"tool","content":"21C","tool_call_id":"toolu_1"},
            {"role":"user","content":[{"type":"text","text":"thanks"}]}],
            "max_tokens":10,"stop":["END"]})
    );
}

#[test]
fn claude_body_errors() {
    let body = |extra: Value| {
        let mut b = json!({"anthropic_version":"bedrock-2023-05-31","model":"m","max_tokens":10,"messages":[{"role":"user","content":"hi"}]});
        for (k, v) in extra.as_object().unwrap() {
            if v.is_null() {
                b.as_object_mut().unwrap().remove(k);
            } else {
                b[k] = v.clone();
            }
        }
        error_of(b)
    };
    assert_eq!(body(json!({"max_tokens":null})), (ErrorCode::InvalidValue, Some("max_tokens".into())));
    assert_eq!(body(json!({"model":null})), (ErrorCode::MissingModel, Some("model".into())));
    assert_eq!(body(json!({"temperature":1.5})), (ErrorCode::InvalidValue, Some("temperature".into())));
    assert_eq!(body(json!({"messages":[]})), (ErrorCode::EmptyMessages, Some("messages".into())));
    assert_eq!(
        body(json!({"messages":[{"role":"system","content":"x"}]})),
        (ErrorCode::InvalidValue, Some("messages.0.role".into()))
    );
    assert_eq!(
        body(json!({"messages":[{"role":"user","content":[{"type":"video","url":"x"}]}]})),
        (ErrorCode::InvalidValue, Some("messages.0.content.0.type".into()))
    );
}

#[test]
fn titan_body_errors() {
    assert_eq!(
        error_of(json!({"inputText":"hi","textGenerationConfig":{"maxTokenCount":10}})),
        (ErrorCode::MissingModel, Some("model".into()))
    );
    assert_eq!(
        error_of(json!({"model":"t","inputText":"hi","textGenerationConfig":{"temperature":3}})),
        (ErrorCode::InvalidValue, Some("textGenerationConfig.temperature".into()))
    );
    assert_eq!(
        error_of(json!({"model":"t","inputText":5,"textGenerationConfig":{}})),
        (ErrorCode::UnsupportedFormat, None),
        "a Titan body is recognised by a string inputText"
    );
}

#[test]
fn claude_body_round_trips_through_the_internal_request() {
    let mut body = fixture("claude_body_full.json");
    // http(s) image sources are fetched and inlined for Bedrock, so they are the one thing that changes form.
    body["messages"][0]["content"].as_array_mut().unwrap().pop();
    let original = body.clone();
    body["model"] = json!("anthropic.claude-3-5-sonnet-20241022-v2:0");
    body["stream"] = json!(true);
    let (_, request) = parse_chat_request(body.to_string().as_bytes()).unwrap();
    assert!(request.is_stream());
    let rebuilt = claude_request::build(&request, 4096, &HashMap::new()).unwrap();
    assert_eq!(serde_json::to_value(rebuilt).unwrap(), original);
}

#[test]
fn claude_string_system_and_simple_turns_round_trip() {
    let original = json!({"anthropic_version":"bedrock-2023-05-31","max_tokens":300,"system":"Be brief.",
        "messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"},{"role":"user","content":"bye"}],
        "tool_choice":{"type":"any","disable_parallel_tool_use":false},
        "tools":[{"name":"f","input_schema":{"type":"object"}}]});
    let mut body = original.clone();
    body["model"] = json!("anthropic.claude-v2");
    let (_, request) = parse_chat_request(body.to_string().as_bytes()).unwrap();
    let rebuilt = claude_request::build(&request, 4096, &HashMap::new()).unwrap();
    assert_eq!(serde_json::to_value(rebuilt).unwrap(), original);
}

#[test]
fn titan_body_round_trips_unchanged() {
    let original = json!({"inputText":"User: Hello\nBot: Hi!\nUser: How are you?\nBot:",
        "textGenerationConfig":{"maxTokenCount":1000,"temperature":0.7,"topP":0.9,"stopSequences":["User:"]}});
    let mut body = original.clone();
    body["model"] = json!("amazon.titan-text-express-v1");
    let (_, request) = parse_chat_request(body.to_string().as_bytes()).unwrap();
    let rebuilt = titan::build(&request, 512).unwrap();
    assert_eq!(serde_json::to_value(rebuilt).unwrap(), original);
}

#[test]
fn a_lone_surrogate_is_named_as_such() {
    for body in [
        r#"{"model":"m","messages":[{"role":"user","content":"\ud800"}]}"#,
        r#"{"model":"m","messages":[{"role":"user","content":"\ud800x"}]}"#,
    ] {
        let error = obs_convert::ingress::parse_chat_request(body.as_bytes()).unwrap_err();
        assert_eq!(error.code.as_str(), "invalid_json");
        assert!(error.message.contains("lone UTF-16 surrogate"), "{body}: {}", error.message);
        assert!(!error.message.contains("hex escape"), "{}", error.message);
    }
}
