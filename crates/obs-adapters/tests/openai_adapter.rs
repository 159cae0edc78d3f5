//! The OpenAI adapter against obs-mock through the real reqwest client: whole bodies, chunk sequences, every
//! error scenario of docs/demo.md mapped per §2, cancellation on drop.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod typed;

use std::time::Duration;

use futures::StreamExt;
use obs_adapters::openai::{OpenAiAdapter, OpenAiConfig, http_client};
use obs_adapters::{ChatAdapter, Error, Timeouts};
use obs_mock::{MockConfig, MockHandle, StreamOutcome, spawn};
use obs_models::error::ErrorCode;
use obs_models::openai::ChatCompletionRequest;
use pretty_assertions::assert_eq;
use secrecy::SecretString;
use serde_json::{Value, json};
use typed::Typed;

fn adapter(mock: &MockHandle, key: &str, timeouts: Timeouts) -> OpenAiAdapter {
    let mut config = OpenAiConfig::new(mock.openai_base_url(), Some(SecretString::from(key.to_owned())));
    config.organization = Some("org-obs".into());
    config.extra_headers = vec![("x-route".into(), SecretString::from("blue".to_owned()))];
    config.timeouts = timeouts;
    OpenAiAdapter::new(config, http_client(timeouts.connect).unwrap()).unwrap()
}

fn request(body: Value) -> ChatCompletionRequest {
    obs_convert::validate::openai_request(body).unwrap()
}

fn hello(model: &str) -> ChatCompletionRequest {
    request(json!({"model": model, "messages": [{"role": "user", "content": "hello there"}]}))
}

#[tokio::test]
async fn non_stream_passes_the_body_through_and_keeps_every_field() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let adapter = adapter(&mock, "sk-test", Timeouts::default());
    let client_request = request(json!({"model":"my-alias","messages":[{"role":"user","content":"hello there"}],
        "seed":7,"response_format":{"type":"text"},"metadata":{"k":"v"},"temperature":0.2}));
    let response = adapter.typed_chat(client_request, "gpt-4o").await.unwrap();
    let mut value = serde_json::to_value(&response).unwrap();
    assert_eq!(value["id"].as_str().map(str::len), Some("chatcmpl-".len() + 29), "{value}");
    value["created"] = json!(0);
    value["id"] = json!("chatcmpl-ID");
    assert_eq!(
        value,
        json!({"id":"chatcmpl-ID","object":"chat.completion","created":0,"model":"gpt-4o",
            "choices":[{"index":0,"message":{"role":"assistant","content":"You said: hello there","refusal":null,"annotations":[]},
                "finish_reason":"stop","logprobs":null}],
            "usage":{"prompt_tokens":2,"completion_tokens":4,"total_tokens":6,
                "prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},
                "completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},
            "service_tier":"default","system_fingerprint":"fp_5f2b9c04d1"})
    );
    let sent = mock.recorder().last().unwrap();
    assert_eq!(
        sent.json(),
        json!({"model":"gpt-4o","messages":[{"role":"user","content":"hello there"}],"temperature":0.2,
            "seed":7,"response_format":{"type":"text"},"metadata":{"k":"v"}})
    );
    assert_eq!(sent.header("authorization"), Some("Bearer sk-test"));
    assert_eq!(sent.header("openai-organization"), Some("org-obs"));
    assert_eq!(sent.header("x-route"), Some("blue"));
}

#[tokio::test]
async fn tool_call_reply_keeps_null_content_and_string_arguments() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let adapter = adapter(&mock, "sk-test", Timeouts::default());
    let response = adapter.typed_chat(hello("gpt-tool-first"), "gpt-tool-first").await.unwrap();
    let mut value = serde_json::to_value(&response).unwrap();
    let call = &mut value["choices"][0]["message"]["tool_calls"][0];
    assert_eq!(call["id"].as_str().map(str::len), Some("call_".len() + 24), "{call}");
    call["id"] = json!("call_ID");
    assert_eq!(
        value["choices"][0]["message"],
        json!({"role":"assistant","content":null,"refusal":null,"annotations":[],
            "tool_calls":[{"id":"call_ID","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"Paris\"}"}}]})
    );
    assert_eq!(value["choices"][0]["finish_reason"], "tool_calls");
}

#[tokio::test]
async fn stream_asks_for_usage_and_yields_every_chunk() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let adapter = adapter(&mock, "sk-test", Timeouts::default());
    let client_request = request(json!({"model":"gpt-tools2","stream":true,"stream_options":{"custom":1},
        "messages":[{"role":"user","content":"x"}],
        "tools":[{"type":"function","function":{"name":"weather"}},{"type":"function","function":{"name":"time"}}]}));
    let stream = adapter.typed_stream(client_request, "gpt-tools2").await.unwrap();
    let chunks: Vec<Value> = stream.map(|c| serde_json::to_value(c.unwrap()).unwrap()).collect().await;
    let sent = mock.recorder().last().unwrap().json();
    assert_eq!(sent["stream"], true);
    assert_eq!(sent["stream_options"], json!({"include_usage":true,"custom":1}));
    let expected: Vec<Value> =
        std::fs::read_to_string(format!("{}/tests/fixtures/openai_tools2.sse", env!("CARGO_MANIFEST_DIR")))
            .unwrap()
            .split("\n\n")
            .filter_map(|e| e.strip_prefix("data: "))
            .filter(|d| *d != "[DONE]")
            .map(|d| serde_json::from_str(d).unwrap())
            .collect();
    // Same chunks as the upstream sent, in order (the fixture is the mock's own transcript of this scenario).
    let normalise = |mut v: Value| {
        v["id"] = json!("x");
        v["created"] = json!(0);
        for call in v.pointer_mut("/choices/0/delta/tool_calls").and_then(Value::as_array_mut).into_iter().flatten() {
            if let Some(id) = call.get_mut("id") {
                *id = json!("call_ID");
            }
        }
        v
    };
    assert_eq!(
        chunks.into_iter().map(normalise).collect::<Vec<_>>(),
        expected.into_iter().map(normalise).collect::<Vec<_>>()
    );
}

async fn chat_error(adapter: &OpenAiAdapter, model: &str) -> Error {
    adapter.typed_chat(hello(model), model).await.unwrap_err()
}

#[tokio::test]
async fn every_error_scenario_maps_to_its_documented_code() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let adapter = adapter(&mock, "sk-test", Timeouts::default());
    let cases = [
        ("gpt-throttle", ErrorCode::RateLimitExceeded),
        ("gpt-denied", ErrorCode::UpstreamAuthenticationError),
        ("gpt-invalid", ErrorCode::UpstreamValidationError),
        ("gpt-notfound", ErrorCode::ModelNotFound),
        ("gpt-unavailable", ErrorCode::ServiceUnavailable),
        ("gpt-midstream-error", ErrorCode::UpstreamError),
        ("gpt-disconnect", ErrorCode::UpstreamError),
    ];
    for (model, code) in cases {
        let error = chat_error(&adapter, model).await;
        assert_eq!(error.code, code, "{model}: {error:?}");
        // Same before a stream starts.
        let stream_error = adapter.typed_stream(hello(model), model).await.err();
        if model != "gpt-midstream-error" && model != "gpt-disconnect" {
            assert_eq!(stream_error.map(|e| e.code), Some(code), "{model} (stream)");
        }
    }
    let throttled = chat_error(&adapter, "gpt-throttle").await;
    assert_eq!(throttled.retry_after.as_deref(), Some("1"));
    assert_eq!(throttled.message, "Rate limit reached for requests. Please try again in 1s.");
    let invalid = chat_error(&adapter, "gpt-invalid").await;
    assert_eq!(invalid.message, "Invalid value for 'messages': the mock rejects this request as invalid.");
}

#[tokio::test]
async fn mid_stream_failures_arrive_as_items() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let adapter = adapter(&mock, "sk-test", Timeouts::default());
    for (model, code) in
        [("gpt-midstream-error", ErrorCode::UpstreamError), ("gpt-disconnect", ErrorCode::UpstreamError)]
    {
        let items: Vec<Result<_, _>> = adapter.typed_stream(hello(model), model).await.unwrap().collect().await;
        let (last, first) = items.split_last().unwrap();
        assert!(first.iter().all(Result::is_ok) && !first.is_empty(), "{model}");
        assert_eq!(last.as_ref().unwrap_err().code, code, "{model}");
    }
}

#[tokio::test]
async fn timeouts_unreachable_and_bad_credentials() {
    let mock = spawn(MockConfig { openai_api_key: Some("sk-right".into()), ..MockConfig::default() }).await.unwrap();
    let fast = Timeouts {
        connect: Duration::from_secs(2),
        first_byte: Duration::from_millis(300),
        idle: Duration::from_millis(30),
    };
    let adapter = adapter(&mock, "sk-right", fast);
    assert_eq!(chat_error(&adapter, "gpt-timeout").await.code, ErrorCode::UpstreamTimeout);
    // `slow` pauses 60 ms between chunks: longer than the 30 ms idle limit.
    let items: Vec<Result<_, _>> = adapter.typed_stream(hello("gpt-slow"), "gpt-slow").await.unwrap().collect().await;
    assert_eq!(items.last().unwrap().as_ref().unwrap_err().code, ErrorCode::UpstreamTimeout);

    let wrong_key = adapter_with_key(&mock, "sk-wrong-secret-value");
    let error = chat_error(&wrong_key, "gpt-4o").await;
    assert_eq!(error.code, ErrorCode::UpstreamAuthenticationError);
    assert!(!format!("{error:?} {error}").contains("sk-wrong-secret-value"));
    assert!(!format!("{wrong_key:?}").contains("sk-wrong-secret-value"));

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let config = OpenAiConfig::new(format!("http://127.0.0.1:{port}/v1"), None);
    let unreachable = OpenAiAdapter::new(config, http_client(Duration::from_secs(2)).unwrap()).unwrap();
    assert_eq!(chat_error(&unreachable, "gpt-4o").await.code, ErrorCode::UpstreamUnreachable);
}

fn adapter_with_key(mock: &MockHandle, key: &str) -> OpenAiAdapter {
    adapter(mock, key, Timeouts::default())
}

#[tokio::test]
async fn dropping_the_stream_closes_the_upstream_connection() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let adapter = adapter(&mock, "sk-test", Timeouts::default());
    let mut stream = adapter.typed_stream(hello("gpt-slow"), "gpt-slow").await.unwrap();
    assert!(stream.next().await.unwrap().is_ok());
    let seq = mock.recorder().last().unwrap().seq;
    drop(stream);
    assert_eq!(mock.recorder().wait_for_outcome(seq, Duration::from_secs(5)).await, Some(StreamOutcome::ClientGone));
}

#[tokio::test]
async fn list_models_tags_openai_and_keeps_chat_and_embedding_models() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let models = adapter(&mock, "sk-test", Timeouts::default()).list_models().await.unwrap();
    let ids: Vec<(&str, &str)> = models.iter().map(|m| (m.id.as_str(), m.owned_by.as_str())).collect();
    // text-embedding-3-small is listed too: /v1/embeddings serves it.
    assert_eq!(
        ids,
        [
            ("gpt-4o", "openai"),
            ("gpt-4o-mini", "openai"),
            ("o3-mini", "openai"),
            ("text-embedding-3-small", "openai"),
            ("obs-mock-tool", "openai")
        ]
    );
}
