//! Every row of docs/reference/errors.md §2's table over a real listener, and orig §10.2 C1–C9 where obs departs
//! from the original, as that table says.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{KEY, chat, start, status_json};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

fn error(code: &str, kind: &str, param: Option<&str>) -> Value {
    json!({"type": kind, "param": param, "code": code})
}

/// The error object without its message (messages are checked where the reference fixes them).
fn shape(body: &Value) -> Value {
    let mut e = body["error"].clone();
    assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    e.as_object_mut().unwrap().remove("message");
    e
}

#[tokio::test]
async fn request_errors_in_check_order() {
    let t = start(|_| {}).await;
    let cases: Vec<(reqwest::Response, u16, Value)> = vec![
        (t.post_raw("/v1/chat/completions", "{not json").await, 400, error("invalid_json", "invalid_request_error", None)),
        (t.post_raw("/v1/chat/completions", "[1,2]").await, 400, error("invalid_body", "invalid_request_error", None)),
        (t.post("/v1/chat/completions", &json!({"model":"gpt-4o","foo":1})).await, 400, error("unsupported_format", "invalid_request_error", None)),
        (t.post("/v1/chat/completions", &json!({"messages":[{"role":"user","content":"hi"}]})).await, 400, error("missing_model", "invalid_request_error", Some("model"))),
        (t.post("/v1/chat/completions", &json!({"model":"gpt-4o","messages":[]})).await, 400, error("empty_messages", "invalid_request_error", Some("messages"))),
        (t.post("/v1/chat/completions", &json!({"model":123,"messages":[{"role":"user","content":"hi"}]})).await, 400, error("invalid_value", "invalid_request_error", Some("model"))),
        (t.post("/v1/chat/completions", &json!({"model":"gpt-4o","messages":[{"role":"robot","content":"hi"}]})).await, 400, error("invalid_value", "invalid_request_error", Some("messages.0.role"))),
        (t.post("/v1/chat/completions", &json!({"model":"gpt-4o","temperature":3,"messages":[{"role":"user","content":"hi"}]})).await, 400, error("invalid_value", "invalid_request_error", Some("temperature"))),
        (t.post("/v1/chat/completions", &json!({"anthropic_version":"bedrock-2023-05-31","model":"anthropic.claude-v2","messages":[{"role":"user","content":"hi"}]})).await, 400, error("invalid_value", "invalid_request_error", Some("max_tokens"))),
        (t.post("/v1/chat/completions", &json!({"model":"anthropic.claude-v2","n":2,"messages":[{"role":"user","content":"hi"}]})).await, 400, error("unsupported_parameter", "invalid_request_error", Some("n"))),
        (t.post("/v1/chat/completions", &json!({"model":"amazon.titan-text-express-v1","tools":[{"type":"function","function":{"name":"f"}}],"messages":[{"role":"user","content":"hi"}]})).await, 400, error("unsupported_parameter", "invalid_request_error", Some("tools"))),
        (t.post("/v1/chat/completions", &json!({"model":"amazon.titan-embed-text-v2:0","messages":[{"role":"user","content":"hi"}]})).await, 400, error("invalid_value", "invalid_request_error", Some("model"))),
        (t.post("/v1/chat/completions?target_format=xml", &chat("gpt-4o")).await, 400, error("invalid_target_format", "invalid_request_error", Some("target_format"))),
    ];
    for (i, (response, status, expected)) in cases.into_iter().enumerate() {
        assert_eq!(response.headers()["content-type"], "application/json", "case {i}");
        let (got, body) = status_json(response).await;
        assert_eq!((got, shape(&body)), (status, expected), "case {i}: {body}");
    }
}

#[tokio::test]
async fn upstream_errors_map_to_the_documented_table() {
    let t = start(|c| {
        c.timeouts.first_byte_seconds = 1.0;
    })
    .await;
    let cases = [
        ("gpt-invalid", 400, error("upstream_validation_error", "invalid_request_error", None)),
        ("anthropic.claude-invalid", 400, error("upstream_validation_error", "invalid_request_error", None)),
        ("anthropic.claude-denied", 403, error("upstream_access_denied", "permission_error", None)),
        ("gpt-denied", 502, error("upstream_authentication_error", "api_error", None)),
        ("gpt-notfound", 404, error("model_not_found", "invalid_request_error", None)),
        ("meta.llama-notfound", 404, error("model_not_found", "invalid_request_error", None)),
        ("gpt-throttle", 429, error("rate_limit_exceeded", "rate_limit_error", None)),
        ("amazon.titan-text-throttle", 429, error("rate_limit_exceeded", "rate_limit_error", None)),
        ("gpt-midstream-error", 502, error("upstream_error", "api_error", None)),
        ("anthropic.claude-midstream-error", 502, error("upstream_error", "api_error", None)),
        ("gpt-unavailable", 503, error("service_unavailable", "api_error", None)),
        ("meta.llama-unavailable", 503, error("service_unavailable", "api_error", None)),
        ("anthropic.claude-timeout", 504, error("upstream_timeout", "api_error", None)),
        ("gpt-timeout", 504, error("upstream_timeout", "api_error", None)),
    ];
    for (model, status, expected) in cases {
        for stream in [false, true] {
            let mut body = chat(model);
            body["stream"] = json!(stream);
            let response = t.post("/v1/chat/completions", &body).await;
            if model == "gpt-throttle" {
                assert_eq!(response.headers()["retry-after"], "1", "retry-after passes through");
            }
            let (got, body) = status_json(response).await;
            if stream && model.contains("midstream") {
                // Output started before the failure: 200 and an in-band error (tested in streams.rs).
                assert_eq!(got, 200, "{model}");
                continue;
            }
            assert_eq!((got, shape(&body)), (status, expected.clone()), "{model} stream={stream}: {body}");
        }
    }
    let (_, body) = status_json(t.post("/v1/chat/completions", &chat("anthropic.claude-invalid")).await).await;
    assert_eq!(body["error"]["message"], "The provided request is not valid (mock scenario 'invalid').");
}

#[tokio::test]
async fn unreachable_upstreams_and_rejected_gateway_credentials() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let t = start(|_| {}).await;
    // Demo mode points OpenAI at the emulator; swap in a closed port through a second server's config.
    drop(t);
    let mut config = obs_service::config::Config::default();
    config.server.port = 0;
    config.server.api_keys = vec![secrecy::SecretString::from(KEY.to_owned())];
    config.openai.base_url = format!("http://127.0.0.1:{port}/v1");
    config.openai.api_key = Some(secrecy::SecretString::from("sk-x".to_owned()));
    config.retries.max_retries = 0;
    config.bedrock.region = Some("us-east-1".into());
    config.bedrock.endpoint_url = Some(format!("http://127.0.0.1:{port}"));
    config.aws.access_key_id = Some("AKIDX".into());
    config.aws.secret_access_key = Some(secrecy::SecretString::from("s".to_owned()));
    // Not demo mode: the store would be a file in the working directory.
    config.responses.store_url = Some("sqlite::memory:".to_owned());
    let server = obs_server::start(obs_server::ServeOptions { config, no_auth: false, demo: false }).await.unwrap();
    let client = reqwest::Client::new();
    for model in ["gpt-4o", "anthropic.claude-v2"] {
        let response = client
            .post(format!("http://{}/v1/chat/completions", server.local_addr()))
            .bearer_auth(KEY)
            .json(&chat(model))
            .send()
            .await
            .unwrap();
        let (status, body) = status_json(response).await;
        assert_eq!((status, shape(&body)), (502, error("upstream_unreachable", "api_error", None)), "{model}: {body}");
    }

    // The gateway's own upstream credentials refused: 502 upstream_authentication_error, never the secret.
    let mock = obs_mock::spawn(obs_mock::MockConfig { openai_api_key: Some("sk-right".into()), ..Default::default() })
        .await
        .unwrap();
    let mut config = obs_service::config::Config::default();
    config.server.port = 0;
    config.server.api_keys = vec![secrecy::SecretString::from(KEY.to_owned())];
    config.openai.base_url = mock.openai_base_url();
    config.openai.api_key = Some(secrecy::SecretString::from("sk-wrong-gateway-secret".to_owned()));
    config.bedrock.region = Some("us-east-1".into());
    config.bedrock.endpoint_url = Some(mock.base_url());
    config.aws.access_key_id = Some(obs_mock::REJECTED_ACCESS_KEY_ID.into());
    config.aws.secret_access_key = Some(secrecy::SecretString::from("aws-gateway-secret".to_owned()));
    // Not demo mode: the store would be a file in the working directory.
    config.responses.store_url = Some("sqlite::memory:".to_owned());
    let server = obs_server::start(obs_server::ServeOptions { config, no_auth: false, demo: false }).await.unwrap();
    for model in ["gpt-4o", "anthropic.claude-v2", "meta.llama3"] {
        let response = client
            .post(format!("http://{}/v1/chat/completions", server.local_addr()))
            .bearer_auth(KEY)
            .json(&chat(model))
            .send()
            .await
            .unwrap();
        let (status, body) = status_json(response).await;
        assert_eq!((status, shape(&body)), (502, error("upstream_authentication_error", "api_error", None)), "{model}");
        let text = body.to_string();
        assert!(!text.contains("sk-wrong-gateway-secret") && !text.contains("aws-gateway-secret"), "{text}");
    }
}

#[tokio::test]
async fn auth_rows_and_c2_to_c4() {
    let t = start(|_| {}).await;
    let url = format!("{}/v1/chat/completions", t.base);
    let body = chat("gpt-4o");
    let not_authenticated = json!({"error":{"message":"Not authenticated","type":"invalid_request_error","param":null,"code":"invalid_api_key"}});
    let invalid = json!({"error":{"message":"Invalid API key","type":"invalid_request_error","param":null,"code":"invalid_api_key"}});
    let attempts = [
        (t.client.post(&url).json(&body).send().await.unwrap(), &not_authenticated),
        (
            t.client.post(&url).header("authorization", "Basic dXNlcjpwYXNz").json(&body).send().await.unwrap(),
            &not_authenticated,
        ),
        (t.client.post(&url).header("authorization", "Bearer ").json(&body).send().await.unwrap(), &not_authenticated),
        (t.client.post(&url).bearer_auth("invalid-key").json(&body).send().await.unwrap(), &invalid),
        (t.client.post(&url).header("x-api-key", "wrong").json(&body).send().await.unwrap(), &invalid),
        // A bad body without a key is still 401: auth comes before the body.
        (t.client.post(&url).body("{bad json").send().await.unwrap(), &not_authenticated),
        (t.client.get(format!("{}/v1/models", t.base)).send().await.unwrap(), &not_authenticated),
    ];
    for (i, (response, expected)) in attempts.into_iter().enumerate() {
        assert_eq!(response.headers()["www-authenticate"], "Bearer", "attempt {i}");
        let (status, got) = status_json(response).await;
        assert_eq!((status, &got), (401, expected), "attempt {i}");
        assert!(!got.to_string().contains("invalid-key"), "never echo the key");
    }
    let ok = t.client.post(&url).header("x-api-key", KEY).json(&body).send().await.unwrap();
    assert_eq!(ok.status(), 200, "x-api-key is accepted");
}

#[tokio::test]
async fn routes_sizes_and_c1_c5_c8_c9() {
    let t = start(|c| c.server.body_limit_bytes = 2048).await;
    let (status, body) = status_json(t.client.get(format!("{}/health", t.base)).send().await.unwrap()).await;
    assert_eq!((status, body), (200, json!({"status":"ok"})), "C1, no auth needed");
    let (status, body) = status_json(t.get("/nowhere").await).await;
    assert_eq!((status, shape(&body)), (404, error("not_found", "invalid_request_error", None)));
    let response = t.client.delete(format!("{}/v1/chat/completions", t.base)).send().await.unwrap();
    assert_eq!(response.headers()["allow"], "POST");
    let (status, body) = status_json(response).await;
    assert_eq!((status, shape(&body)), (405, error("method_not_allowed", "invalid_request_error", None)));
    let big = json!({"model":"gpt-4o","messages":[{"role":"user","content":"x".repeat(4096)}]});
    let (status, body) = status_json(t.post("/v1/chat/completions", &big).await).await;
    assert_eq!((status, shape(&body)), (413, error("request_too_large", "invalid_request_error", None)));
    // A chunked body over the limit (no content-length) is refused too.
    let chunks = futures::stream::iter((0..8).map(|_| Ok::<_, std::io::Error>(vec![b' '; 512])));
    let (status, _) = status_json(t.post_raw("/v1/chat/completions", reqwest::Body::wrap_stream(chunks)).await).await;
    assert_eq!(status, 413);
    // C5 / C8 / C9 with the codes of docs/reference/errors.md.
    let (status, body) =
        status_json(t.post("/v1/chat/completions", &json!({"model":"test-model","messages":[]})).await).await;
    assert_eq!((status, body["error"]["code"].clone()), (400, json!("empty_messages")));
    let (status, body) = status_json(t.post("/v1/chat/completions", &json!({})).await).await;
    assert_eq!((status, body["error"]["code"].clone()), (400, json!("unsupported_format")));
}

#[tokio::test]
async fn refuses_to_start_without_a_key() {
    let mut config = obs_service::config::Config::default();
    config.server.port = 0;
    // Not demo mode: the store would be a file in the working directory.
    config.responses.store_url = Some("sqlite::memory:".to_owned());
    let error = obs_server::start(obs_server::ServeOptions { config: config.clone(), no_auth: false, demo: false })
        .await
        .unwrap_err();
    assert!(error.to_string().contains("no API key is configured"), "{error}");
    config.server.host = "0.0.0.0".into();
    let error = obs_server::start(obs_server::ServeOptions { config: config.clone(), no_auth: false, demo: true })
        .await
        .unwrap_err();
    assert!(error.to_string().contains("no API key"), "demo off loopback still needs a key: {error}");
    config.server.host = "127.0.0.1".into();
    let server = obs_server::start(obs_server::ServeOptions { config: config.clone(), no_auth: false, demo: true })
        .await
        .unwrap();
    let response = reqwest::Client::new()
        .post(format!("http://{}/v1/chat/completions", server.local_addr()))
        .json(&chat("gpt-4o"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "demo on loopback without a key");
    // Not demo mode: the store would be a file in the working directory.
    config.responses.store_url = Some("sqlite::memory:".to_owned());
    let server = obs_server::start(obs_server::ServeOptions { config, no_auth: true, demo: false }).await.unwrap();
    assert!(server.local_addr().port() > 0);
}

#[tokio::test]
async fn c6_happy_path_and_health_endpoints() {
    let t = start(|_| {}).await;
    let (status, body) = status_json(
        t.post("/v1/chat/completions", &json!({"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]})).await,
    )
    .await;
    assert_eq!(status, 200);
    let mut body = body;
    assert_eq!(body["id"].as_str().map(str::len), Some("chatcmpl-".len() + 29), "{body}");
    body["id"] = json!("chatcmpl-ID");
    body["created"] = json!(0);
    assert_eq!(
        body,
        json!({"id":"chatcmpl-ID","object":"chat.completion","created":0,"model":"gpt-4o",
            "choices":[{"index":0,"message":{"role":"assistant","content":"You said: hi","refusal":null,"annotations":[]},"finish_reason":"stop","logprobs":null}],
            "usage":{"prompt_tokens":1,"completion_tokens":3,"total_tokens":4,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},
                "completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},
            "service_tier":"default","system_fingerprint":"fp_5f2b9c04d1"})
    );
    let (status, mut health) =
        status_json(t.client.get(format!("{}/v1/chat/completions/health", t.base)).send().await.unwrap()).await;
    let timestamp = health["timestamp"].as_str().unwrap().to_owned();
    assert!(humantime::parse_rfc3339(&timestamp).is_ok() && timestamp.ends_with('Z'), "{timestamp}");
    health["timestamp"] = json!("T");
    assert_eq!(
        (status, health),
        (
            200,
            json!({"status":"healthy","timestamp":"T","version":env!("CARGO_PKG_VERSION"),
            "message":"Unified chat completions endpoint operational",
            "supported_input_formats":["openai","bedrock_claude","bedrock_titan"],
            "model_routing":"enabled","streaming_support":"enabled","routing_method":"model_id_based"})
        )
    );
    let response = t.get("/v1/chat/completions").await;
    assert_eq!(response.status(), 405);
    let request_id =
        t.client.get(format!("{}/health", t.base)).header("x-request-id", "trace-123").send().await.unwrap();
    assert_eq!(request_id.headers()["x-request-id"], "trace-123");
    let generated = t.client.get(format!("{}/health", t.base)).send().await.unwrap();
    let id = generated.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(id.len(), 24);
    assert!(id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)), "{id}");
    let again = t.client.get(format!("{}/health", t.base)).send().await.unwrap();
    assert_ne!(again.headers()["x-request-id"].to_str().unwrap(), id);
}
