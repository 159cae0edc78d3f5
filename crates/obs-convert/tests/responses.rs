//! Non-stream answers: Bedrock responses → internal (orig C34, §9.4) and internal → Claude / Titan target shapes
//! (orig C29–C31 as docs/reference/formats.md adjusts them).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use obs_convert::bedrock::{ResponseMeta, claude_response, titan};
use obs_convert::{claude_out, finish, titan_out};
use obs_models::openai::{ChatCompletionResponse, FinishReason};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

fn meta() -> ResponseMeta {
    ResponseMeta {
        id: "chatcmpl-test".into(),
        created: 1732500000,
        model: "anthropic.claude-3-haiku-20240307-v1:0".into(),
    }
}

fn internal(value: Value) -> ChatCompletionResponse {
    serde_json::from_value(value).unwrap()
}

fn c29_response() -> ChatCompletionResponse {
    internal(json!({"id":"chatcmpl-123","object":"chat.completion","created":1,"model":"gpt-4o-mini",
        "choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I help you today?"},"finish_reason":"stop","logprobs":null}],
        "usage":{"prompt_tokens":10,"completion_tokens":15,"total_tokens":25}}))
}

#[test]
fn c29_openai_response_to_claude() {
    assert_eq!(
        serde_json::to_value(claude_out::from_internal(&c29_response()).unwrap()).unwrap(),
        json!({"id":"msg_123","type":"message","role":"assistant","model":"gpt-4o-mini",
            "content":[{"type":"text","text":"Hello! How can I help you today?"}],
            "stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":10,"output_tokens":15}})
    );
}

#[test]
fn c30_openai_response_to_titan() {
    assert_eq!(
        serde_json::to_value(titan_out::from_internal(&c29_response()).unwrap()).unwrap(),
        json!({"inputTextTokenCount":10,"results":[{"tokenCount":15,"outputText":"Hello! How can I help you today?","completionReason":"FINISH"}]})
    );
}

#[test]
fn c31_finish_reason_maps() {
    let claude: Vec<&str> =
        [FinishReason::Stop, FinishReason::Length, FinishReason::ToolCalls, FinishReason::ContentFilter]
            .iter()
            .map(|r| finish::to_claude(Some(r)))
            .collect();
    assert_eq!(claude, ["end_turn", "max_tokens", "tool_use", "refusal"]);
    let titan: Vec<&str> =
        [FinishReason::Stop, FinishReason::Length, FinishReason::ToolCalls, FinishReason::ContentFilter]
            .iter()
            .map(|r| finish::to_titan(Some(r)))
            .collect();
    assert_eq!(titan, ["FINISH", "LENGTH", "FINISH", "CONTENT_FILTERED"]);
    let bedrock: Vec<(String, bool)> = [
        "end_turn",
        "stop_sequence",
        "FINISH",
        "max_tokens",
        "LENGTH",
        "model_context_window_exceeded",
        "tool_use",
        "guardrail_intervened",
        "content_filtered",
        "CONTENT_FILTERED",
        "refusal",
        "something_new",
    ]
    .iter()
    .map(|r| {
        let (reason, known) = finish::from_bedrock(r);
        (reason.as_str().to_owned(), known)
    })
    .collect();
    let expected = [
        ("stop", true),
        ("stop", true),
        ("stop", true),
        ("length", true),
        ("length", true),
        ("length", true),
        ("tool_calls", true),
        ("content_filter", true),
        ("content_filter", true),
        ("content_filter", true),
        ("content_filter", true),
        ("stop", false),
    ];
    assert_eq!(bedrock, expected.iter().map(|(r, k)| ((*r).to_owned(), *k)).collect::<Vec<_>>());
}

#[test]
fn tool_calls_to_claude_become_tool_use_blocks() {
    let response = internal(json!({"id":"chatcmpl-9","object":"chat.completion","created":1,"model":"gpt-4o",
        "choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[
            {"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
            {"id":"call_2","type":"function","function":{"name":"now","arguments":""}}]},"finish_reason":"tool_calls","logprobs":null}],
        "usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}}));
    assert_eq!(
        serde_json::to_value(claude_out::from_internal(&response).unwrap()).unwrap(),
        json!({"id":"msg_9","type":"message","role":"assistant","model":"gpt-4o","content":[
            {"type":"tool_use","id":"call_1","name":"get_weather","input":{"city":"Paris"}},
            {"type":"tool_use","id":"call_2","name":"now","input":{}}],
            "stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":7}})
    );
    assert!(titan_out::drops_tool_calls(&response));
    assert_eq!(
        serde_json::to_value(titan_out::from_internal(&response).unwrap()).unwrap(),
        json!({"inputTextTokenCount":5,"results":[{"tokenCount":7,"outputText":"","completionReason":"FINISH"}]})
    );
}

#[test]
fn c34_claude_text_response_to_internal() {
    let body = br#"{"id":"msg_123","type":"message","role":"assistant","model":"claude-3-haiku","content":[{"type":"text","text":"Hello! How can I help you today?"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":10,"output_tokens":8}}"#;
    let (response, unknown) = claude_response::to_internal(claude_response::parse(body).unwrap(), &meta());
    assert_eq!(unknown, None);
    assert_eq!(
        serde_json::to_value(response).unwrap(),
        json!({"id":"chatcmpl-test","object":"chat.completion","created":1732500000,"model":"anthropic.claude-3-haiku-20240307-v1:0",
            "choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I help you today?"},"finish_reason":"stop","logprobs":null}],
            "usage":{"prompt_tokens":10,"completion_tokens":8,"total_tokens":18}})
    );
}

#[test]
fn claude_tool_use_and_thinking_response_to_internal() {
    let text = std::fs::read(format!(
        "{}/../obs-models/tests/fixtures/claude_response_tool_use.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let (response, _) = claude_response::to_internal(claude_response::parse(&text).unwrap(), &meta());
    assert_eq!(
        serde_json::to_value(response).unwrap(),
        json!({"id":"chatcmpl-test","object":"chat.completion","created":1732500000,"model":"anthropic.claude-3-haiku-20240307-v1:0",
            "choices":[{"index":0,"message":{"role":"assistant","content":"I'll check the weather.",
                "reasoning_content":"The user wants weather.",
                "thinking_blocks":[{"type":"thinking","thinking":"The user wants weather.","signature":"EqQBCgIYAhIM"}],
                "tool_calls":[{"id":"toolu_01A09q90qw90lq917835lq9","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"San Francisco, CA\",\"unit\":\"celsius\"}"}}]},
                "finish_reason":"tool_calls","logprobs":null}],
            "usage":{"prompt_tokens":472,"completion_tokens":89,"total_tokens":561}})
    );
}

#[test]
fn claude_tool_only_response_has_null_content_and_unknown_blocks_are_skipped() {
    let body = br#"{"id":"msg_1","type":"message","role":"assistant","model":"c","content":[{"type":"server_tool_use","id":"x"},{"type":"tool_use","id":"toolu_1","name":"f","input":{}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":4}}"#;
    let (response, _) = claude_response::to_internal(claude_response::parse(body).unwrap(), &meta());
    let value = serde_json::to_value(response).unwrap();
    assert_eq!(
        value["choices"][0]["message"],
        json!({"role":"assistant","content":null,"tool_calls":[{"id":"toolu_1","type":"function","function":{"name":"f","arguments":"{}"}}]})
    );
    assert!(claude_response::parse(b"<html>").is_err());
}

#[test]
fn titan_response_to_internal() {
    let body = br#"{"inputTextTokenCount":7,"results":[{"tokenCount":12,"outputText":"Hi there","completionReason":"LENGTH"}]}"#;
    let (response, unknown) = titan::response_to_internal(titan::parse_response(body).unwrap(), &meta()).unwrap();
    assert_eq!(unknown, None);
    assert_eq!(
        serde_json::to_value(response).unwrap(),
        json!({"id":"chatcmpl-test","object":"chat.completion","created":1732500000,"model":"anthropic.claude-3-haiku-20240307-v1:0",
            "choices":[{"index":0,"message":{"role":"assistant","content":"Hi there"},"finish_reason":"length","logprobs":null}],
            "usage":{"prompt_tokens":7,"completion_tokens":12,"total_tokens":19}})
    );
    let empty = titan::parse_response(br#"{"inputTextTokenCount":1,"results":[]}"#).unwrap();
    assert!(titan::response_to_internal(empty, &meta()).is_err());
}

#[test]
fn claude_thinking_survives_the_round_trip_to_the_claude_target_format_signed() {
    let text = std::fs::read(format!(
        "{}/../obs-models/tests/fixtures/claude_response_tool_use.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let (internal, _) = claude_response::to_internal(claude_response::parse(&text).unwrap(), &meta());
    let claude = serde_json::to_value(obs_convert::claude_out::from_internal(&internal).unwrap()).unwrap();
    assert_eq!(
        claude["content"][0],
        json!({"type":"thinking","thinking":"The user wants weather.","signature":"EqQBCgIYAhIM"})
    );
}
