//! The Bedrock runtime routes on the wire (docs/reference/bedrock-ingress.md), through a demo-mode server: a
//! Converse body to a Bedrock model reaches the emulator byte for byte and its answer and frames come back as the
//! emulator wrote them (compared with the emulator asked directly); failures in Bedrock's shape with
//! `x-amzn-errortype`, before and after a stream began; `x-amzn-requestid` on every answer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use aws_smithy_eventstream::frame::{DecodedFrame, MessageFrameDecoder};
use aws_smithy_types::event_stream::{HeaderValue, Message};
use bytes::Bytes;
use common::{KEY, TestServer, start};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

const NOVA: &str = "amazon.nova-lite-v1:0";
const CLAUDE: &str = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";

fn path(model: &str, operation: &str) -> String {
    format!("/model/{}/{operation}", percent_encoding::utf8_percent_encode(model, percent_encoding::NON_ALPHANUMERIC))
}

async fn post(t: &TestServer, model: &str, operation: &str, body: &[u8]) -> reqwest::Response {
    t.client
        .post(format!("{}{}", t.base, path(model, operation)))
        .bearer_auth(KEY)
        .header("content-type", "application/json")
        .body(body.to_vec())
        .send()
        .await
        .unwrap()
}

/// The emulator asked directly, signed as the SDK signs (the emulator checks the header's shape only).
async fn direct(t: &TestServer, model: &str, operation: &str, body: &[u8]) -> reqwest::Response {
    t.client
        .post(format!("{}{}", t.mock().base_url(), path(model, operation)))
        .header("authorization", "AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/us-east-1/bedrock/aws4_request")
        .header("content-type", "application/json")
        .body(body.to_vec())
        .send()
        .await
        .unwrap()
}

/// A Converse body as AWS clients send it: system, inference and tool config, a tool round trip, an image, model
/// fields, and a field obs has never heard of — in an order no serializer would choose.
fn rich_body() -> Vec<u8> {
    serde_json::to_vec(&json!({
        "messages": [
            {"role": "user", "content": [{"text": "Weather in Paris?"},
                {"image": {"format": "png", "source": {"bytes": "iVBORw0KGgo="}}}]},
            {"role": "assistant", "content": [{"toolUse": {"toolUseId": "tooluse_1", "name": "get_weather", "input": {"city": "Paris"}}}]},
            {"role": "user", "content": [{"toolResult": {"toolUseId": "tooluse_1", "content": [{"text": "18C"}], "status": "success"}}]}
        ],
        "system": [{"text": "You are terse."}],
        "inferenceConfig": {"maxTokens": 256, "temperature": 0.2, "stopSequences": ["END"]},
        "toolConfig": {"tools": [{"toolSpec": {"name": "get_weather", "description": "Weather",
            "inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string"}}}}}}]},
        "additionalModelRequestFields": {"top_k": 5},
        "x_future_field": {"kept": true}
    }))
    .unwrap()
}

fn header<'m>(message: &'m Message, name: &str) -> Option<&'m str> {
    message.headers().iter().find(|h| h.name().as_str() == name).and_then(|h| match h.value() {
        HeaderValue::String(value) => Some(value.as_str()),
        _ => None,
    })
}

/// Each frame of an event stream: its three type headers and its JSON payload (CRCs checked by the decoder).
fn frames(mut bytes: Bytes) -> Vec<(String, String, Value)> {
    let mut decoder = MessageFrameDecoder::new();
    let mut out = Vec::new();
    while let DecodedFrame::Complete(message) = decoder.decode_frame(&mut bytes).unwrap() {
        let kind = header(&message, ":event-type").or_else(|| header(&message, ":exception-type")).unwrap();
        out.push((
            header(&message, ":message-type").unwrap().to_owned(),
            kind.to_owned(),
            serde_json::from_slice(message.payload()).unwrap(),
        ));
    }
    assert!(bytes.is_empty(), "no partial frame left over");
    out
}

#[tokio::test]
async fn converse_to_a_bedrock_model_passes_the_body_and_the_answer_through() {
    let t = start(|_| {}).await;
    let body = rich_body();
    for model in [NOVA, CLAUDE] {
        let response = post(&t, model, "converse", &body).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/json");
        assert_eq!(response.headers()["x-obs-target"], format!("bedrock/{model}"));
        assert_eq!(response.headers()["x-amzn-requestid"], response.headers()["x-request-id"]);
        let relayed = response.bytes().await.unwrap();

        let sent = t.mock().recorder().last().unwrap();
        assert_eq!(sent.path, format!("/model/{}/converse", model.replace(':', "%3A")));
        assert_eq!(sent.body, body, "the emulator got the client's bytes");
        assert!(sent.header("authorization").unwrap().starts_with("AWS4-HMAC-SHA256 Credential="));

        let own = direct(&t, model, "converse", &body).await.bytes().await.unwrap();
        assert_eq!(String::from_utf8_lossy(&relayed), String::from_utf8_lossy(&own), "{model}");
        let answer: Value = serde_json::from_slice(&relayed).unwrap();
        assert_eq!(answer["output"]["message"]["role"], "assistant", "{answer}");
    }
}

#[tokio::test]
async fn converse_stream_relays_the_emulators_frames() {
    let t = start(|_| {}).await;
    let body = serde_json::to_vec(&json!({
        "messages": [{"role": "user", "content": [{"text": "What is the weather in Paris?"}]}],
        "toolConfig": {"tools": [{"toolSpec": {"name": "get_weather",
            "inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string"}}}}}}]}
    }))
    .unwrap();
    for model in [NOVA, "amazon.nova-tool", CLAUDE] {
        let response = post(&t, model, "converse-stream", &body).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/vnd.amazon.eventstream");
        assert!(response.headers().contains_key("x-amzn-requestid"));
        let relayed = frames(response.bytes().await.unwrap());
        let sent = t.mock().recorder().last().unwrap();
        assert_eq!(sent.body, body);
        let own = frames(direct(&t, model, "converse-stream", &body).await.bytes().await.unwrap());
        assert_eq!(without_ids(relayed.clone()), without_ids(own), "{model}");
        let kinds: Vec<&str> = relayed.iter().map(|(_, kind, _)| kind.as_str()).collect();
        assert_eq!(kinds.first(), Some(&"messageStart"));
        assert!(kinds.contains(&"messageStop") && kinds.last() == Some(&"metadata"), "{kinds:?}");
    }
}

/// The tool-use ids the emulator mints per request set to one value.
fn without_ids(mut frames: Vec<(String, String, Value)>) -> Vec<(String, String, Value)> {
    for (_, _, payload) in &mut frames {
        if let Some(id) = payload.pointer_mut("/start/toolUse/toolUseId") {
            *id = json!("ID");
        }
    }
    frames
}

async fn aws_error(response: reqwest::Response) -> (u16, String, Value) {
    let status = response.status().as_u16();
    assert!(response.headers().contains_key("x-amzn-requestid"));
    let kind = response.headers()["x-amzn-errortype"].to_str().unwrap().to_owned();
    (status, kind, serde_json::from_str(&response.text().await.unwrap()).unwrap())
}

#[tokio::test]
async fn failures_are_in_bedrocks_shape() {
    let t = start(|_| {}).await;
    let body = br#"{"messages":[{"role":"user","content":[{"text":"hi"}]}]}"#;
    let url = format!("{}{}", t.base, path(NOVA, "converse"));

    let anonymous = t.client.post(&url).body(body.to_vec()).send().await.unwrap();
    let (status, kind, answer) = aws_error(anonymous).await;
    assert_eq!((status, kind.as_str()), (403, "AccessDeniedException"));
    assert_eq!(answer, json!({"message": "The security token included in the request is invalid."}));
    let wrong = t.client.post(&url).bearer_auth("not-the-key").body(body.to_vec()).send().await.unwrap();
    assert_eq!(aws_error(wrong).await.1, "AccessDeniedException");

    let (status, kind, answer) = aws_error(post(&t, NOVA, "converse", b"[1]").await).await;
    assert_eq!((status, kind.as_str()), (400, "ValidationException"), "{answer}");

    let get = t.client.get(&url).bearer_auth(KEY).send().await.unwrap();
    assert_eq!(get.headers()["allow"], "POST");
    assert_eq!(aws_error(get).await.0, 405);

    let unknown = t.client.post(format!("{}/model/x/transmogrify", t.base)).bearer_auth(KEY).send().await.unwrap();
    assert_eq!(aws_error(unknown).await.1, "ResourceNotFoundException");

    // The emulator's own refusals come back typed as Bedrock typed them.
    for (model, status, expected) in [
        ("amazon.nova-throttle", 429, "ThrottlingException"),
        ("amazon.nova-invalid", 400, "ValidationException"),
        ("amazon.nova-denied", 403, "AccessDeniedException"),
        ("amazon.nova-notfound", 404, "ResourceNotFoundException"),
        ("amazon.nova-unavailable", 503, "ServiceUnavailableException"),
    ] {
        let (got_status, kind, answer) = aws_error(post(&t, model, "converse", body).await).await;
        assert_eq!((got_status, kind.as_str()), (status, expected), "{model}: {answer}");
        assert!(answer["message"].as_str().is_some_and(|m| !m.is_empty()), "{answer}");
    }
}

#[tokio::test]
async fn a_failure_mid_stream_is_an_exception_frame() {
    let t = start(|_| {}).await;
    let body = br#"{"messages":[{"role":"user","content":[{"text":"hi there, tell me a story"}]}]}"#;
    let response = post(&t, "amazon.nova-midstream-error", "converse-stream", body).await;
    assert_eq!(response.status(), 200);
    let relayed = frames(response.bytes().await.unwrap());
    let (message_type, kind, payload) = relayed.last().unwrap().clone();
    assert_eq!((message_type.as_str(), kind.as_str()), ("exception", "internalServerException"), "{relayed:?}");
    assert!(payload["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert!(relayed[..relayed.len() - 1].iter().all(|(t, _, _)| t == "event"));
}

/// A stream's frames with each InvokeModel chunk's `bytes` decoded, and the ids the emulator mints per request
/// (`msg_…`, `toolu_…`) set to one value.
fn chunks(frames: Vec<(String, String, Value)>) -> Vec<(String, String, Value)> {
    use base64::Engine;
    frames
        .into_iter()
        .map(|(message_type, kind, mut payload)| {
            if let Some(bytes) = payload.get("bytes").and_then(Value::as_str) {
                let decoded = base64::engine::general_purpose::STANDARD.decode(bytes).unwrap();
                let mut chunk: Value = serde_json::from_slice(&decoded).unwrap();
                for pointer in ["/message/id", "/content_block/id", "/id"] {
                    if let Some(id) = chunk.pointer_mut(pointer) {
                        *id = json!("ID");
                    }
                }
                payload["bytes"] = chunk;
            }
            (message_type, kind, payload)
        })
        .collect()
}

fn claude_body() -> Vec<u8> {
    serde_json::to_vec(&json!({
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 128,
        "system": "You are terse.",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Weather in Paris?"}]}],
        "x_future_field": 1
    }))
    .unwrap()
}

fn titan_body() -> Vec<u8> {
    serde_json::to_vec(&json!({"inputText": "User: hello obs\nBot:", "textGenerationConfig": {"maxTokenCount": 64}}))
        .unwrap()
}

#[tokio::test]
async fn invoke_passes_claude_and_titan_bodies_and_answers_through() {
    let t = start(|_| {}).await;
    for (model, body) in [(CLAUDE, claude_body()), ("amazon.titan-text-express-v1", titan_body())] {
        let response = post(&t, model, "invoke", &body).await;
        assert_eq!(response.status(), 200, "{model}");
        assert_eq!(response.headers()["x-obs-target"], format!("bedrock/{model}"));
        assert!(response.headers().contains_key("x-amzn-requestid"));
        let relayed_headers = bedrock_headers(response.headers());
        let relayed: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
        let sent = t.mock().recorder().last().unwrap();
        assert_eq!(sent.path, format!("/model/{}/invoke", model.replace(':', "%3A")));
        assert_eq!(sent.body, body, "{model}: the emulator got the client's bytes");
        let own = direct(&t, model, "invoke", &body).await;
        assert_eq!(relayed_headers, bedrock_headers(own.headers()), "{model}: Bedrock's headers relayed");
        let own: Value = serde_json::from_slice(&own.bytes().await.unwrap()).unwrap();
        let (input, output) = match model {
            CLAUDE => (&own["usage"]["input_tokens"], &own["usage"]["output_tokens"]),
            _ => (&own["inputTextTokenCount"], &own["results"][0]["tokenCount"]),
        };
        assert_eq!(
            relayed_headers,
            vec![
                ("x-amzn-bedrock-input-token-count".to_owned(), input.to_string()),
                ("x-amzn-bedrock-invocation-latency".to_owned(), "0".to_owned()),
                ("x-amzn-bedrock-output-token-count".to_owned(), output.to_string()),
            ],
            "{model}"
        );
        let without_id = |mut v: Value| {
            if let Some(id) = v.get_mut("id") {
                *id = json!("ID");
            }
            v
        };
        assert_eq!(without_id(relayed), without_id(own), "{model}");
    }
}

/// The `x-amzn-bedrock-*` headers of an answer, sorted by name.
fn bedrock_headers(headers: &reqwest::header::HeaderMap) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = headers
        .iter()
        .filter(|(name, _)| name.as_str().starts_with("x-amzn-bedrock-"))
        .map(|(name, value)| (name.as_str().to_owned(), value.to_str().unwrap().to_owned()))
        .collect();
    found.sort();
    found
}

#[tokio::test]
async fn invoke_with_response_stream_relays_the_chunks() {
    let t = start(|_| {}).await;
    for (model, body) in [(CLAUDE, claude_body()), ("amazon.titan-text-express-v1", titan_body())] {
        let response = post(&t, model, "invoke-with-response-stream", &body).await;
        assert_eq!(response.status(), 200, "{model}");
        assert_eq!(response.headers()["content-type"], "application/vnd.amazon.eventstream");
        let relayed = chunks(frames(response.bytes().await.unwrap()));
        let sent = t.mock().recorder().last().unwrap();
        assert_eq!(sent.path, format!("/model/{}/invoke-with-response-stream", model.replace(':', "%3A")));
        assert_eq!(sent.body, body);
        let own = chunks(frames(direct(&t, model, "invoke-with-response-stream", &body).await.bytes().await.unwrap()));
        assert_eq!(relayed, own, "{model}");
        assert!(relayed.len() > 2 && relayed.iter().all(|(t, kind, _)| t == "event" && kind == "chunk"), "{relayed:?}");
    }
}

#[tokio::test]
async fn converse_to_an_openai_model_is_translated_both_ways() {
    let t = start(|_| {}).await;
    let body = serde_json::to_vec(&json!({
        "system": [{"text": "You are terse."}],
        "messages": [{"role": "user", "content": [{"text": "hello obs"}]}],
        "inferenceConfig": {"maxTokens": 50, "temperature": 0.5, "topP": 0.9, "stopSequences": ["END"]}
    }))
    .unwrap();
    let response = post(&t, "gpt-4o", "converse", &body).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-obs-target"], "openai/gpt-4o");
    let answer: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    let sent = t.mock().recorder().last().unwrap();
    assert_eq!(
        sent.json(),
        json!({"model": "gpt-4o", "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": [{"type": "text", "text": "hello obs"}]}],
            "max_tokens": 50, "temperature": 0.5, "top_p": 0.9, "stop": ["END"]})
    );
    let usage = &answer["usage"];
    let (input, output) = (usage["inputTokens"].as_u64().unwrap(), usage["outputTokens"].as_u64().unwrap());
    assert!(input > 0 && output > 0);
    // The emulator answers at once: the measured latency is a few milliseconds at most.
    let latency = answer["metrics"]["latencyMs"].as_u64().unwrap();
    assert!(latency < 1000, "{latency}");
    assert_eq!(
        answer,
        json!({"output": {"message": {"role": "assistant", "content": [{"text": "You said: hello obs"}]}},
               "stopReason": "end_turn",
               "usage": {"inputTokens": input, "outputTokens": output, "totalTokens": input + output},
               "metrics": {"latencyMs": latency}})
    );
}

#[tokio::test]
async fn converse_pdf_documents_and_model_fields_reach_an_openai_model() {
    let t = start(|_| {}).await;
    let body = serde_json::to_vec(&json!({
        "messages": [{"role": "user", "content": [{"text": "Summarise it."},
            {"document": {"format": "pdf", "name": "report", "source": {"bytes": "JVBERi0xLjQK"}}}]}],
        "inferenceConfig": {"maxTokens": 50},
        "additionalModelRequestFields": {"seed": 7, "logprobs": true}
    }))
    .unwrap();
    let response = post(&t, "gpt-4o", "converse", &body).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        t.mock().recorder().last().unwrap().json(),
        json!({"model": "gpt-4o", "messages": [{"role": "user", "content": [
            {"type": "text", "text": "Summarise it."},
            {"type": "file", "file": {"filename": "report.pdf", "file_data": "data:application/pdf;base64,JVBERi0xLjQK"}}]}],
            "max_tokens": 50, "seed": 7, "logprobs": true})
    );
}

#[tokio::test]
async fn converse_blocks_an_openai_model_cannot_take_are_named_in_a_validation_exception() {
    let t = start(|_| {}).await;
    let with = |block: Value, extra: Value| {
        let mut body = json!({"messages": [{"role": "user", "content": [{"text": "hi"}, block]}]});
        if let Value::Object(extra) = extra {
            body.as_object_mut().unwrap().extend(extra);
        }
        serde_json::to_vec(&body).unwrap()
    };
    let docx = json!({"document": {"format": "docx", "name": "notes", "source": {"bytes": "UEsDBA=="}}});
    let video = json!({"video": {"format": "mp4", "source": {"bytes": "AAAA"}}});
    let cases = [
        (
            with(docx, json!({})),
            "The content block 'document' ('docx' document) cannot be sent to this model: it takes PDF documents given as source.bytes only.",
        ),
        (with(video, json!({})), "The content block 'video' cannot be sent to this model."),
        (
            with(
                json!({"text": "again"}),
                json!({"inferenceConfig": {"maxTokens": 5}, "additionalModelRequestFields": {"max_tokens": 9}}),
            ),
            "additionalModelRequestFields.max_tokens is set by the Converse request itself; set it there, not here.",
        ),
        (
            with(json!({"text": "again"}), json!({"additionalModelRequestFields": {"stream": true}})),
            "additionalModelRequestFields.stream is set by the Converse request itself; set it there, not here.",
        ),
    ];
    let before = t.mock().recorder().count();
    for (body, message) in cases {
        let (status, kind, answer) = aws_error(post(&t, "gpt-4o", "converse", &body).await).await;
        assert_eq!((status, kind.as_str(), answer), (400, "ValidationException", json!({"message": message})));
    }
    assert_eq!(t.mock().recorder().count(), before, "nothing was sent upstream");
}

#[tokio::test]
async fn converse_reports_the_measured_latency_of_an_openai_model() {
    let t = start(|_| {}).await;
    // `slow` waits 300 ms before its first byte and 60 ms between chunks.
    let body = br#"{"messages":[{"role":"user","content":[{"text":"hello obs"}]}]}"#;
    let started = std::time::Instant::now();
    let answer: Value =
        serde_json::from_slice(&post(&t, "gpt-4o-slow", "converse", body).await.bytes().await.unwrap()).unwrap();
    let whole = u64::try_from(started.elapsed().as_millis()).unwrap();
    let latency = answer["metrics"]["latencyMs"].as_u64().unwrap();
    assert!((300..=whole).contains(&latency), "{latency} of {whole}");

    let started = std::time::Instant::now();
    let relayed = frames(post(&t, "gpt-4o-slow", "converse-stream", body).await.bytes().await.unwrap());
    let whole = u64::try_from(started.elapsed().as_millis()).unwrap();
    let metadata = &relayed.last().unwrap().2;
    let latency = metadata["metrics"]["latencyMs"].as_u64().unwrap();
    // The whole stream: the first byte's wait and every chunk's.
    assert!((360..=whole).contains(&latency), "{latency} of {whole}: {metadata}");
}

#[tokio::test]
async fn a_tool_loop_over_converse_to_an_openai_model() {
    let t = start(|_| {}).await;
    let tools = json!({"tools": [{"toolSpec": {"name": "get_weather", "description": "Weather for a city",
        "inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}}],
        "toolChoice": {"auto": {}}});
    let question = json!({"role": "user", "content": [{"text": "What is the weather in Paris?"}]});
    let first = serde_json::to_vec(&json!({"messages": [question], "toolConfig": tools})).unwrap();
    let answer: Value =
        serde_json::from_slice(&post(&t, "gpt-4o-tool", "converse", &first).await.bytes().await.unwrap()).unwrap();
    assert_eq!(answer["stopReason"], "tool_use", "{answer}");
    let tool_use = answer["output"]["message"]["content"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|block| block.get("toolUse"))
        .unwrap()
        .clone();
    assert_eq!(tool_use["name"], "get_weather");
    assert!(tool_use["input"].is_object(), "{tool_use}");
    let sent = t.mock().recorder().last().unwrap().json();
    assert_eq!(sent["tools"][0]["function"]["parameters"], tools["tools"][0]["toolSpec"]["inputSchema"]["json"]);
    assert_eq!(sent["tool_choice"], "auto");

    let id = tool_use["toolUseId"].as_str().unwrap();
    let second = serde_json::to_vec(&json!({"messages": [question, answer["output"]["message"],
        {"role": "user", "content": [{"toolResult": {"toolUseId": id, "content": [{"json": {"temp": "18C"}}]}}]}],
        "toolConfig": tools}))
    .unwrap();
    let response = post(&t, "gpt-4o-tool", "converse", &second).await;
    assert_eq!(response.status(), 200);
    let last: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    let sent = t.mock().recorder().last().unwrap().json();
    assert_eq!(sent["messages"][1]["tool_calls"][0]["id"], id);
    assert_eq!(sent["messages"][1]["tool_calls"][0]["function"]["arguments"], tool_use["input"].to_string());
    assert_eq!(sent["messages"][2], json!({"role": "tool", "tool_call_id": id, "content": "{\"temp\":\"18C\"}"}));
    assert_eq!(last["stopReason"], "end_turn", "{last}");
    assert!(last["output"]["message"]["content"][0]["text"].as_str().is_some(), "{last}");
}

#[tokio::test]
async fn converse_stream_from_an_openai_model_is_converse_events() {
    let t = start(|_| {}).await;
    let body = br#"{"messages":[{"role":"user","content":[{"text":"hello obs"}]}]}"#;
    let whole: Value =
        serde_json::from_slice(&post(&t, "gpt-4o", "converse", body).await.bytes().await.unwrap()).unwrap();
    let response = post(&t, "gpt-4o", "converse-stream", body).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/vnd.amazon.eventstream");
    let relayed = frames(response.bytes().await.unwrap());
    assert!(t.mock().recorder().last().unwrap().json()["stream"] == json!(true));
    let kinds: Vec<&str> = relayed.iter().map(|(_, kind, _)| kind.as_str()).collect();
    let deltas = kinds.iter().filter(|k| **k == "contentBlockDelta").count();
    let mut expected = vec!["messageStart"];
    expected.extend(std::iter::repeat_n("contentBlockDelta", deltas));
    expected.extend(["contentBlockStop", "messageStop", "metadata"]);
    assert_eq!(kinds, expected);
    assert!(deltas >= 1);
    let text: String =
        relayed.iter().filter_map(|(_, _, p)| p.pointer("/delta/text").and_then(Value::as_str)).collect();
    assert_eq!(text, whole["output"]["message"]["content"][0]["text"].as_str().unwrap());
    assert_eq!(relayed[0].2, json!({"role": "assistant"}));
    assert_eq!(relayed[kinds.len() - 2].2, json!({"stopReason": "end_turn"}));
    assert_eq!(relayed.last().unwrap().2["usage"], whole["usage"]);
}

#[tokio::test]
async fn invoke_with_a_claude_body_to_an_openai_model() {
    let t = start(|_| {}).await;
    let body = claude_body();
    let response = post(&t, "gpt-4o", "invoke", &body).await;
    assert_eq!(response.status(), 200);
    let headers = bedrock_headers(response.headers());
    let answer: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert_eq!((answer["type"].as_str(), answer["role"].as_str()), (Some("message"), Some("assistant")), "{answer}");
    assert_eq!(answer["content"][0]["text"], "You said: Weather in Paris?");
    assert_eq!(
        t.mock().recorder().last().unwrap().json()["messages"][0],
        json!({"role": "system", "content": "You are terse."})
    );
    // Bedrock's InvokeModel headers, made from the answer's usage and the measured latency.
    let latency = headers.iter().find(|(name, _)| name == "x-amzn-bedrock-invocation-latency").unwrap().1.clone();
    assert!(latency.parse::<u64>().unwrap() < 1000, "{latency}");
    assert_eq!(
        headers,
        vec![
            ("x-amzn-bedrock-input-token-count".to_owned(), answer["usage"]["input_tokens"].to_string()),
            ("x-amzn-bedrock-invocation-latency".to_owned(), latency),
            ("x-amzn-bedrock-output-token-count".to_owned(), answer["usage"]["output_tokens"].to_string()),
        ]
    );

    let response = post(&t, "gpt-4o", "invoke-with-response-stream", &body).await;
    assert_eq!(response.status(), 200);
    let relayed = chunks(frames(response.bytes().await.unwrap()));
    let types: Vec<&str> = relayed.iter().map(|(_, _, p)| p["bytes"]["type"].as_str().unwrap()).collect();
    assert_eq!(types.first(), Some(&"message_start"));
    assert_eq!(types.last(), Some(&"message_stop"));
    let text: String =
        relayed.iter().filter_map(|(_, _, p)| p["bytes"].pointer("/delta/text").and_then(Value::as_str)).collect();
    assert_eq!(text, "You said: Weather in Paris?");
}

#[tokio::test]
async fn openai_failures_mid_stream_and_before_are_bedrock_typed() {
    let t = start(|_| {}).await;
    let body = br#"{"messages":[{"role":"user","content":[{"text":"hello obs, tell me a story"}]}]}"#;
    let (status, kind, _) = aws_error(post(&t, "gpt-4o-throttle", "converse", body).await).await;
    assert_eq!((status, kind.as_str()), (429, "ThrottlingException"));
    let response = post(&t, "gpt-4o-midstream-error", "converse-stream", body).await;
    assert_eq!(response.status(), 200);
    let relayed = frames(response.bytes().await.unwrap());
    assert_eq!(relayed.last().unwrap().0, "exception", "{relayed:?}");
    let (status, kind, _) = aws_error(post(&t, "gpt-4o", "count-tokens", b"{}").await).await;
    assert_eq!((status, kind.as_str()), (400, "ValidationException"));
}

const AKID: &str = "AKIDOBSCLIENT01";
const SECRET: &str = "obs-client-secret-access-key";

async fn start_with_aws_client() -> TestServer {
    start(|config| {
        config.server.aws_clients = vec![obs_service::config::AwsClientConfig {
            access_key_id: AKID.to_owned(),
            secret_access_key: SECRET.to_owned().into(),
            key: KEY.to_owned().into(),
        }];
    })
    .await
}

/// The AWS SDK for Rust with obs as its endpoint, signing with SigV4.
fn sdk(t: &TestServer, secret: &str, clock: std::time::SystemTime) -> aws_sdk_bedrockruntime::Client {
    use aws_sdk_bedrockruntime::config::{BehaviorVersion, Credentials, Region};
    let config = aws_sdk_bedrockruntime::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(&t.base)
        .credentials_provider(Credentials::new(AKID, secret, None, None, "test"))
        .time_source(aws_smithy_async::time::StaticTimeSource::new(clock))
        // The SDKs retry a "Signature expired" refusal with their clock corrected from the answer's Date header;
        // these tests look at the first answer.
        .retry_config(aws_sdk_bedrockruntime::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_bedrockruntime::Client::from_conf(config)
}

fn user(text: &str) -> aws_sdk_bedrockruntime::types::Message {
    use aws_sdk_bedrockruntime::types::{ContentBlock, ConversationRole, Message};
    Message::builder().role(ConversationRole::User).content(ContentBlock::Text(text.to_owned())).build().unwrap()
}

#[tokio::test]
async fn the_rust_sdk_signs_with_sigv4_and_reads_every_operation() {
    use aws_sdk_bedrockruntime::primitives::Blob;
    use aws_sdk_bedrockruntime::types::{ContentBlockDelta, ConverseStreamOutput, ResponseStream};
    let t = start_with_aws_client().await;
    let client = sdk(&t, SECRET, std::time::SystemTime::now());
    for model in [NOVA, "gpt-4o"] {
        let answer = client.converse().model_id(model).messages(user("hello obs")).send().await.unwrap();
        let message = answer.output.unwrap();
        let text = message.as_message().unwrap().content[0].as_text().unwrap().clone();
        assert!(!text.is_empty(), "{model}");
        assert!(answer.usage.unwrap().output_tokens > 0);

        let mut stream =
            client.converse_stream().model_id(model).messages(user("hello obs")).send().await.unwrap().stream;
        let mut streamed = String::new();
        let mut stopped = false;
        while let Some(event) = stream.recv().await.unwrap() {
            match event {
                ConverseStreamOutput::ContentBlockDelta(delta) => {
                    if let Some(ContentBlockDelta::Text(text)) = delta.delta {
                        streamed.push_str(&text);
                    }
                }
                ConverseStreamOutput::MessageStop(_) => stopped = true,
                _ => {}
            }
        }
        assert!(stopped && !streamed.is_empty(), "{model}");
    }
    let invoked = client.invoke_model().model_id(CLAUDE).body(Blob::new(claude_body())).send().await.unwrap();
    let answer: Value = serde_json::from_slice(invoked.body.as_ref()).unwrap();
    assert_eq!(answer["type"], "message");
    let mut stream = client
        .invoke_model_with_response_stream()
        .model_id("gpt-4o")
        .body(Blob::new(claude_body()))
        .send()
        .await
        .unwrap()
        .body;
    let mut kinds = Vec::new();
    while let Some(ResponseStream::Chunk(chunk)) = stream.recv().await.unwrap() {
        let event: Value = serde_json::from_slice(chunk.bytes.unwrap().as_ref()).unwrap();
        kinds.push(event["type"].as_str().unwrap().to_owned());
    }
    assert_eq!((kinds.first().unwrap().as_str(), kinds.last().unwrap().as_str()), ("message_start", "message_stop"));

    // Bedrock's exceptions, typed by the SDK.
    let throttled = client.converse().model_id("amazon.nova-throttle").messages(user("hi")).send().await.unwrap_err();
    assert!(throttled.as_service_error().unwrap().is_throttling_exception(), "{throttled:?}");
    let invalid = client.converse().model_id("gpt-4o").messages(user("hi")).messages(user("again")).send().await;
    assert!(invalid.is_ok() || invalid.unwrap_err().as_service_error().is_some());
}

#[tokio::test]
async fn sigv4_refuses_a_wrong_secret_a_stale_date_and_a_tampered_body() {
    use aws_sdk_bedrockruntime::error::ProvideErrorMetadata;
    let t = start_with_aws_client().await;
    let now = std::time::SystemTime::now();
    let denied = |error: aws_sdk_bedrockruntime::error::SdkError<_, _>| {
        let error: aws_sdk_bedrockruntime::operation::converse::ConverseError = error.into_service_error();
        (error.code().map(str::to_owned), error.message().map(str::to_owned))
    };
    let wrong = sdk(&t, "not-the-secret", now).converse().model_id(NOVA).messages(user("hi")).send().await;
    let (code, message) = denied(wrong.unwrap_err());
    assert_eq!(code.as_deref(), Some("AccessDeniedException"));
    assert!(message.unwrap().contains("signature we calculated does not match"));
    let stale = now - std::time::Duration::from_secs(6 * 60);
    let (code, message) =
        denied(sdk(&t, SECRET, stale).converse().model_id(NOVA).messages(user("hi")).send().await.unwrap_err());
    assert_eq!(code.as_deref(), Some("AccessDeniedException"));
    assert!(message.unwrap().contains("Signature expired"));
    // Four minutes off either way is within the window.
    for off in [-240i64, 240] {
        let clock =
            if off < 0 { now - std::time::Duration::from_secs(240) } else { now + std::time::Duration::from_secs(240) };
        sdk(&t, SECRET, clock).converse().model_id(NOVA).messages(user("hi")).send().await.unwrap();
    }
    assert!(t.mock().recorder().count() >= 2);

    // A body changed after signing: the signature covers its hash.
    let signed = signed_request(&t, b"{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"hi\"}]}]}");
    let ok = signed.try_clone().unwrap().send().await.unwrap();
    assert_eq!(ok.status(), 200);
    let tampered = signed.body(b"{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"ho\"}]}]}".to_vec());
    let (status, kind, _) = aws_error(tampered.send().await.unwrap()).await;
    assert_eq!((status, kind.as_str()), (403, "AccessDeniedException"));
    // An unknown access key.
    let unknown = t
        .client
        .post(format!("{}{}", t.base, path(NOVA, "converse")))
        .header("authorization", "AWS4-HMAC-SHA256 Credential=AKIDUNKNOWN/20260101/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature=00")
        .header("x-amz-date", "20260101T000000Z")
        .body("{}")
        .send()
        .await
        .unwrap();
    let (status, _, answer) = aws_error(unknown).await;
    assert_eq!((status, answer), (403, json!({"message": "The security token included in the request is invalid."})));
}

/// A reqwest request signed as the SDKs sign it (aws-sigv4), for the body `body`.
fn signed_request(t: &TestServer, body: &[u8]) -> reqwest::RequestBuilder {
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    let url = format!("{}{}", t.base, path(NOVA, "converse"));
    let host = url.trim_start_matches("http://").split('/').next().unwrap().to_owned();
    let identity = aws_credential_types::Credentials::new(AKID, SECRET, None, None, "test").into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("bedrock")
        .time(std::time::SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let headers = [("host", host.as_str()), ("content-type", "application/json")];
    let request = SignableRequest::new("POST", url.clone(), headers.into_iter(), SignableBody::Bytes(body)).unwrap();
    let (instructions, _) = sign(request, &params).unwrap().into_parts();
    let mut builder = t.client.post(url).header("content-type", "application/json").body(body.to_vec());
    for (name, value) in instructions.headers() {
        builder = builder.header(name, value);
    }
    builder
}

/// A server terminating TLS with a certificate for `localhost` made here, and that certificate's PEM. The
/// files are written under a directory of their own (`name`), removed once the server has read them.
async fn start_with_tls(name: &str) -> (TestServer, String) {
    let dir = std::env::temp_dir().join(format!("obs-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    let t = start(|config| {
        config.server.tls_cert_file = Some(cert.clone());
        config.server.tls_key_file = Some(key.clone());
    })
    .await;
    std::fs::remove_dir_all(&dir).unwrap();
    (t, certified.cert.pem())
}

#[tokio::test]
async fn obs_terminates_tls_with_h2_and_http1_by_alpn() {
    let (t, pem) = start_with_tls("tls").await;
    let port = t.server.local_addr().port();
    let trusted = reqwest::Certificate::from_pem(pem.as_bytes()).unwrap();
    let url = format!("https://localhost:{port}{}", path(NOVA, "converse"));
    let body = br#"{"messages":[{"role":"user","content":[{"text":"hello obs"}]}]}"#;
    for (http1, version) in [(false, reqwest::Version::HTTP_2), (true, reqwest::Version::HTTP_11)] {
        let mut client = reqwest::Client::builder()
            .tls_certs_only([trusted.clone()])
            .resolve("localhost", ([127, 0, 0, 1], port).into());
        if http1 {
            client = client.http1_only();
        }
        let client = client.build().unwrap();
        let response = client.post(&url).bearer_auth(KEY).body(body.to_vec()).send().await.unwrap();
        assert_eq!(response.version(), version);
        assert_eq!(response.status(), 200);
        let answer: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
        assert_eq!(answer["output"]["message"]["content"][0]["text"], "You said: hello obs");
        let denied = client.post(&url).bearer_auth("wrong").body(body.to_vec()).send().await.unwrap();
        assert_eq!(denied.status(), 403);
    }
    // Plain HTTP to the TLS port is not served.
    let plain = reqwest::Client::new().get(format!("http://127.0.0.1:{port}/health")).send().await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());
}

/// The AWS SDK for Rust as a Bedrock API key user configures it (`AWS_BEARER_TOKEN_BEDROCK`): the gateway key as
/// its bearer token, no AWS credentials, obs over HTTPS as its endpoint — trusting the test's certificate through
/// its own HTTP client, since the SDK sends a bearer token over HTTPS only.
fn bearer_sdk(endpoint: &str, pem: &str, token: &str) -> aws_sdk_bedrockruntime::Client {
    use aws_sdk_bedrockruntime::config::{BehaviorVersion, Region, Token};
    use aws_smithy_http_client::tls::{Provider, TlsContext, TrustStore, rustls_provider::CryptoMode};
    let trust = TrustStore::empty().with_native_roots(false).with_pem_certificate(pem.as_bytes().to_vec());
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(TlsContext::builder().with_trust_store(trust).build().unwrap())
        .build_https();
    let config = aws_sdk_bedrockruntime::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .http_client(http)
        .bearer_token(Token::new(token, None))
        .retry_config(aws_sdk_bedrockruntime::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_bedrockruntime::Client::from_conf(config)
}

#[tokio::test]
async fn the_rust_sdk_sends_a_bedrock_api_key_over_tls() {
    use aws_sdk_bedrockruntime::error::ProvideErrorMetadata;
    use aws_sdk_bedrockruntime::types::{ContentBlockDelta, ConverseStreamOutput};
    let (t, pem) = start_with_tls("sdk-tls").await;
    let endpoint = format!("https://localhost:{}", t.server.local_addr().port());
    let client = bearer_sdk(&endpoint, &pem, KEY);
    for (model, text) in [(NOVA, "You said: hello obs"), ("gpt-4o", "You said: hello obs")] {
        let answer = client.converse().model_id(model).messages(user("hello obs")).send().await.unwrap();
        let message = answer.output.unwrap();
        let content = &message.as_message().unwrap().content;
        assert_eq!(content[0].as_text().unwrap(), text, "{model}");
        let mut stream =
            client.converse_stream().model_id(model).messages(user("hello obs")).send().await.unwrap().stream;
        let mut streamed = String::new();
        while let Some(event) = stream.recv().await.unwrap() {
            if let ConverseStreamOutput::ContentBlockDelta(delta) = event
                && let Some(ContentBlockDelta::Text(text)) = delta.delta
            {
                streamed.push_str(&text);
            }
        }
        assert_eq!(streamed, text, "{model}");
    }
    // Bedrock behind obs got SigV4 from obs's own credentials; the client's token went no further.
    let sent = t.mock().recorder().requests();
    let to_bedrock: Vec<_> = sent.iter().filter(|r| r.path.starts_with("/model/")).collect();
    assert_eq!(to_bedrock.len(), 2);
    for request in to_bedrock {
        assert!(request.header("authorization").unwrap().starts_with("AWS4-HMAC-SHA256 "), "{request:?}");
    }

    let refused = bearer_sdk(&endpoint, &pem, "not-the-key")
        .converse()
        .model_id(NOVA)
        .messages(user("hi"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(
        (refused.code(), refused.message()),
        (Some("AccessDeniedException"), Some("The security token included in the request is invalid."))
    );
}

#[tokio::test]
async fn the_control_plane_lists_obs_models_for_bedrock_clients() {
    let t = start(|config| {
        config
            .aliases
            .insert("team-claude".to_owned(), serde_json::from_value(json!(format!("bedrock:{CLAUDE}"))).unwrap());
    })
    .await;
    let (status, models) = common::status_json(t.get("/v1/models").await).await;
    assert_eq!(status, 200);
    let ids: Vec<&str> = models["data"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();

    let response = t.get("/foundation-models").await;
    assert!(response.headers().contains_key("x-amzn-requestid"));
    let (status, listed) = common::status_json(response).await;
    assert_eq!(status, 200);
    let summaries = listed["modelSummaries"].as_array().unwrap();
    let listed_ids: Vec<&str> = summaries.iter().map(|m| m["modelId"].as_str().unwrap()).collect();
    assert_eq!(listed_ids, ids, "the same models as /v1/models");
    let alias = summaries.iter().find(|m| m["modelId"] == "team-claude").unwrap();
    assert_eq!(alias["modelArn"], "arn:aws:bedrock:us-east-1::foundation-model/team-claude");
    for summary in summaries {
        let owner = models["data"].as_array().unwrap().iter().find(|m| m["id"] == summary["modelId"]).unwrap();
        assert_eq!(summary["providerName"], owner["owned_by"], "marked with who serves it");
    }

    let (status, profiles) = common::status_json(t.get("/inference-profiles").await).await;
    assert_eq!(status, 200);
    let profiles = profiles["inferenceProfileSummaries"].as_array().unwrap();
    let expected: Vec<&str> = ids
        .iter()
        .copied()
        .filter(|id| {
            id.starts_with("us.")
                || id.starts_with("eu.")
                || id.starts_with("global.")
                || id.starts_with("apac.")
                || id.starts_with("jp.")
        })
        .collect();
    let listed: Vec<&str> = profiles.iter().map(|p| p["inferenceProfileId"].as_str().unwrap()).collect();
    assert_eq!(listed, expected);

    let anonymous = t.client.get(format!("{}/foundation-models", t.base)).send().await.unwrap();
    let (status, kind, _) = aws_error(anonymous).await;
    assert_eq!((status, kind.as_str()), (403, "AccessDeniedException"));
}

#[tokio::test]
async fn count_tokens_passes_the_request_to_bedrock() {
    use base64::Engine;
    let t = start(|_| {}).await;
    let encoded = base64::engine::general_purpose::STANDARD.encode(claude_body());
    let body = serde_json::to_vec(&json!({"input": {"invokeModel": {"body": encoded}}})).unwrap();
    let response = post(&t, CLAUDE, "count-tokens", &body).await;
    assert_eq!(response.status(), 200);
    let counted: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    let sent = t.mock().recorder().last().unwrap();
    assert_eq!(sent.path, format!("/model/{}/count-tokens", CLAUDE.replace(':', "%3A")));
    assert_eq!(sent.body, body, "the emulator got the client's bytes");
    let own: Value =
        serde_json::from_slice(&direct(&t, CLAUDE, "count-tokens", &body).await.bytes().await.unwrap()).unwrap();
    assert_eq!(counted, own);
    let answer: Value =
        serde_json::from_slice(&post(&t, CLAUDE, "invoke", &claude_body()).await.bytes().await.unwrap()).unwrap();
    assert_eq!(counted, json!({"inputTokens": answer["usage"]["input_tokens"]}));
    // Bedrock's own refusal of a model without a counter comes back typed.
    let (status, kind, _) = aws_error(post(&t, NOVA, "count-tokens", &body).await).await;
    assert_eq!((status, kind.as_str()), (400, "ValidationException"));
}

#[tokio::test]
async fn the_openapi_document_describes_the_bedrock_routes() {
    let t = start(|_| {}).await;
    let document: Value = t.client.get(format!("{}/openapi.json", t.base)).send().await.unwrap().json().await.unwrap();
    let stream = &document["paths"]["/model/{modelId}/converse-stream"]["post"];
    assert_eq!(stream["parameters"][0]["name"], "modelId");
    assert_eq!(
        stream["responses"]["200"]["content"],
        json!({"application/vnd.amazon.eventstream": {"schema": {"type": "string", "format": "binary"}}})
    );
    assert_eq!(
        stream["responses"]["429"]["content"]["application/json"]["schema"],
        json!({"$ref": "#/components/schemas/AwsError"})
    );
    assert_eq!(stream["security"], json!([{"bearer": []}, {"apiKey": []}, {"sigv4": []}]));
    assert_eq!(document["components"]["schemas"]["AwsError"]["required"], json!(["message"]));
    assert_eq!(
        document["paths"]["/foundation-models"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["required"],
        json!(["modelSummaries"])
    );
}

#[tokio::test]
async fn invoke_passes_the_clients_service_tier_and_latency_headers_on() {
    let t = start(|_| {}).await;
    for operation in ["invoke", "invoke-with-response-stream"] {
        let response = t
            .client
            .post(format!("{}{}", t.base, path(CLAUDE, operation)))
            .bearer_auth(KEY)
            .header("content-type", "application/json")
            .header("X-Amzn-Bedrock-Service-Tier", "priority")
            .header("X-Amzn-Bedrock-PerformanceConfig-Latency", "optimized")
            .header("X-Amzn-Bedrock-Unknown", "not-forwarded")
            .body(claude_body().to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{operation}");
        drop(response.bytes().await.unwrap());
        let sent = t.mock().recorder().last().unwrap();
        let mut forwarded: Vec<(&str, &str)> = sent
            .headers
            .iter()
            .filter(|(name, _)| name.starts_with("x-amzn-bedrock-") && name != "x-amzn-bedrock-accept")
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        // (The SDK's own X-Amzn-Bedrock-Accept on the stream operation aside.)
        forwarded.sort_unstable();
        assert_eq!(
            forwarded,
            [("x-amzn-bedrock-performanceconfig-latency", "optimized"), ("x-amzn-bedrock-service-tier", "priority")],
            "{operation}"
        );
        // Signed with the rest: the SDK's SigV4 covers them.
        let authorization = sent.header("authorization").unwrap();
        assert!(authorization.contains("x-amzn-bedrock-service-tier"), "{authorization}");
    }
}
