//! `cache.auto` over the real AWS SDK against obs-mock: the breakpoint obs adds after a long system prompt reaches
//! Claude (InvokeModel) as `cache_control` and Converse as a `cachePoint`, and the next request reads the cache;
//! nothing is added when the setting is off, when the prompt is under the model's minimum (Haiku's 2,048), or when
//! the client's own breakpoints already number four. Upstream bodies compared whole.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod emulated;
mod typed;

use futures::StreamExt;
use obs_adapters::bedrock::{BedrockAdapter, BedrockSettings};
use obs_mock::{MockConfig, MockHandle, spawn};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use typed::Typed;

const CLAUDE: &str = "anthropic.claude-3-7-sonnet-20250219-v1:0";
const HAIKU: &str = "anthropic.claude-3-5-haiku-20241022-v1:0";
const NOVA: &str = "amazon.nova-pro-v1:0";

fn adapter(mock: &MockHandle, cache_auto: bool) -> BedrockAdapter {
    emulated::bedrock(mock, BedrockSettings { cache_auto, ..BedrockSettings::default() })
}

/// A system prompt of about 1,250 estimated tokens (5,000 characters).
fn system() -> String {
    "You answer questions about the policy. ".repeat(128)
}

fn request(model: &str, messages: Value) -> obs_models::openai::ChatCompletionRequest {
    obs_convert::validate::openai_request(json!({"model": model, "max_tokens": 100, "messages": messages})).unwrap()
}

fn asking() -> Value {
    json!([{"role":"system","content":system()},{"role":"user","content":"What does it say?"}])
}

fn sent(mock: &MockHandle) -> Value {
    mock.recorder().last().unwrap().json()
}

#[tokio::test]
async fn a_long_system_prompt_gets_a_breakpoint_and_the_next_request_reads_it() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let bedrock = adapter(&mock, true);
    let first = bedrock.typed_chat(request(CLAUDE, asking()), CLAUDE).await.unwrap();
    assert_eq!(
        sent(&mock),
        json!({"anthropic_version":"bedrock-2023-05-31","max_tokens":100,
            "system":[{"type":"text","text":system(),"cache_control":{"type":"ephemeral"}}],
            "messages":[{"role":"user","content":"What does it say?"}]})
    );
    let second = bedrock.typed_chat(request(CLAUDE, asking()), CLAUDE).await.unwrap();
    let (written, read) = (serde_json::to_value(first.usage).unwrap(), serde_json::to_value(second.usage).unwrap());
    assert_eq!(written["cache_creation_input_tokens"], read["cache_read_input_tokens"]);
    assert!(read["cache_read_input_tokens"].as_u64().unwrap() > 0, "{read}");

    let nova = json!({"messages":[{"role":"user","content":[{"text":"What does it say?"}]}],
        "system":[{"text":system()},{"cachePoint":{"type":"default","ttl":"5m"}}],"inferenceConfig":{"maxTokens":100}});
    bedrock.typed_chat(request(NOVA, asking()), NOVA).await.unwrap();
    assert_eq!(sent(&mock), nova);
    // A stream gets the same breakpoint.
    let mut streamed = request(NOVA, asking());
    streamed.stream = Some(true);
    let chunks: Vec<_> = bedrock.typed_stream(streamed, NOVA).await.unwrap().collect().await;
    assert!(chunks.iter().all(Result::is_ok));
    assert_eq!(sent(&mock), nova);
}

#[tokio::test]
async fn nothing_is_added_when_off_under_the_minimum_or_with_four_breakpoints_already() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let plain = json!({"anthropic_version":"bedrock-2023-05-31","max_tokens":100,"system":system(),
        "messages":[{"role":"user","content":"What does it say?"}]});
    adapter(&mock, false).typed_chat(request(CLAUDE, asking()), CLAUDE).await.unwrap();
    assert_eq!(sent(&mock), plain, "off");
    adapter(&mock, true).typed_chat(request(HAIKU, asking()), HAIKU).await.unwrap();
    assert_eq!(sent(&mock), plain, "under Haiku's minimum");

    let mark = json!({"type":"ephemeral"});
    let part = |text: &str| json!([{"type":"text","text":text,"cache_control":mark}]);
    let full = json!([{"role":"system","content":system()},
        {"role":"user","content":part("a")},{"role":"assistant","content":"1"},
        {"role":"user","content":part("b")},{"role":"assistant","content":"2"},
        {"role":"user","content":part("c")},{"role":"assistant","content":"3"},
        {"role":"user","content":part("d")}]);
    adapter(&mock, true).typed_chat(request(CLAUDE, full), CLAUDE).await.unwrap();
    let body = sent(&mock);
    assert_eq!(body["system"], json!(system()), "the client's four breakpoints leave no room: {body}");
}
