//! Whole stream transcripts per target format (docs/reference/streaming.md §2, §5, §6) for each scenario: text
//! only, text then two tool calls, tool call first, length finish, mid-stream error. Expected transcripts live in
//! `tests/fixtures/streams/`; `UPDATE_FIXTURES=1` rewrites them (review the diff before committing).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use obs_convert::bedrock::ResponseMeta;
use obs_convert::stream::{StreamEncoder, encoder_for};
use obs_convert::target::TargetFormat;
use obs_models::error::{ErrorBody, ErrorCode};
use obs_models::openai::{ChatCompletionChunk, Delta, FinishReason, Usage};

enum Item {
    Chunk(ChatCompletionChunk),
    Error(ErrorBody),
}

fn meta() -> ResponseMeta {
    ResponseMeta { id: "chatcmpl-stream1".into(), created: 1700000000, model: "test-model".into() }
}

fn role(hint: u64) -> Item {
    let mut chunk = meta().chunk(Delta::role_start(), None);
    chunk.prompt_tokens_hint = Some(hint);
    Item::Chunk(chunk)
}

fn delta(delta: Delta) -> Item {
    Item::Chunk(meta().chunk(delta, None))
}

fn finish(reason: FinishReason) -> Item {
    Item::Chunk(meta().chunk(Delta::default(), Some(reason)))
}

fn usage(prompt: u64, completion: u64) -> Item {
    Item::Chunk(meta().usage_chunk(Usage::new(prompt, completion)))
}

fn scenario(name: &str) -> Vec<Item> {
    match name {
        "text" => vec![
            role(12),
            delta(Delta::text("Hel")),
            delta(Delta::text("lo")),
            finish(FinishReason::Stop),
            usage(12, 2),
        ],
        "text_then_two_tools" => vec![
            role(20),
            delta(Delta::text("Let me check.")),
            delta(Delta::tool_call_start(0, "call_a", "get_weather")),
            delta(Delta::tool_call_arguments(0, "{\"city\":")),
            delta(Delta::tool_call_arguments(0, "\"Paris\"}")),
            delta(Delta::tool_call_start(1, "call_b", "get_time")),
            delta(Delta::tool_call_arguments(1, "{}")),
            finish(FinishReason::ToolCalls),
            usage(20, 30),
        ],
        "tool_first" => vec![
            role(9),
            delta(Delta::tool_call_start(0, "call_x", "lookup")),
            delta(Delta::tool_call_arguments(0, "{\"q\":\"rust\"}")),
            finish(FinishReason::ToolCalls),
            usage(9, 5),
        ],
        "length" => vec![role(4), delta(Delta::text("abc")), finish(FinishReason::Length), usage(4, 1)],
        "midstream_error" => vec![
            role(4),
            delta(Delta::text("partial")),
            Item::Error(ErrorBody::new(ErrorCode::UpstreamError, "The upstream stream failed.", None)),
        ],
        // Claude's signed thinking as the Bedrock decoders give it: the text, then the whole block once signed.
        "signed_thinking" => vec![
            role(7),
            delta(Delta::reasoning("Short ")),
            delta(Delta::reasoning("answer.")),
            delta({
                let mut signed = Delta::default();
                signed.extra.insert(
                    "thinking_blocks".into(),
                    serde_json::json!([{"type":"thinking","thinking":"Short answer.","signature":"c2ln"}]),
                );
                signed
            }),
            delta(Delta::text("Hi")),
            finish(FinishReason::Stop),
            usage(7, 3),
        ],
        other => panic!("unknown scenario {other}"),
    }
}

fn transcript(mut encoder: Box<dyn StreamEncoder>, items: Vec<Item>) -> String {
    let mut out = Vec::new();
    let mut failed = false;
    for item in items {
        match item {
            Item::Chunk(chunk) => encoder.chunk(chunk, &mut out),
            Item::Error(error) => {
                encoder.error(&error, &mut out);
                failed = true;
            }
        }
    }
    if !failed {
        encoder.finish(&mut out);
    }
    String::from_utf8(out).unwrap()
}

fn check(scenario_name: &str, format: &str) {
    let encoder = match format {
        "openai" => encoder_for(TargetFormat::OpenAi, false),
        "openai_usage" => encoder_for(TargetFormat::OpenAi, true),
        "claude" => encoder_for(TargetFormat::BedrockClaude, false),
        "titan" => encoder_for(TargetFormat::BedrockTitan, false),
        other => panic!("unknown format {other}"),
    };
    let actual = transcript(encoder, scenario(scenario_name));
    let path = format!("{}/tests/fixtures/streams/{scenario_name}.{format}.sse", env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        std::fs::create_dir_all(std::path::Path::new(&path).parent().unwrap()).unwrap();
        std::fs::write(&path, &actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("missing fixture {path}"));
    pretty_assertions::assert_eq!(actual, expected, "{scenario_name}.{format}");
}

const SCENARIOS: [&str; 5] = ["text", "text_then_two_tools", "tool_first", "length", "midstream_error"];

#[test]
fn openai_transcripts_without_usage() {
    SCENARIOS.iter().for_each(|s| check(s, "openai"));
}

#[test]
fn openai_transcripts_with_usage() {
    SCENARIOS.iter().for_each(|s| check(s, "openai_usage"));
}

#[test]
fn claude_event_transcripts() {
    SCENARIOS.iter().for_each(|s| check(s, "claude"));
}

#[test]
fn claude_event_transcript_carries_the_thinking_signature() {
    check("signed_thinking", "claude");
}

#[test]
fn titan_chunk_transcripts() {
    SCENARIOS.iter().for_each(|s| check(s, "titan"));
}

#[test]
fn openai_encoder_keeps_one_id_and_drops_empty_chunks() {
    let mut encoder = encoder_for(TargetFormat::OpenAi, false);
    let mut out = Vec::new();
    encoder.chunk(meta().chunk(Delta::role_start(), None), &mut out);
    let mut other = ChatCompletionChunk::with_delta("other-id", 5, "test-model", Delta::text("x"), None);
    other.usage = Some(None);
    encoder.chunk(other, &mut out);
    encoder.chunk(meta().chunk(Delta::default(), None), &mut out);
    encoder.finish(&mut out);
    let text = String::from_utf8(out).unwrap();
    assert_eq!(
        text,
        "data: {\"id\":\"chatcmpl-stream1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"test-model\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null,\"logprobs\":null}]}\n\n\
         data: {\"id\":\"chatcmpl-stream1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"test-model\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"},\"finish_reason\":null,\"logprobs\":null}]}\n\n\
         data: [DONE]\n\n"
    );
}
