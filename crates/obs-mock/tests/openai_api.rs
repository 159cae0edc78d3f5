//! The OpenAI side of the mock through real reqwest: whole bodies, SSE transcripts, errors, auth, recorder.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::masked;
use obs_mock::{MockConfig, StreamOutcome, spawn};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

async fn post(base: &str, body: Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{base}/chat/completions"))
        .bearer_auth("test-key")
        .json(&body)
        .send()
        .await
        .unwrap()
}

fn data_events(text: &str) -> Vec<String> {
    text.split("\n\n").filter(|e| !e.is_empty()).map(|e| e.strip_prefix("data: ").unwrap().to_owned()).collect()
}

#[tokio::test]
async fn text_reply_is_derived_from_the_last_user_message() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let response = post(
        &mock.openai_base_url(),
        json!({"model":"gpt-4o","messages":[
        {"role":"system","content":"Be brief"},{"role":"user","content":"hello there"}]}),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        masked(response.json::<Value>().await.unwrap()),
        json!({"id":"chatcmpl-ID","object":"chat.completion","created":0,"model":"gpt-4o",
            "choices":[{"index":0,"message":{"role":"assistant","content":"You said: hello there","refusal":null,"annotations":[]},
                "logprobs":null,"finish_reason":"stop"}],
            "usage":{"prompt_tokens":4,"completion_tokens":4,"total_tokens":8,
                "prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},
                "completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},
            "service_tier":"default","system_fingerprint":"fp_5f2b9c04d1"})
    );
    let recorded = mock.recorder().last().unwrap();
    assert_eq!((recorded.method.as_str(), recorded.path.as_str()), ("POST", "/v1/chat/completions"));
    assert_eq!(recorded.model.as_deref(), Some("gpt-4o"));
    assert_eq!(recorded.header("authorization"), Some("Bearer test-key"));
    assert_eq!(recorded.json()["messages"][1]["content"], "hello there");
}

#[tokio::test]
async fn tool_first_reply_has_null_content() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let body: Value = post(
        &mock.openai_base_url(),
        json!({"model":"gpt-tool-first","messages":[{"role":"user","content":"weather?"}],
        "tools":[{"type":"function","function":{"name":"lookup"}}]}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        masked(body["choices"][0].clone()),
        json!({"index":0,"message":{"role":"assistant","content":null,"refusal":null,"annotations":[],
            "tool_calls":[{"id":"call_ID","type":"function","function":{"name":"lookup","arguments":"{}"}}]},
            "logprobs":null,"finish_reason":"tool_calls"})
    );
}

#[tokio::test]
async fn tools2_stream_with_usage_has_correct_indices() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let response = post(
        &mock.openai_base_url(),
        json!({"model":"gpt-tools2","stream":true,"stream_options":{"include_usage":true},
        "messages":[{"role":"user","content":"both?"}],
        "tools":[{"type":"function","function":{"name":"weather","parameters":{"type":"object","properties":{"location":{"type":"string"}}}}},
            {"type":"function","function":{"name":"time","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]}),
    )
    .await;
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let events = data_events(&response.text().await.unwrap());
    let deltas: Vec<Value> = events
        .iter()
        .filter(|e| *e != "[DONE]")
        .map(|e| {
            let v = masked(serde_json::from_str(e).unwrap());
            assert!(v.as_object().unwrap().contains_key("usage"));
            match v["choices"].get(0) {
                Some(choice) => json!([choice["delta"], choice["finish_reason"]]),
                None => json!({"usage": v["usage"]}),
            }
        })
        .collect();
    assert_eq!(
        deltas,
        vec![
            json!([{"role":"assistant","content":"","refusal":null}, null]),
            json!([{"content":"Let"}, null]),
            json!([{"content":" me"}, null]),
            json!([{"content":" check"}, null]),
            json!([{"content":" both."}, null]),
            json!([{"tool_calls":[{"index":0,"id":"call_ID","type":"function","function":{"name":"weather","arguments":""}}]}, null]),
            json!([{"tool_calls":[{"index":0,"function":{"arguments":"{\"location\":"}}]}, null]),
            json!([{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]}, null]),
            json!([{"tool_calls":[{"index":1,"id":"call_ID","type":"function","function":{"name":"time","arguments":""}}]}, null]),
            json!([{"tool_calls":[{"index":1,"function":{"arguments":"{\"city\":"}}]}, null]),
            json!([{"tool_calls":[{"index":1,"function":{"arguments":"\"Tokyo\"}"}}]}, null]),
            json!([{}, "tool_calls"]),
            json!({"usage":{"prompt_tokens":1,"completion_tokens":29,"total_tokens":30,
                "prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},
                "completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}),
        ]
    );
    assert_eq!(events.last().unwrap(), "[DONE]");
}

#[tokio::test]
async fn stream_without_include_usage_has_no_usage_key_and_max_tokens_gives_length() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let text = post(
        &mock.openai_base_url(),
        json!({"model":"gpt-4o","stream":true,"max_tokens":2,
        "messages":[{"role":"user","content":"one two three"}]}),
    )
    .await
    .text()
    .await
    .unwrap();
    let events = data_events(&text);
    let parsed: Vec<Value> = events[..events.len() - 1].iter().map(|e| serde_json::from_str(e).unwrap()).collect();
    assert!(parsed.iter().all(|v| !v.as_object().unwrap().contains_key("usage")));
    let text: String = parsed.iter().filter_map(|v| v["choices"][0]["delta"]["content"].as_str()).collect();
    assert_eq!(text, "You said:");
    assert_eq!(parsed.last().unwrap()["choices"][0]["finish_reason"], "length");
}

#[tokio::test]
async fn error_scenarios_answer_openai_errors() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let cases = [
        ("gpt-throttle", 429, "rate_limit_exceeded"),
        ("gpt-denied", 403, "model_access_denied"),
        ("gpt-invalid", 400, "invalid_value"),
        ("gpt-notfound", 404, "model_not_found"),
        ("gpt-unavailable", 503, ""),
        ("gpt-midstream-error", 500, ""),
    ];
    for (model, status, code) in cases {
        let response =
            post(&mock.openai_base_url(), json!({"model":model,"messages":[{"role":"user","content":"x"}]})).await;
        assert_eq!(response.status(), status, "{model}");
        if model == "gpt-throttle" {
            assert_eq!(response.headers()["retry-after"], "1");
        }
        let body: Value = response.json().await.unwrap();
        assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{model}");
        assert_eq!(body["error"]["code"].as_str().unwrap_or(""), code, "{model}");
    }
}

#[tokio::test]
async fn midstream_error_and_disconnect_streams() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let text = post(
        &mock.openai_base_url(),
        json!({"model":"gpt-midstream-error","stream":true,
        "messages":[{"role":"user","content":"a b c d"}]}),
    )
    .await
    .text()
    .await
    .unwrap();
    let events = data_events(&text);
    assert_eq!(events.len(), 5, "{events:?}");
    let last: Value = serde_json::from_str(events.last().unwrap()).unwrap();
    assert_eq!(last["error"]["type"], "server_error");
    assert!(!text.contains("[DONE]"));

    let response = post(
        &mock.openai_base_url(),
        json!({"model":"gpt-disconnect","stream":true,
        "messages":[{"role":"user","content":"a b c d"}]}),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert!(response.text().await.is_err(), "the body must end in a transport error");
}

#[tokio::test]
async fn auth_and_models() {
    let mock = spawn(MockConfig { openai_api_key: Some("right".into()), ..MockConfig::default() }).await.unwrap();
    let client = reqwest::Client::new();
    let url = format!("{}/models", mock.openai_base_url());
    let unauthenticated = client.get(&url).send().await.unwrap();
    assert_eq!(unauthenticated.status(), 401);
    assert_eq!(unauthenticated.json::<Value>().await.unwrap()["error"]["code"], "invalid_api_key");
    assert_eq!(client.get(&url).bearer_auth("wrong").send().await.unwrap().status(), 401);
    let models: Value = client.get(&url).bearer_auth("right").send().await.unwrap().json().await.unwrap();
    assert_eq!(models["object"], "list");
    assert_eq!(models["data"][0], json!({"id":"gpt-4o","object":"model","created":1715367049,"owned_by":"system"}));
}

#[tokio::test]
async fn slow_scenario_delays_and_dropped_streams_are_seen() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let started = std::time::Instant::now();
    let response = post(
        &mock.openai_base_url(),
        json!({"model":"gpt-slow","stream":true,
        "messages":[{"role":"user","content":"x"}]}),
    )
    .await;
    let seq = mock.recorder().last().unwrap().seq;
    let mut response = response;
    let first = response.chunk().await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&first).starts_with("data: "));
    assert!(started.elapsed() >= Duration::from_millis(300));
    drop(response);
    assert_eq!(mock.recorder().wait_for_outcome(seq, Duration::from_secs(5)).await, Some(StreamOutcome::ClientGone));
}

#[tokio::test]
async fn configured_chunk_count_and_tool_result_turns() {
    let mock = spawn(MockConfig { chunks: Some(5), ..MockConfig::default() }).await.unwrap();
    let body: Value =
        post(&mock.openai_base_url(), json!({"model":"gpt-4o","messages":[{"role":"user","content":"x"}]}))
            .await
            .json()
            .await
            .unwrap();
    assert_eq!(body["choices"][0]["message"]["content"], "lorem ipsum dolor sit amet");
    let body: Value = post(&mock.openai_base_url(), json!({"model":"gpt-tool","messages":[
        {"role":"user","content":"weather?"},
        {"role":"assistant","content":null,"tool_calls":[{"id":"call_mock0","type":"function","function":{"name":"w","arguments":"{}"}}]},
        {"role":"tool","tool_call_id":"call_mock0","content":"21C and sunny"}]})).await.json().await.unwrap();
    assert_eq!(body["choices"][0]["message"]["content"], "The tool returned: 21C and sunny");
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
}

#[tokio::test]
async fn first_byte_delay_holds_back_the_status_line_of_whole_answers() {
    let mock =
        spawn(MockConfig { first_byte_delay: Duration::from_millis(200), ..MockConfig::default() }).await.unwrap();
    let started = std::time::Instant::now();
    let response =
        post(&mock.openai_base_url(), json!({"model":"gpt-4o","messages":[{"role":"user","content":"x"}]})).await;
    assert!(started.elapsed() >= Duration::from_millis(200), "headers arrived after {:?}", started.elapsed());
    assert_eq!(response.status(), 200);
}
