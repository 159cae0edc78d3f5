//! Usage with prompt caching on every Bedrock path, table-driven, over the real AWS SDK against obs-mock (which
//! writes a marked prefix to its cache the first time and reads it after): Claude through InvokeModel, Claude and
//! Nova through Converse, whole and streamed. Each row is asked twice — a write, then a read — and both usages are
//! compared whole with the figures the emulator reports: uncached + read + written = `prompt_tokens`, reads as
//! `cached_tokens`, both under Anthropic's names too, counted once (a stream's usage equals the whole answer's).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod emulated;
mod typed;

use futures::StreamExt;
use obs_adapters::bedrock::{BedrockAdapter, BedrockSettings, ClaudeApi};
use obs_mock::{MockConfig, MockHandle, spawn};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use typed::Typed;

const CLAUDE: &str = "anthropic.claude-3-7-sonnet-20250219-v1:0";
const NOVA: &str = "amazon.nova-pro-v1:0";

fn adapter(mock: &MockHandle, claude_api: ClaudeApi) -> BedrockAdapter {
    emulated::bedrock(mock, BedrockSettings { claude_api, ..BedrockSettings::default() })
}

/// A request whose first part (200 words, different per row so rows share no cache) is a cache breakpoint.
fn body(model: &str, row: usize, stream: bool) -> obs_models::openai::ChatCompletionRequest {
    let long = format!("Policy {row} says many things about many topics. ").repeat(25);
    obs_convert::validate::openai_request(json!({"model": model, "stream": stream, "messages": [{"role":"user",
        "content":[{"type":"text","text": long, "cache_control": {"type":"ephemeral"}},
                   {"type":"text","text":"Summarise it."}]}]}))
    .unwrap()
}

async fn usage(bedrock: &BedrockAdapter, model: &str, row: usize, stream: bool) -> Value {
    if !stream {
        let answer = bedrock.typed_chat(body(model, row, false), model).await.unwrap();
        return serde_json::to_value(answer.usage).unwrap();
    }
    let mut chunks = bedrock.typed_stream(body(model, row, true), model).await.unwrap();
    let mut usages = Vec::new();
    while let Some(chunk) = chunks.next().await {
        if let Some(usage) = chunk.unwrap().usage.flatten() {
            usages.push(serde_json::to_value(usage).unwrap());
        }
    }
    assert_eq!(usages.len(), 1, "one usage chunk: {usages:?}");
    usages.remove(0)
}

fn cached(prompt: u64, completion: u64, read: u64, written: u64) -> Value {
    json!({"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": read}, "cache_read_input_tokens": read,
        "cache_creation_input_tokens": written})
}

#[tokio::test]
async fn cache_writes_then_reads_add_up_on_every_path() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    // (path, model, Claude's API, stream); each input is 202 words, the marked part 200 of them.
    let rows = [
        ("Claude InvokeModel", CLAUDE, ClaudeApi::Invoke, false),
        ("Claude InvokeModel stream", CLAUDE, ClaudeApi::Invoke, true),
        ("Claude Converse", CLAUDE, ClaudeApi::Converse, false),
        ("Claude ConverseStream", CLAUDE, ClaudeApi::Converse, true),
        ("Nova Converse", NOVA, ClaudeApi::Invoke, false),
        ("Nova ConverseStream", NOVA, ClaudeApi::Invoke, true),
    ];
    for (row, (path, model, api, stream)) in rows.into_iter().enumerate() {
        let bedrock = adapter(&mock, api);
        let written = usage(&bedrock, model, row, stream).await;
        let read = usage(&bedrock, model, row, stream).await;
        let completion = written["completion_tokens"].as_u64().unwrap();
        assert_eq!((written, read), (cached(202, completion, 0, 200), cached(202, completion, 200, 0)), "{path}");
    }
}
