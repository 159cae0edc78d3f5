//! `POST /v1/messages` and `/v1/messages/count_tokens` on the wire, through a demo-mode server: Claude on Bedrock
//! gets the client's body as sent (compared with what the emulator received) and its stream comes back event for
//! event (compared with the emulator's own stream for the same body); OpenAI-kind and Converse targets answer in
//! Anthropic's shape; the beta header, the model-name table and the error table (docs/reference/messages.md).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{KEY, TestServer, start};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

const CLAUDE: &str = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";

async fn post(t: &TestServer, path: &str, body: &Value, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = t
        .client
        .post(format!("{}{path}", t.base))
        .header("x-api-key", KEY)
        .header("anthropic-version", "2023-06-01")
        .json(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

async fn status_json(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, serde_json::from_str(&response.text().await.unwrap()).unwrap())
}

/// (event name, data) of each event of a transcript; comments skipped.
fn events(transcript: &str) -> Vec<(String, Value)> {
    transcript
        .split("\n\n")
        .filter(|block| !block.trim().is_empty() && !block.starts_with(':'))
        .map(|block| {
            let mut lines = block.lines();
            let name = lines.next().unwrap().strip_prefix("event: ").unwrap().to_owned();
            let data = lines.next().unwrap().strip_prefix("data: ").unwrap();
            assert_eq!(lines.next(), None, "one data line per event: {block}");
            (name, serde_json::from_str(data).unwrap())
        })
        .collect()
}

/// A Messages body that uses what Claude-native clients send: block system prompts and tools with
/// `cache_control` (and a TTL), thinking with a signed thinking block replayed (`signed`, as the emulator gave it),
/// a tool round trip, an image, a PDF document with citations, metadata, `top_k` and a field obs has never heard of.
fn rich_body(model: &str, signed: &Value) -> Value {
    json!({
        "model": model,
        "max_tokens": 2048,
        "system": [{"type": "text", "text": "You are terse.", "cache_control": {"type": "ephemeral", "ttl": "1h"}}],
        "thinking": {"type": "enabled", "budget_tokens": 1024},
        "tools": [{"name": "get_weather", "description": "Weather for a city",
                   "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
                   "cache_control": {"type": "ephemeral"}}],
        "tool_choice": {"type": "auto"},
        "metadata": {"user_id": "user-1"},
        "top_k": 5,
        "messages": [
            {"role": "user", "content": [
                {"type": "text", "text": "Weather in Paris?", "cache_control": {"type": "ephemeral"}},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
                {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0xLjQK"},
                 "title": "Forecast", "citations": {"enabled": true}}]},
            {"role": "assistant", "content": [
                signed,
                {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP"},
                {"type": "tool_use", "id": "toolu_01A", "name": "get_weather", "input": {"city": "Paris"}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_01A", "content": [{"type": "text", "text": "18C, sunny"}],
                 "cache_control": {"type": "ephemeral"}}]}
        ],
        "x_future_field": {"kept": true}
    })
}

/// What Bedrock must receive for a body: the same fields in the same order, without `model`/`stream`, with
/// `anthropic_version` first and the betas last.
fn bedrock_view(body: &Value, betas: Option<Value>) -> String {
    let mut expected = serde_json::Map::new();
    expected.insert("anthropic_version".into(), json!("bedrock-2023-05-31"));
    for (key, value) in body.as_object().unwrap() {
        if key != "model" && key != "stream" {
            expected.insert(key.clone(), value.clone());
        }
    }
    if let Some(betas) = betas {
        expected.insert("anthropic_beta".into(), betas);
    }
    serde_json::to_string(&Value::Object(expected)).unwrap()
}

fn last_runtime_request(t: &TestServer) -> obs_mock::RecordedRequest {
    t.mock().recorder().requests().into_iter().rev().find(|r| r.path.starts_with("/model/")).unwrap()
}

#[tokio::test]
async fn claude_on_bedrock_gets_the_body_as_the_client_sent_it() {
    let t = start(|_| {}).await;
    let thought = json!({"model": "us.anthropic.claude-3-haiku-reasoning", "max_tokens": 64,
        "messages": [{"role": "user", "content": "What is the weather in Paris?"}]});
    let (_, thought) = status_json(post(&t, "/v1/messages", &thought, &[]).await).await;
    let signed = thought["content"][0].clone();
    assert_eq!(signed["type"], "thinking", "{thought}");
    let body = rich_body(CLAUDE, &signed);
    let response = post(&t, "/v1/messages?beta=true", &body, &[]).await;
    assert_eq!(response.headers()["x-obs-target"], format!("bedrock/{CLAUDE}"));
    assert_eq!(response.headers()["request-id"], response.headers()["x-request-id"]);
    let (status, answer) = status_json(response).await;
    assert_eq!(status, 200, "{answer}");

    let recorded = last_runtime_request(&t);
    assert_eq!(recorded.path, format!("/model/{}/invoke", CLAUDE.replace(':', "%3A")));
    assert_eq!(String::from_utf8(recorded.body.to_vec()).unwrap(), bedrock_view(&body, None));

    // The emulator's own answer, as it wrote it.
    assert!(answer["id"].as_str().unwrap().starts_with("msg_"), "{answer}");
    assert_eq!((answer["type"].clone(), answer["role"].clone()), (json!("message"), json!("assistant")));
    assert!(answer["usage"]["input_tokens"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn the_beta_header_becomes_anthropic_beta_without_the_betas_bedrock_refuses() {
    let t = start(|_| {}).await;
    let body = json!({"model": CLAUDE, "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}]});
    let cases: [(&[&str], Option<Value>); 4] = [
        (&[], None),
        (&["claude-code-20250219,oauth-2025-04-20"], None),
        (
            &["claude-code-20250219, interleaved-thinking-2025-05-14", "context-1m-2025-08-07"],
            Some(json!(["interleaved-thinking-2025-05-14", "context-1m-2025-08-07"])),
        ),
        (
            &["fine-grained-tool-streaming-2025-05-14,fine-grained-tool-streaming-2025-05-14"],
            Some(json!(["fine-grained-tool-streaming-2025-05-14"])),
        ),
    ];
    for (headers, expected) in cases {
        let mut request = t.client.post(format!("{}/v1/messages", t.base)).header("x-api-key", KEY).json(&body);
        for value in headers {
            request = request.header("anthropic-beta", *value);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200, "{headers:?}");
        let recorded = last_runtime_request(&t);
        assert_eq!(String::from_utf8(recorded.body.to_vec()).unwrap(), bedrock_view(&body, expected), "{headers:?}");
    }
}

/// The emulator's stream for `body`, asked directly through the AWS SDK as obs asks it: each chunk's JSON.
async fn emulator_events(t: &TestServer, model: &str, body: String) -> Vec<Value> {
    use aws_sdk_bedrockruntime::config::{BehaviorVersion, Credentials, Region};
    use aws_sdk_bedrockruntime::types::ResponseStream;
    let config = aws_sdk_bedrockruntime::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(t.mock().base_url())
        .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
        .build();
    let client = aws_sdk_bedrockruntime::Client::from_conf(config);
    let mut stream = client
        .invoke_model_with_response_stream()
        .model_id(model)
        .body(aws_sdk_bedrockruntime::primitives::Blob::new(body))
        .send()
        .await
        .unwrap()
        .body;
    let mut events = Vec::new();
    while let Some(event) = stream.recv().await.unwrap() {
        if let ResponseStream::Chunk(part) = event {
            events.push(serde_json::from_slice(part.bytes.unwrap().as_ref()).unwrap());
        }
    }
    events
}

/// Ids the emulator mints per request (`msg_…`, `toolu_…`) set to one value.
fn without_ids(mut events: Vec<Value>) -> Vec<Value> {
    for event in &mut events {
        for pointer in ["/message/id", "/content_block/id"] {
            if let Some(id) = event.pointer_mut(pointer) {
                *id = json!("ID");
            }
        }
    }
    events
}

#[tokio::test]
async fn claude_streams_come_back_event_for_event() {
    let t = start(|_| {}).await;
    for model in [CLAUDE, "us.anthropic.claude-3-haiku-tool", "anthropic.claude-3-haiku-reasoning"] {
        let mut body = json!({"model": model, "max_tokens": 256, "stream": true,
            "tools": [{"name": "get_weather", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}],
            "messages": [{"role": "user", "content": "What is the weather in Paris?"}]});
        if model.contains("reasoning") {
            body.as_object_mut().unwrap().remove("tools");
        }
        let response = post(&t, "/v1/messages", &body, &[]).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        let transcript = response.text().await.unwrap();
        let relayed = events(&transcript);
        for (name, data) in &relayed {
            assert_eq!(name, data["type"].as_str().unwrap(), "the event line names the data's type");
        }
        // The ping Anthropic sends after message_start, then exactly the emulator's events.
        assert_eq!(relayed[1].0, "ping");
        let mut relayed: Vec<Value> = relayed.into_iter().map(|(_, data)| data).collect();
        relayed.remove(1);
        let sent = last_runtime_request(&t);
        assert_eq!(sent.path, format!("/model/{}/invoke-with-response-stream", model.replace(':', "%3A")));
        let direct = emulator_events(&t, model, String::from_utf8(sent.body.to_vec()).unwrap()).await;
        assert_eq!(without_ids(relayed), without_ids(direct), "{model}");
    }
}

#[tokio::test]
async fn anthropic_model_names_map_to_the_region_groups_inference_profile() {
    let t = start(|config| {
        config.aliases.insert("claude-opus-4-1".to_owned(), serde_json::from_value(json!("openai:gpt-4o")).unwrap());
    })
    .await;
    let body = |model: &str| json!({"model": model, "max_tokens": 32, "messages": [{"role": "user", "content": "hi"}]});
    for (name, target) in [
        ("claude-sonnet-4-5", "bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0"),
        ("claude-sonnet-4-5-20250929", "bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0"),
        ("claude-3-5-haiku-20241022", "bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0"),
        ("claude-3-haiku-20240307", "bedrock/us.anthropic.claude-3-haiku-20240307-v1:0"),
        // An alias of the same name wins over the table.
        ("claude-opus-4-1", "openai/gpt-4o"),
        // Bedrock ids and provider-prefixed ids route as on chat completions.
        ("eu.anthropic.claude-3-haiku-20240307-v1:0", "bedrock/eu.anthropic.claude-3-haiku-20240307-v1:0"),
        ("bedrock/anthropic.claude-3-haiku-20240307-v1:0", "bedrock/anthropic.claude-3-haiku-20240307-v1:0"),
    ] {
        let response = post(&t, "/v1/messages", &body(name), &[]).await;
        assert_eq!(response.status(), 200, "{name}");
        assert_eq!(response.headers()["x-obs-target"], target, "{name}");
    }
}

#[tokio::test]
async fn other_models_answer_as_anthropic_messages() {
    let t = start(|_| {}).await;
    let tools = json!([{"name": "get_weather", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}]);
    for model in ["gpt-4o-tool", "us.meta.llama3-3-70b-tool"] {
        let body = json!({"model": model, "max_tokens": 100, "system": "Be brief.", "tools": tools,
            "messages": [{"role": "user", "content": "Weather in Paris?"}]});
        let (status, answer) = status_json(post(&t, "/v1/messages", &body, &[]).await).await;
        assert_eq!(status, 200, "{answer}");
        assert!(answer["id"].as_str().unwrap().starts_with("msg_"), "{answer}");
        let keys: Vec<&String> = answer.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["id", "type", "role", "model", "content", "stop_reason", "stop_sequence", "usage"]);
        assert_eq!(answer["type"], "message");
        assert_eq!(answer["stop_reason"], "tool_use", "{model}");
        let tool = answer["content"].as_array().unwrap().iter().find(|b| b["type"] == "tool_use").unwrap();
        assert_eq!(tool["name"], "get_weather");
        assert!(tool["input"]["city"].is_string(), "{answer}");
        assert!(answer["usage"]["input_tokens"].as_u64().unwrap() > 0);

        let mut streamed = body.clone();
        streamed["stream"] = json!(true);
        let transcript = post(&t, "/v1/messages", &streamed, &[]).await.text().await.unwrap();
        let relayed = events(&transcript);
        let names: Vec<&str> = relayed.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(&names[..2], ["message_start", "ping"], "{transcript}");
        assert_eq!(&names[names.len() - 2..], ["message_delta", "message_stop"]);
        assert!(relayed[0].1["message"]["id"].as_str().unwrap().starts_with("msg_"));
        let json: String = relayed
            .iter()
            .filter_map(|(_, data)| data.pointer("/delta/partial_json").and_then(Value::as_str))
            .collect();
        assert_eq!(serde_json::from_str::<Value>(&json).unwrap(), tool["input"], "{model}");
        assert_eq!(relayed[names.len() - 2].1["delta"]["stop_reason"], "tool_use");
    }
    // The OpenAI upstream got the converted request: the system prompt first, the tool as a function.
    let sent = t.mock().recorder().requests().into_iter().rev().find(|r| r.path == "/v1/chat/completions").unwrap();
    let sent = sent.json();
    assert_eq!(sent["messages"][0], json!({"role": "system", "content": "Be brief."}));
    assert_eq!(sent["tools"][0]["function"]["name"], "get_weather");
}

#[tokio::test]
async fn errors_are_in_anthropic_shape_with_anthropic_statuses() {
    let t = start(|config| config.retries.max_retries = 0).await;
    let body = |model: &str| json!({"model": model, "max_tokens": 32, "messages": [{"role": "user", "content": "hi"}]});

    let response = t.client.post(format!("{}/v1/messages", t.base)).json(&body(CLAUDE)).send().await.unwrap();
    assert!(response.headers().contains_key("request-id"));
    let (status, error) = status_json(response).await;
    assert_eq!(
        (status, error),
        (401, json!({"type": "error", "error": {"type": "authentication_error", "message": "Not authenticated"}}))
    );

    let cases: Vec<(Value, u16, &str)> = vec![
        (json!({"model": CLAUDE, "messages": [{"role": "user", "content": "hi"}]}), 400, "invalid_request_error"),
        (json!({"model": CLAUDE, "max_tokens": 5, "messages": []}), 400, "invalid_request_error"),
        (json!({"max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}), 400, "invalid_request_error"),
        (
            json!({"model": CLAUDE, "max_tokens": 5, "messages": [{"role": "user", "content": [{"type": "video"}]}]}),
            400,
            "invalid_request_error",
        ),
        (body("us.anthropic.claude-3-haiku-invalid"), 400, "invalid_request_error"),
        (body("us.anthropic.claude-3-haiku-denied"), 403, "permission_error"),
        (body("us.anthropic.claude-3-haiku-notfound"), 404, "not_found_error"),
        (body("us.anthropic.claude-3-haiku-throttle"), 429, "rate_limit_error"),
        (body("us.anthropic.claude-3-haiku-unavailable"), 529, "overloaded_error"),
        (body("us.anthropic.claude-3-haiku-midstream-error"), 502, "api_error"),
        (body("gpt-4o-unavailable"), 529, "overloaded_error"),
    ];
    for (request, status, kind) in cases {
        let response = post(&t, "/v1/messages", &request, &[]).await;
        let (got, error) = status_json(response).await;
        assert_eq!(
            (got, error["type"].as_str(), error["error"]["type"].as_str()),
            (status, Some("error"), Some(kind)),
            "{request} → {error}"
        );
        assert!(error["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert_eq!(error.as_object().unwrap().len(), 2, "{error}");
    }

    let response = post(&t, "/v1/messages", &body("gpt-4o-throttle"), &[]).await;
    assert_eq!((response.status().as_u16(), response.headers()["retry-after"].to_str().unwrap()), (429, "1"));

    let (status, error) = status_json(t.client.get(format!("{}/v1/messages", t.base)).send().await.unwrap()).await;
    assert_eq!((status, error["error"]["type"].as_str()), (405, Some("invalid_request_error")));

    // After the first event, a failure is one `event: error` and the end of the stream.
    for model in ["us.anthropic.claude-3-haiku-midstream-error", "gpt-4o-midstream-error"] {
        let mut request = body(model);
        request["stream"] = json!(true);
        let transcript = post(&t, "/v1/messages", &request, &[]).await.text().await.unwrap();
        let relayed = events(&transcript);
        let (name, data) = relayed.last().unwrap();
        assert_eq!(name, "error", "{transcript}");
        assert_eq!(data["type"], "error");
        assert_eq!(data["error"]["type"], "api_error");
        assert!(!transcript.contains("message_stop"));
    }
}

#[tokio::test]
async fn count_tokens_for_a_model_without_a_counter_is_a_400_naming_it() {
    let t = start(|_| {}).await;
    let body = json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]});
    let (status, error) = status_json(post(&t, "/v1/messages/count_tokens", &body, &[]).await).await;
    assert_eq!((status, error["error"]["type"].as_str()), (400, Some("invalid_request_error")));
    assert!(error["error"]["message"].as_str().unwrap().contains("'gpt-4o'"), "{error}");
}

#[tokio::test]
async fn the_openapi_document_describes_the_messages_routes() {
    let t = start(|_| {}).await;
    let document: Value = t.client.get(format!("{}/openapi.json", t.base)).send().await.unwrap().json().await.unwrap();
    for path in ["/v1/messages", "/v1/messages/count_tokens"] {
        let post = &document["paths"][path]["post"];
        assert!(post["responses"]["529"]["content"]["application/json"]["schema"]["$ref"].is_string(), "{path}");
    }
    assert_eq!(document["components"]["schemas"]["AnthropicError"]["required"], json!(["type", "error"]));
}

/// A one-image HTTP server on 127.0.0.1.
async fn image_server() -> std::net::SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut request = [0u8; 2048];
            let _ = stream.read(&mut request).await;
            let head = "HTTP/1.1 200 OK\r\ncontent-type: image/png\r\ncontent-length: 6\r\nconnection: close\r\n\r\n";
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(b"\x89PNG\r\n").await;
        }
    });
    addr
}

#[tokio::test]
async fn images_given_by_url_reach_claude_as_base64_and_nothing_else_changes() {
    let t = start(|config| config.images.allow_private_networks = true).await;
    let url = format!("http://{}/cat.png", image_server().await);
    let body = json!({"model": CLAUDE, "max_tokens": 64, "messages": [{"role": "user", "content": [
        {"type": "text", "text": "What is this?"},
        {"type": "image", "source": {"type": "url", "url": url}, "cache_control": {"type": "ephemeral"}}]}]});
    let response = post(&t, "/v1/messages", &body, &[]).await;
    assert_eq!(response.status(), 200);
    let mut expected = body.clone();
    expected["messages"][0]["content"][1]["source"] =
        json!({"type": "base64", "media_type": "image/png", "data": "iVBORw0K"});
    assert_eq!(String::from_utf8(last_runtime_request(&t).body.to_vec()).unwrap(), bedrock_view(&expected, None));
}

#[tokio::test]
async fn retries_are_named_as_on_chat_completions() {
    let t = start(|config| {
        config.retries.max_retries = 1;
        config.retries.initial_backoff_ms = 1;
    })
    .await;
    let body = json!({"model": "us.anthropic.claude-3-haiku-flaky", "max_tokens": 32, "messages": [{"role": "user", "content": "hi"}]});
    let response = post(&t, "/v1/messages", &body, &[]).await;
    assert_eq!((response.status().as_u16(), response.headers()["x-obs-retries"].to_str().unwrap()), (200, "1"));
}

#[tokio::test]
async fn a_body_over_the_limit_is_anthropics_request_too_large() {
    let t = start(|config| config.server.body_limit_bytes = 1000).await;
    let body = json!({"model": CLAUDE, "max_tokens": 8, "messages": [{"role": "user", "content": "x".repeat(2000)}]});
    let response = post(&t, "/v1/messages", &body, &[]).await;
    assert!(response.headers().contains_key("request-id"));
    let (status, error) = status_json(response).await;
    assert_eq!(
        (status, error["type"].as_str(), error["error"]["type"].as_str()),
        (413, Some("error"), Some("request_too_large"))
    );
}

#[tokio::test]
async fn count_tokens_counts_claude_input_as_its_answer_does() {
    let t = start(|_| {}).await;
    let messages = json!([{"role": "user", "content": "Count every word of this question, please"}]);
    let (status, answer) = status_json(
        post(
            &t,
            "/v1/messages",
            &json!({"model": "claude-sonnet-4-5", "max_tokens": 64, "system": "Be brief.", "messages": messages}),
            &[],
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    let response = post(
        &t,
        "/v1/messages/count_tokens",
        &json!({"model": "claude-sonnet-4-5", "system": "Be brief.", "messages": messages}),
        &[],
    )
    .await;
    assert_eq!(response.headers()["x-obs-target"], "bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0");
    let (status, count) = status_json(response).await;
    assert_eq!((status, count), (200, json!({"input_tokens": answer["usage"]["input_tokens"]})));
    // Bedrock's CountTokens got the InvokeModel body (a max_tokens added) for the foundation model.
    let sent = last_runtime_request(&t);
    assert_eq!(sent.path, "/model/anthropic.claude-sonnet-4-5-20250929-v1%3A0/count-tokens");
    let encoded = sent.json()["input"]["invokeModel"]["body"].as_str().unwrap().to_owned();
    let decoded = base64_decode(&encoded);
    assert_eq!(
        decoded,
        r#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":4096,"system":"Be brief.","messages":[{"role":"user","content":"Count every word of this question, please"}]}"#
    );
}

/// Standard base64, for the one body CountTokens carries.
fn base64_decode(text: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for byte in text.bytes().filter(|b| *b != b'=') {
        bits = (bits << 6) | ALPHABET.iter().position(|a| *a == byte).unwrap() as u32;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn prompt_caching_reports_writes_then_reads() {
    let t = start(|_| {}).await;
    let body = json!({"model": CLAUDE, "max_tokens": 64,
        "system": [{"type": "text", "text": "You are a weather bot with a long and detailed system prompt.", "cache_control": {"type": "ephemeral", "ttl": "1h"}}],
        "messages": [{"role": "user", "content": "Weather in Paris?"}]});
    let (_, first) = status_json(post(&t, "/v1/messages", &body, &[]).await).await;
    let (_, second) = status_json(post(&t, "/v1/messages", &body, &[]).await).await;
    let usage = |answer: &Value, key: &str| answer["usage"][key].as_u64().unwrap();
    assert!(usage(&first, "cache_creation_input_tokens") > 0, "{first}");
    assert_eq!(usage(&first, "cache_read_input_tokens"), 0);
    assert_eq!(usage(&second, "cache_creation_input_tokens"), 0);
    assert_eq!(usage(&second, "cache_read_input_tokens"), usage(&first, "cache_creation_input_tokens"));
    assert_eq!(usage(&first, "input_tokens"), usage(&second, "input_tokens"));
    // Streamed, message_start carries the same split.
    let mut streamed = body.clone();
    streamed["stream"] = json!(true);
    let transcript = post(&t, "/v1/messages", &streamed, &[]).await.text().await.unwrap();
    let start_usage = &events(&transcript)[0].1["message"]["usage"];
    assert_eq!(start_usage["cache_read_input_tokens"], second["usage"]["cache_read_input_tokens"], "{transcript}");
}

#[tokio::test]
async fn bedrocks_thinking_rules_reach_the_client_as_400s() {
    let t = start(|_| {}).await;
    let tools = json!([{"name": "get_weather", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}]);
    let question = json!([{"role": "user", "content": "What is the weather in Paris?"}]);
    let thinking = json!({"type": "enabled", "budget_tokens": 1024});
    let (status, first) = status_json(
        post(
            &t,
            "/v1/messages",
            &json!({"model": CLAUDE, "max_tokens": 2048, "thinking": thinking, "tools": tools, "messages": question}),
            &[],
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{first}");
    let content = first["content"].as_array().unwrap();
    assert_eq!(
        (content[0]["type"].as_str(), content.last().unwrap()["type"].as_str()),
        (Some("thinking"), Some("tool_use"))
    );
    let call = content.last().unwrap()["id"].clone();
    let turn = |assistant: Value, max_tokens: u64| {
        json!({"model": CLAUDE, "max_tokens": max_tokens, "thinking": thinking, "tools": tools,
            "messages": [question[0], {"role": "assistant", "content": assistant},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call, "content": "18C"}]}]})
    };
    let (status, answer) =
        status_json(post(&t, "/v1/messages", &turn(first["content"].clone(), 2048), &[]).await).await;
    assert_eq!((status, answer["stop_reason"].as_str()), (200, Some("end_turn")), "{answer}");

    let mut altered = first["content"].clone();
    altered[0]["thinking"] = json!("Something else.");
    let without = json!([content.last().unwrap()]);
    for (request, says) in [
        (turn(altered, 2048), "Invalid `signature` in `thinking` block"),
        (turn(without, 2048), "must start with a thinking block"),
        (turn(first["content"].clone(), 1024), "`max_tokens` must be greater than `thinking.budget_tokens`"),
    ] {
        let (status, error) = status_json(post(&t, "/v1/messages", &request, &[]).await).await;
        assert_eq!((status, error["error"]["type"].as_str()), (400, Some("invalid_request_error")), "{error}");
        assert!(error["error"]["message"].as_str().unwrap().contains(says), "{error}");
    }
}

#[tokio::test]
async fn an_application_inference_profile_of_claude_gets_the_passthrough() {
    let t = start(|_| {}).await;
    let profile = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/claudeapp01";
    let encoded = profile.replace(':', "%3A").replace('/', "%2F");
    let body = json!({"model": profile, "max_tokens": 32, "messages": [{"role": "user", "content": "hello obs"}]});
    for (stream, operation) in [(false, "invoke"), (true, "invoke-with-response-stream")] {
        let mut body = body.clone();
        body["stream"] = json!(stream);
        let response = post(&t, "/v1/messages", &body, &[]).await;
        assert_eq!(response.status(), 200, "stream {stream}");
        drop(response.bytes().await.unwrap());
        // InvokeModel with the ARN and the client's body: the profile's model (Claude) was looked up.
        let sent = last_runtime_request(&t);
        assert_eq!(sent.path, format!("/model/{encoded}/{operation}"));
        assert_eq!(String::from_utf8(sent.body.to_vec()).unwrap(), bedrock_view(&body, None));
    }
    let looked_up =
        t.mock().recorder().requests().iter().filter(|r| r.path.starts_with("/inference-profiles/")).count();
    assert_eq!(looked_up, 1, "the profile is looked up once, then cached");

    // CountTokens takes the foundation model behind the profile.
    let count = json!({"model": profile, "messages": [{"role": "user", "content": "hello obs"}]});
    let (status, answer) = status_json(post(&t, "/v1/messages/count_tokens", &count, &[]).await).await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer["input_tokens"].as_u64().unwrap() > 0);
    assert_eq!(last_runtime_request(&t).path, "/model/anthropic.claude-3-haiku-20240307-v1%3A0/count-tokens");
}
