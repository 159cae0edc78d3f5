//! Claude's thinking through the OpenAI format, over the real AWS SDK against obs-mock (which signs thinking and
//! verifies signatures as Bedrock does): a two-turn tool loop with thinking on, in the three client styles — echoing
//! `thinking_blocks`, echoing `reasoning_details`, dropping them (restored from the gateway's cache, or, with none
//! kept, the turn sent without thinking) — and an altered block refused by the upstream.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod emulated;
mod typed;

use futures::StreamExt;
use obs_adapters::bedrock::{BedrockAdapter, BedrockSettings};
use obs_mock::{MockConfig, MockHandle, spawn};
use obs_models::error::ErrorCode;
use obs_models::openai::ChatCompletionRequest;
use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use typed::Typed;

const CLAUDE: &str = "anthropic.claude-3-7-sonnet-20250219-v1:0";

fn adapter(mock: &MockHandle) -> BedrockAdapter {
    emulated::bedrock(mock, BedrockSettings::default())
}

fn tools() -> Value {
    json!([{"type":"function","function":{"name":"get_weather","parameters":{"type":"object",
        "properties":{"city":{"type":"string"}},"required":["city"]}}}])
}

fn request(messages: Value, stream: bool) -> ChatCompletionRequest {
    obs_convert::validate::openai_request(json!({"model": CLAUDE, "reasoning_effort": "low", "max_tokens": 1000,
        "stream": stream, "tools": tools(), "messages": messages}))
    .unwrap()
}

fn ask() -> Value {
    json!([{"role":"user","content":"What is the weather in Paris?"}])
}

/// The second turn: the first answer's assistant message (as `style` keeps it) and the tool's result.
fn follow_up(assistant: &Value, style: &str) -> Value {
    let mut kept = json!({"role":"assistant","content":assistant["content"].clone(),
        "tool_calls":assistant["tool_calls"].clone()});
    match style {
        "thinking_blocks" => kept["thinking_blocks"] = assistant["thinking_blocks"].clone(),
        "reasoning_details" => {
            let details: Vec<Value> = assistant["thinking_blocks"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| json!({"type":"reasoning.text","text":b["thinking"],"signature":b["signature"]}))
                .collect();
            kept["reasoning_details"] = Value::Array(details);
        }
        _ => {}
    }
    let call_id = assistant["tool_calls"][0]["id"].clone();
    let mut messages = ask();
    messages.as_array_mut().unwrap().push(kept);
    messages.as_array_mut().unwrap().push(json!({"role":"tool","tool_call_id":call_id,"content":"18°C and sunny"}));
    messages
}

async fn first_turn(bedrock: &BedrockAdapter) -> Value {
    let answer = bedrock.typed_chat(request(ask(), false), CLAUDE).await.unwrap();
    serde_json::to_value(&answer.choices[0].message).unwrap()
}

#[tokio::test]
async fn the_signed_thinking_comes_out_and_every_client_style_completes_the_tool_loop() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let bedrock = adapter(&mock);
    let first = first_turn(&bedrock).await;
    let sent = mock.recorder().last().unwrap().json();
    assert_eq!(sent["thinking"], json!({"type":"enabled","budget_tokens":2048}));
    assert_eq!(sent["max_tokens"], 3048, "raised above the budget");
    let blocks = first["thinking_blocks"].as_array().unwrap_or_else(|| panic!("no thinking_blocks: {first}"));
    assert!(blocks[0]["signature"].as_str().is_some_and(|s| !s.is_empty()), "{first}");
    assert_eq!(first["reasoning_content"], blocks[0]["thinking"]);
    assert!(first["tool_calls"][0]["id"].is_string(), "{first}");

    for style in ["thinking_blocks", "reasoning_details", "dropped"] {
        let answer = bedrock.typed_chat(request(follow_up(&first, style), false), CLAUDE).await;
        let answer = answer.unwrap_or_else(|e| panic!("{style}: {e:?}"));
        assert!(answer.choices[0].message.content.as_deref().unwrap_or("").contains("18°C"), "{style}");
        let sent = mock.recorder().last().unwrap().json();
        assert_eq!(sent["messages"][1]["content"][0], blocks[0], "{style}: the signed block leads the tool turn");
        assert_eq!(sent["thinking"]["type"], "enabled", "{style}");
    }
}

#[tokio::test]
async fn a_streamed_turn_is_kept_too_and_without_anything_kept_the_turn_goes_without_thinking() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let bedrock = adapter(&mock);
    let mut stream = bedrock.typed_stream(request(ask(), true), CLAUDE).await.unwrap();
    let (mut call_id, mut signed) = (None, Vec::new());
    while let Some(chunk) = stream.next().await {
        let chunk = serde_json::to_value(chunk.unwrap()).unwrap();
        let delta = &chunk["choices"][0]["delta"];
        if let Some(blocks) = delta["thinking_blocks"].as_array() {
            signed.extend(blocks.iter().cloned());
        }
        if let Some(id) = delta["tool_calls"][0]["id"].as_str() {
            call_id = Some(id.to_owned());
        }
    }
    assert_eq!(signed.len(), 1, "one signed block, sent whole");
    let first = json!({"content": null, "tool_calls": [{"id": call_id.unwrap(), "type": "function",
        "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]});
    bedrock.typed_chat(request(follow_up(&first, "dropped"), false), CLAUDE).await.unwrap();
    assert_eq!(mock.recorder().last().unwrap().json()["messages"][1]["content"][0], signed[0], "restored");

    // Another gateway process kept nothing: the turn goes without thinking rather than to a certain 400.
    let fresh = adapter(&mock);
    fresh.typed_chat(request(follow_up(&first, "dropped"), false), CLAUDE).await.unwrap();
    let sent = mock.recorder().last().unwrap().json();
    assert!(sent.get("thinking").is_none(), "{sent}");
    assert_eq!(sent["messages"][1]["content"][0]["type"], "tool_use");
}

#[tokio::test]
async fn an_altered_thinking_block_is_refused_by_the_upstream() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let bedrock = adapter(&mock);
    let mut first = first_turn(&bedrock).await;
    first["thinking_blocks"][0]["thinking"] = json!("I changed my mind.");
    let error = bedrock.typed_chat(request(follow_up(&first, "thinking_blocks"), false), CLAUDE).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::UpstreamValidationError, "{error:?}");
}

// ---- prompt caching: usage that adds up ----

#[tokio::test]
async fn cached_input_is_counted_once_inside_prompt_tokens() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let bedrock = adapter(&mock);
    let long = "The policy document says many things about many topics. ".repeat(40);
    let body = json!({"model": CLAUDE, "messages": [{"role":"user","content":[
        {"type":"text","text": long, "cache_control": {"type":"ephemeral"}},
        {"type":"text","text":"Summarise it."}]}]});
    let usage = |answer: obs_models::openai::ChatCompletionResponse| serde_json::to_value(answer.usage).unwrap();
    let written =
        usage(bedrock.typed_chat(obs_convert::validate::openai_request(body.clone()).unwrap(), CLAUDE).await.unwrap());
    let sent = mock.recorder().last().unwrap().json();
    assert_eq!(
        sent["messages"][0]["content"][0]["cache_control"],
        json!({"type":"ephemeral"}),
        "the breakpoint reaches Claude"
    );
    let read = usage(bedrock.typed_chat(obs_convert::validate::openai_request(body).unwrap(), CLAUDE).await.unwrap());
    let write_tokens = written["cache_creation_input_tokens"].as_u64().unwrap();
    assert!(write_tokens > 0, "{written}");
    assert_eq!(written["cache_read_input_tokens"], 0);
    assert_eq!(read["cache_read_input_tokens"].as_u64(), Some(write_tokens), "{read}");
    assert_eq!(read["prompt_tokens_details"]["cached_tokens"].as_u64(), Some(write_tokens));
    assert_eq!(read["cache_creation_input_tokens"], 0);
    // The whole input either way: uncached + read + written, and the total adds up.
    assert_eq!(written["prompt_tokens"], read["prompt_tokens"]);
    for usage in [&written, &read] {
        let (prompt, completion) =
            (usage["prompt_tokens"].as_u64().unwrap(), usage["completion_tokens"].as_u64().unwrap());
        assert_eq!(usage["total_tokens"].as_u64(), Some(prompt + completion));
        assert!(prompt > write_tokens, "{usage}");
    }
}
