//! `/v1/responses` passed through to an upstream's own Responses API (`responses = "native"`,
//! docs/reference/responses.md §9), against the emulator's `/v1/responses`: the emulator gets the client's bytes,
//! the client gets the emulator's answer and event stream as the emulator writes them (compared with the emulator
//! asked directly, its per-request ids and times masked), and obs stores nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{KEY, TestServer, start, status_json};
use obs_service::config::ResponsesApi;
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

async fn native() -> TestServer {
    start(|config| {
        config.openai.responses = ResponsesApi::Native;
        config.aliases.insert("fast".to_owned(), serde_json::from_value(json!("openai:gpt-4o-mini")).unwrap());
        let group = json!({"targets": ["openai/gpt-4o-throttle", "openai/gpt-4o"]});
        config.models.groups.insert("resilient".to_owned(), serde_json::from_value(group).unwrap());
    })
    .await
}

/// The emulator asked directly, as obs asks it.
async fn direct(t: &TestServer, body: &[u8]) -> String {
    let response = t
        .client
        .post(format!("{}/responses", t.mock().openai_base_url()))
        .bearer_auth("demo-openai-key")
        .header("content-type", "application/json")
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    response.text().await.unwrap()
}

/// The emulator's per-request values (ids, times) set to one value, recursively.
fn mask(value: &mut Value) {
    match value {
        Value::Object(object) => {
            for (key, inner) in object.iter_mut() {
                if matches!(key.as_str(), "id" | "item_id" | "created_at") {
                    *inner = json!("*");
                } else {
                    mask(inner);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask),
        _ => {}
    }
}

/// A JSON answer or an SSE transcript with [`mask`] applied to every JSON text; every other byte as it was.
fn masked(text: &str) -> String {
    let json = |text: &str| {
        let mut value: Value = serde_json::from_str(text).unwrap();
        mask(&mut value);
        value.to_string()
    };
    if !text.starts_with("event: ") {
        return json(text);
    }
    text.split('\n')
        .map(|line| match line.strip_prefix("data: ") {
            Some(data) => format!("data: {}", json(data)),
            None => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn a_native_provider_gets_the_clients_bytes_and_answers_as_it_wrote() {
    let t = native().await;
    // An order and spacing no serializer would choose, and fields obs does not know.
    let body = br#"{"input": "hello obs", "model":"gpt-4o",  "store": true, "x_future": {"kept": 1}}"#;
    let from = t.mock().recorder().count();
    let response = t.post_raw("/v1/responses", body.to_vec()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.headers()["x-obs-target"], "openai/gpt-4o");
    let relayed = response.text().await.unwrap();
    let sent = t.mock().recorder().requests().into_iter().filter(|r| r.seq >= from).collect::<Vec<_>>();
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0].path.as_str(), sent[0].body.as_ref()), ("/v1/responses", &body[..]));
    assert_eq!(masked(&relayed), masked(&direct(&t, body).await));
    let answer: Value = serde_json::from_str(&relayed).unwrap();
    assert_eq!(answer["output"][0]["content"][0]["text"], "You said: hello obs");

    // obs kept nothing: the upstream stores (or not) what it answered.
    let id = answer["id"].as_str().unwrap();
    assert_eq!(status_json(t.get(&format!("/v1/responses/{id}")).await).await.0, 404);
}

#[tokio::test]
async fn a_native_stream_is_relayed_byte_for_byte() {
    let t = native().await;
    let body = br#"{"model":"gpt-4o","input":"hello obs","stream":true}"#;
    let response = t.post_raw("/v1/responses", body.to_vec()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let relayed = response.text().await.unwrap();
    assert_eq!(t.mock().recorder().last().unwrap().body.as_ref(), &body[..]);
    let own = direct(&t, body).await;
    assert_eq!(masked(&relayed), masked(&own));
    assert!(relayed.starts_with("event: response.created\n"), "{relayed}");
    assert!(relayed.contains("event: response.completed\n"), "{relayed}");
}

#[tokio::test]
async fn what_obs_does_not_translate_reaches_a_native_upstream() {
    let t = native().await;
    // A built-in tool, which the translation refuses as unsupported_parameter, is the upstream's business here.
    let body = br#"{"model":"gpt-4o","input":"hello obs","tools":[{"type":"web_search"}]}"#;
    let response = t.post_raw("/v1/responses", body.to_vec()).await;
    let relayed = response.text().await.unwrap();
    assert_eq!(t.mock().recorder().last().unwrap().body.as_ref(), &body[..]);
    assert_eq!(masked(&relayed), masked(&direct(&t, body).await));
    // Without a model the body is refused as on every target, before anything is sent.
    let from = t.mock().recorder().count();
    let (status, error) = status_json(t.post_raw("/v1/responses", br#"{"input":"x"}"#.to_vec()).await).await;
    assert_eq!((status, error["error"]["code"].clone()), (400, json!("missing_model")));
    assert_eq!(t.mock().recorder().count(), from);
}

#[tokio::test]
async fn an_alias_sends_its_upstream_id_and_keeps_the_rest_in_order() {
    let t = native().await;
    let body = br#"{"model":"fast","input":"hello obs","max_output_tokens":50}"#;
    let response = t.post_raw("/v1/responses", body.to_vec()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-obs-target"], "openai/gpt-4o-mini");
    assert_eq!(
        String::from_utf8(t.mock().recorder().last().unwrap().body.to_vec()).unwrap(),
        r#"{"model":"gpt-4o-mini","input":"hello obs","max_output_tokens":50}"#
    );
}

#[tokio::test]
async fn upstream_refusals_are_openai_errors_and_other_targets_stay_translated() {
    let t = native().await;
    let (status, error) =
        status_json(t.post("/v1/responses", &json!({"model": "gpt-4o-invalid", "input": "x"})).await).await;
    assert_eq!((status, error["error"]["type"].clone()), (400, json!("invalid_request_error")), "{error}");
    // A Bedrock model is translated as before (and stored by obs).
    let (status, answer) =
        status_json(t.post("/v1/responses", &json!({"model": "amazon.nova-lite-v1:0", "input": "hello obs"})).await)
            .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(t.mock().recorder().last().unwrap().path, "/model/amazon.nova-lite-v1%3A0/converse");
    let id = answer["id"].as_str().unwrap();
    let response = t.client.get(format!("{}/v1/responses/{id}", t.base)).bearer_auth(KEY).send().await.unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_group_falls_back_between_native_targets() {
    let t = native().await;
    let from = t.mock().recorder().count();
    let body = br#"{"model":"resilient","input":"hello obs"}"#;
    let response = t.post_raw("/v1/responses", body.to_vec()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-obs-target"], "openai/gpt-4o");
    let sent: Vec<String> = t
        .mock()
        .recorder()
        .requests()
        .into_iter()
        .filter(|r| r.seq >= from)
        .map(|r| String::from_utf8(r.body.to_vec()).unwrap())
        .collect();
    assert_eq!(
        sent,
        [r#"{"model":"gpt-4o-throttle","input":"hello obs"}"#, r#"{"model":"gpt-4o","input":"hello obs"}"#]
    );
}

#[tokio::test]
async fn a_failure_mid_stream_comes_as_the_upstream_wrote_it_or_where_it_stopped() {
    let t = native().await;
    let body = br#"{"model":"gpt-4o-midstream-error","input":"hello obs, tell me a story","stream":true}"#;
    let relayed = t.post_raw("/v1/responses", body.to_vec()).await.text().await.unwrap();
    assert_eq!(masked(&relayed), masked(&direct(&t, body).await));
    let last = relayed.trim_end().rsplit("\n\n").next().unwrap();
    assert!(last.starts_with("event: error\ndata: "), "{relayed}");

    // Whole, the same scenario is the upstream's 500, an OpenAI error of obs's (502 upstream_error).
    let (status, error) =
        status_json(t.post("/v1/responses", &json!({"model": "gpt-4o-midstream-error", "input": "hello obs"})).await)
            .await;
    assert_eq!((status, error["error"]["code"].clone()), (502, json!("upstream_error")), "{error}");

    // A cut connection: the client gets what arrived, and nothing of obs's own.
    let body = br#"{"model":"gpt-4o-disconnect","input":"hello obs, tell me a story","stream":true}"#;
    let relayed = t.post_raw("/v1/responses", body.to_vec()).await.text().await.unwrap();
    let events: Vec<&str> = relayed.trim_end().split("\n\n").map(|e| e.lines().next().unwrap()).collect();
    assert_eq!(events.last(), Some(&"event: response.output_text.delta"), "{relayed}");
    assert!(events.starts_with(&["event: response.created", "event: response.in_progress"]), "{events:?}");
}
