//! An OpenAI upstream's answers reach an OpenAI-format client as the upstream wrote them: byte for byte against
//! the emulator's own answer to the same request, but for the edits docs/reference/streaming.md §2 asks of a stream
//! (`usage` only when the client asked for it).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{TestServer, chat, start};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

/// The emulator's ids (`chatcmpl-…`, `call_…`) differ per request and `created` is its clock; everything else of
/// its answers is deterministic.
fn normalise_ids(text: &str) -> String {
    let mut text = text.to_owned();
    for (marker, part_of_it) in [
        ("chatcmpl-", char::is_ascii_alphanumeric as fn(&char) -> bool),
        ("call_", char::is_ascii_alphanumeric),
        ("\"created\":", char::is_ascii_digit),
    ] {
        let mut out = String::with_capacity(text.len());
        let mut rest = text.as_str();
        while let Some(at) = rest.find(marker) {
            out.push_str(&rest[..at + marker.len()]);
            out.push('N');
            rest = rest[at + marker.len()..].trim_start_matches(|c: char| part_of_it(&c));
        }
        out.push_str(rest);
        text = out;
    }
    text
}

/// What the emulator answers when asked directly, as obs asks it (streams always with usage).
async fn direct(t: &TestServer, mut body: Value) -> String {
    if body["stream"] == json!(true) {
        body["stream_options"] = json!({"include_usage": true});
    }
    let url = format!("{}/chat/completions", t.mock().openai_base_url());
    let response = t.client.post(url).bearer_auth("sk-demo").json(&body).send().await.unwrap();
    assert_eq!(response.status(), 200);
    normalise_ids(&response.text().await.unwrap())
}

async fn through_obs(t: &TestServer, body: &Value) -> String {
    let response = t.post("/v1/chat/completions", body).await;
    assert_eq!(response.status(), 200);
    normalise_ids(&response.text().await.unwrap())
}

#[tokio::test]
async fn answers_are_the_upstreams_own() {
    let t = start(|_| {}).await;
    for model in ["gpt-4o", "gpt-4o-tool", "gpt-4o-tools2", "gpt-4o-tool-first"] {
        let body = chat(model);
        assert_eq!(through_obs(&t, &body).await, direct(&t, body).await, "{model}");
    }
}

#[tokio::test]
async fn streams_are_the_upstreams_own_with_usage_as_asked() {
    let t = start(|_| {}).await;
    for model in ["gpt-4o", "gpt-4o-tool", "gpt-4o-tools2"] {
        let mut body = chat(model);
        body["stream"] = json!(true);
        let upstream = direct(&t, body.clone()).await;
        assert!(upstream.contains(r#""usage":null"#) && upstream.contains(r#""choices":[],"usage":{"#), "{upstream}");

        // Without include_usage: no `usage` key anywhere, no usage chunk; every other byte the upstream's.
        let expected: String = upstream
            .split_inclusive("\n\n")
            .filter(|event| !event.contains(r#""choices":[],"usage":{"#))
            .map(|event| event.replace(r#","usage":null"#, ""))
            .collect();
        assert_eq!(through_obs(&t, &body).await, expected, "{model}");

        body["stream_options"] = json!({"include_usage": true});
        assert_eq!(through_obs(&t, &body).await, upstream, "{model} with usage");
    }
}
