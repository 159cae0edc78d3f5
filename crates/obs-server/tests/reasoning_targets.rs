//! Reasoning in the Claude target format (`?target_format=bedrock_claude`) from Claude through InvokeModel and
//! through Converse: the signed thinking block first in the answer's `content`, and in a stream a thinking block
//! whose `signature_delta` carries the same signature — so a Claude-format client can send it back.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{data_lines, start, status_json};
use obs_service::config::Config;
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

const CLAUDE: &str = "anthropic.claude-3-7-sonnet-20250219-v1:0";
const THINKING: &str = "The user asks: hello obs. I should answer directly.";

fn ask(stream: bool) -> Value {
    json!({"model": CLAUDE, "stream": stream, "reasoning_effort": "low", "max_tokens": 100,
        "messages": [{"role": "user", "content": "hello obs"}]})
}

#[tokio::test]
async fn the_claude_target_carries_signed_thinking_from_invoke_model_and_converse() {
    for claude_api in ["invoke", "converse"] {
        let server = start(|config| {
            config.bedrock = Config::from_toml(&format!("[bedrock]\nclaude_api = \"{claude_api}\"\n")).unwrap().bedrock;
        })
        .await;
        let (status, openai) = status_json(server.post("/v1/chat/completions", &ask(false)).await).await;
        assert_eq!(status, 200, "{claude_api}: {openai}");
        let signature = openai["choices"][0]["message"]["thinking_blocks"][0]["signature"].clone();
        assert!(signature.as_str().is_some_and(|s| !s.is_empty()), "{claude_api}: {openai}");

        let path = "/v1/chat/completions?target_format=bedrock_claude";
        let (status, claude) = status_json(server.post(path, &ask(false)).await).await;
        assert_eq!(status, 200, "{claude_api}: {claude}");
        assert_eq!(
            claude["content"][0],
            json!({"type":"thinking","thinking":THINKING,"signature":signature}),
            "{claude_api}"
        );
        assert_eq!(claude["content"][1]["type"], "text", "{claude_api}");

        let transcript = server.post(path, &ask(true)).await.text().await.unwrap();
        let events: Vec<Value> = data_lines(&transcript).iter().map(|d| serde_json::from_str(d).unwrap()).collect();
        let thinking: Vec<&Value> = events.iter().filter(|e| e["index"] == 0).collect();
        assert_eq!(
            thinking,
            [
                &json!({"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}),
                &json!({"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":THINKING}}),
                &json!({"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":signature}}),
                &json!({"type":"content_block_stop","index":0}),
            ],
            "{claude_api}: {transcript}"
        );
    }
}

#[tokio::test]
async fn the_effort_to_budget_table_is_the_configurations() {
    let server = start(|config| {
        config.reasoning = Config::from_toml("[reasoning.budgets]\nlow = 3000\nhigh = 1500\n").unwrap().reasoning;
    })
    .await;
    let recorded = |server: &common::TestServer| {
        let request = server.mock().recorder().requests().into_iter().rev().find(|r| r.path.starts_with("/model/"));
        request.unwrap().json()
    };
    let cases = [("low", 3000), ("medium", 8192), ("high", 1500)];
    for (effort, budget) in cases {
        // Claude through InvokeModel: the table's budget, max_tokens raised above it.
        let mut body = ask(false);
        body["reasoning_effort"] = json!(effort);
        let (status, answer) = status_json(server.post("/v1/chat/completions", &body).await).await;
        assert_eq!(status, 200, "{answer}");
        let sent = recorded(&server);
        assert_eq!(sent["thinking"], json!({"type": "enabled", "budget_tokens": budget}), "{effort}");
        assert_eq!(sent["max_tokens"], json!(budget + 100), "{effort}");
    }
    // A model with levels gets the level asked for, whatever budget the table gives it.
    let mut body = ask(false);
    body["model"] = json!("openai.gpt-oss-120b-1:0");
    body["reasoning_effort"] = json!("high");
    let (status, answer) = status_json(server.post("/v1/chat/completions", &body).await).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(recorded(&server)["additionalModelRequestFields"], json!({"reasoning_effort": "high"}));
}
