//! Every wire type parses its public-API fixture and serialises back to the same JSON (key order aside), and key
//! presence matches the upstream APIs exactly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use obs_models::claude::{ClaudeRequest, ClaudeResponse, StreamEvent};
use obs_models::error::{ErrorBody, ErrorCode};
use obs_models::openai::{
    AssistantMessage, ChatCompletionChunk, ChatCompletionRequest, ChatCompletionResponse, ContentPart, Delta,
    FinishReason, Message, MessageContent, ModelList, ResponseMessage, ToolCall, Usage,
};
use obs_models::titan::{TitanRequest, TitanResponse, TitanStreamChunk};
use pretty_assertions::assert_eq;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn round_trip<T: Serialize + DeserializeOwned>(text: &str) -> T {
    let original: Value = serde_json::from_str(text).unwrap();
    let typed: T = serde_json::from_str(text).unwrap();
    let back = serde_json::to_value(&typed).unwrap();
    assert_eq!(back, original);
    typed
}

#[test]
fn openai_request_keeps_every_field() {
    let req: ChatCompletionRequest = round_trip(&fixture("openai_request_full.json"));
    assert_eq!(req.messages.len(), 6);
    assert_eq!(req.output_token_limit(), Some(256));
    assert!(req.wants_stream_usage());
    assert_eq!(req.stop_sequences(), vec!["\n\n".to_owned(), "END".to_owned()]);
    let extra_keys: Vec<&str> = req.extra.keys().map(String::as_str).collect();
    assert_eq!(extra_keys, ["user", "seed", "response_format", "logit_bias", "reasoning_effort", "metadata"]);
    match &req.messages[2] {
        Message::User(u) => match &u.content {
            MessageContent::Parts(parts) => {
                assert!(matches!(parts[0], ContentPart::Text(_)));
                assert!(matches!(parts[1], ContentPart::ImageUrl(_)));
                assert_eq!(parts[2].type_name(), "input_audio");
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

#[test]
fn openai_responses_round_trip() {
    let resp: ChatCompletionResponse = round_trip(&fixture("openai_response_tool_calls.json"));
    assert_eq!(resp.choices[0].finish_reason, Some(FinishReason::ToolCalls));
    assert_eq!(resp.choices[0].message.content, None);
    assert!(resp.extra.contains_key("system_fingerprint"));
    let _: ChatCompletionResponse = round_trip(&fixture("openai_response_text.json"));
}

#[test]
fn openai_chunks_round_trip_with_usage_presence() {
    let text = fixture("openai_chunks.jsonl");
    let chunks: Vec<ChatCompletionChunk> = text.lines().map(round_trip).collect();
    assert_eq!(chunks[0].usage, Some(None));
    assert_eq!(chunks[5].usage, Some(Some(Usage::new(9, 12))));
    assert_eq!(chunks[6].usage, None);
}

#[test]
fn claude_bodies_round_trip() {
    let req: ClaudeRequest = round_trip(&fixture("claude_request_full.json"));
    assert_eq!(req.top_k, Some(40));
    assert!(req.extra.contains_key("thinking"));
    let _: ClaudeResponse = round_trip(&fixture("claude_response_tool_use.json"));
    let events: Vec<StreamEvent> = fixture("claude_stream_events.jsonl").lines().map(round_trip).collect();
    assert_eq!(events.len(), 13);
}

#[test]
fn claude_legacy_text_delta_type_is_accepted() {
    let event: StreamEvent =
        serde_json::from_value(json!({"type":"content_block_delta","index":0,"delta":{"type":"text","text":"Hello"}}))
            .unwrap();
    assert_eq!(
        serde_json::to_value(event).unwrap(),
        json!({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}})
    );
}

#[test]
fn titan_bodies_round_trip() {
    let _: TitanRequest = round_trip(&fixture("titan_request.json"));
    let _: TitanResponse = round_trip(&fixture("titan_response.json"));
    let chunks: Vec<TitanStreamChunk> = fixture("titan_stream_chunks.jsonl").lines().map(round_trip).collect();
    assert_eq!(chunks[1].completion_reason.as_deref(), Some("FINISH"));
}

#[test]
fn error_body_and_model_list_round_trip() {
    let body: ErrorBody = round_trip(&fixture("error_body.json"));
    assert_eq!(body, ErrorBody::new(ErrorCode::InvalidApiKey, "Not authenticated", None));
    let _: ModelList = round_trip(&fixture("model_list.json"));
}

#[test]
fn tool_call_reply_keeps_null_content_and_skips_absent_fields() {
    let message = ResponseMessage::assistant(None, vec![ToolCall::function("call_1", "f", "{}")]);
    assert_eq!(
        serde_json::to_value(&message).unwrap(),
        json!({"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}}]})
    );
    let text_only = ResponseMessage::assistant(Some("hi".into()), vec![]);
    assert_eq!(serde_json::to_value(&text_only).unwrap(), json!({"role":"assistant","content":"hi"}));
    let request_turn = Message::Assistant(AssistantMessage {
        tool_calls: Some(vec![ToolCall::function("c", "f", "{}")]),
        ..Default::default()
    });
    assert_eq!(
        serde_json::to_value(&request_turn).unwrap(),
        json!({"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]})
    );
}

#[test]
fn chunk_deltas_serialise_exactly_as_openai() {
    let first = ChatCompletionChunk::with_delta("id", 1, "m", Delta::role_start(), None);
    assert_eq!(
        serde_json::to_value(&first).unwrap(),
        json!({"id":"id","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null,"logprobs":null}]})
    );
    assert_eq!(
        serde_json::to_value(Delta::tool_call_start(0, "call_1", "f")).unwrap(),
        json!({"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":""}}]})
    );
    assert_eq!(
        serde_json::to_value(Delta::tool_call_arguments(1, "{\"a\"")).unwrap(),
        json!({"tool_calls":[{"index":1,"function":{"arguments":"{\"a\""}}]})
    );
    let mut with_null_usage = ChatCompletionChunk::with_delta("id", 1, "m", Delta::default(), Some(FinishReason::Stop));
    with_null_usage.usage = Some(None);
    assert_eq!(serde_json::to_value(&with_null_usage).unwrap()["usage"], Value::Null);
    assert!(serde_json::to_value(&with_null_usage).unwrap().as_object().unwrap().contains_key("usage"));
}

#[test]
fn every_error_code_has_the_documented_status_and_type() {
    let table: Vec<(String, u16, &str)> =
        ErrorCode::ALL.iter().map(|c| (c.as_str().to_owned(), c.http_status(), c.error_type())).collect();
    let expected = [
        ("invalid_json", 400, "invalid_request_error"),
        ("invalid_body", 400, "invalid_request_error"),
        ("unsupported_format", 400, "invalid_request_error"),
        ("missing_model", 400, "invalid_request_error"),
        ("empty_messages", 400, "invalid_request_error"),
        ("invalid_value", 400, "invalid_request_error"),
        ("unsupported_parameter", 400, "invalid_request_error"),
        ("invalid_target_format", 400, "invalid_request_error"),
        ("upstream_validation_error", 400, "invalid_request_error"),
        ("invalid_api_key", 401, "invalid_request_error"),
        ("upstream_access_denied", 403, "permission_error"),
        ("permission_denied", 403, "permission_error"),
        ("model_not_found", 404, "invalid_request_error"),
        ("not_found", 404, "invalid_request_error"),
        ("method_not_allowed", 405, "invalid_request_error"),
        ("invalid_request", 400, "invalid_request_error"),
        ("request_headers_too_large", 431, "invalid_request_error"),
        ("uri_too_long", 414, "invalid_request_error"),
        ("request_too_large", 413, "invalid_request_error"),
        ("request_timeout", 408, "invalid_request_error"),
        ("rate_limit_exceeded", 429, "rate_limit_error"),
        ("insufficient_quota", 429, "insufficient_quota"),
        ("internal_error", 500, "api_error"),
        ("upstream_error", 502, "api_error"),
        ("upstream_unreachable", 502, "api_error"),
        ("upstream_authentication_error", 502, "api_error"),
        ("service_unavailable", 503, "api_error"),
        ("upstream_timeout", 504, "api_error"),
    ];
    let expected: Vec<(String, u16, &str)> = expected.iter().map(|(c, s, t)| ((*c).to_owned(), *s, *t)).collect();
    assert_eq!(table, expected);
}

#[test]
fn answers_and_chunks_keep_unknown_keys_in_order_and_report_bad_shapes() {
    // Unknown keys are kept in arrival order, at every level, around and between the known ones.
    let text = r#"{"z_first":1,"id":"c","object":"chat.completion","created":2,"model":"m","a_middle":{"k":[1]},
        "choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":null,"annotations":[]},
        "finish_reason":"stop","logprobs":null,"extra_choice":true}],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3},
        "system_fingerprint":"fp"}"#;
    let response: ChatCompletionResponse = serde_json::from_str(text).unwrap();
    assert_eq!(response.extra.keys().collect::<Vec<_>>(), ["z_first", "a_middle", "system_fingerprint"]);
    assert_eq!(response.choices[0].extra.keys().collect::<Vec<_>>(), ["extra_choice"]);
    assert_eq!(response.choices[0].message.extra.keys().collect::<Vec<_>>(), ["refusal", "annotations"]);
    assert_eq!(serde_json::to_value(&response).unwrap(), serde_json::from_str::<Value>(text).unwrap());
    // Escaped keys are still recognised.
    let escaped: ChatCompletionChunk =
        serde_json::from_str(r#"{"\u0069d":"c","object":"o","created":1,"model":"m","choices":[]}"#).unwrap();
    assert_eq!(escaped.id, "c");

    let error = |text: &str| serde_json::from_str::<ChatCompletionChunk>(text).unwrap_err().to_string();
    assert!(error(r#"{"object":"o","created":1,"model":"m","choices":[]}"#).starts_with("missing field `id`"));
    assert!(
        error(r#"{"id":"a","id":"b","object":"o","created":1,"model":"m","choices":[]}"#)
            .starts_with("duplicate field `id`")
    );
    assert!(error(r#"[1]"#).starts_with("invalid type: sequence"));
    assert!(
        error(r#"{"id":"a","object":"o","created":1,"model":"m","choices":[{"index":0}]}"#)
            .starts_with("missing field `delta`")
    );
    // Absent usage is None, `null` is Some(None); an absent finish_reason and logprobs read as null.
    let bare = r#"{"id":"a","object":"o","created":1,"model":"m","choices":[{"index":0,"delta":{}}]}"#;
    let chunk: ChatCompletionChunk = serde_json::from_str(bare).unwrap();
    assert_eq!(chunk.usage, None);
    assert_eq!(chunk.choices[0].finish_reason, None);
    assert_eq!(chunk.choices[0].logprobs, Value::Null);
    let with_null: ChatCompletionChunk =
        serde_json::from_str(&bare.replace(r#""model":"m""#, r#""model":"m","usage":null"#)).unwrap();
    assert_eq!(with_null.usage, Some(None));
    // From a Value too (keys arrive as owned strings).
    let from_value: ChatCompletionChunk = serde_json::from_value(serde_json::from_str(bare).unwrap()).unwrap();
    assert_eq!(from_value, chunk);
}
