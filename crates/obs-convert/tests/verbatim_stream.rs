//! OpenAI upstream chunks written as they came (verbatim) give the same stream as parsing and serialising them:
//! the same events, each the same JSON value, for any sequence of chunks an OpenAI-compatible upstream sends and
//! either `include_usage`. The verbatim bytes themselves are checked against an OpenAI-shaped transcript too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use obs_convert::stream::{OpenAiSseEncoder, StreamEncoder};
use obs_models::openai::ChatCompletionChunk;
use obs_models::openai::verbatim::VerbatimChunk;
use pretty_assertions::assert_eq;
use proptest::prelude::*;
use serde_json::Value;

/// Chunks as OpenAI-compatible upstreams write them, with the variations the encoder must handle: another `id` or
/// `created` mid-stream, no `usage` key, `content: null`, usage beside choices, whitespace, empty deltas.
const CHUNKS: &[&str] = &[
    r#"{"id":"chatcmpl-A","object":"chat.completion.chunk","created":100,"model":"gpt-4o","service_tier":"default","system_fingerprint":"fp","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":"a1"}"#,
    r#"{"id":"chatcmpl-A","object":"chat.completion.chunk","created":100,"model":"gpt-4o","service_tier":"default","system_fingerprint":"fp","choices":[{"index":0,"delta":{"content":"Hel \"lo\""},"logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":"b2"}"#,
    r#"{"id":"chatcmpl-B","object":"chat.completion.chunk","created":101,"model":"gpt-4o","choices":[{"index":0,"delta":{"content":"!"},"logprobs":null,"finish_reason":null}],"usage":null}"#,
    r#"{"id":"chatcmpl-A","object":"chat.completion.chunk","created":100,"model":"gpt-4o","choices":[{"index":0,"delta":{"content":"no usage key"},"logprobs":null,"finish_reason":null}]}"#,
    r#"{"id":"chatcmpl-A","object":"chat.completion.chunk","created":100,"model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":""}}],"refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}"#,
    r#"{"id":"chatcmpl-A","object":"chat.completion.chunk","created":100,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"a\":"}}]},"logprobs":null,"finish_reason":null}],"usage":null}"#,
    r#"{"id":"chatcmpl-A","object":"chat.completion.chunk","created":100,"model":"gpt-4o","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":null}],"usage":null}"#,
    r#"{"id":"chatcmpl-A","object":"chat.completion.chunk","created":100,"model":"gpt-4o","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}"#,
    r#"{"id":"chatcmpl-A","object":"chat.completion.chunk","created":100,"model":"gpt-4o","service_tier":"default","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":4,"total_tokens":13,"prompt_tokens_details":{"cached_tokens":0}},"obfuscation":"c3"}"#,
    r#"{"usage":null,"id":"chatcmpl-A","object":"chat.completion.chunk","created":100,"model":"gpt-4o","choices":[{"index":0,"delta":{"content":"usage first"},"logprobs":null,"finish_reason":null}]}"#,
    r#"{"id":"chatcmpl-A","object":"chat.completion.chunk","created":100,"model":"gpt-4o","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"length"}],"usage":{"prompt_tokens":9,"completion_tokens":5,"total_tokens":14}}"#,
    r#"{"id": "chatcmpl-A", "object": "chat.completion.chunk", "created": 100, "model": "gpt-4o", "choices": [{"index": 0, "delta": {"content": "spaced"}, "finish_reason": null}]}"#,
    r#"{"id":"chatcmpl-A","object":"chat.completion.chunk","created":100,"model":"gpt-4o","choices":[],"usage":null}"#,
];

/// Encodes `chunks` typed only, or verbatim wherever the check accepts; returns the events' JSON values.
fn encode(chunks: &[usize], include_usage: bool, verbatim: bool) -> (Vec<Value>, usize) {
    let mut encoder = OpenAiSseEncoder::new(include_usage);
    let mut out = Vec::new();
    let mut forwarded = 0;
    for &index in chunks {
        let json = CHUNKS[index].to_owned();
        match VerbatimChunk::check(json) {
            Ok(chunk) if verbatim => {
                forwarded += 1;
                encoder.verbatim(chunk, &mut out);
            }
            Ok(chunk) => encoder.chunk(serde_json::from_str::<ChatCompletionChunk>(chunk.as_str()).unwrap(), &mut out),
            Err(refused) => {
                encoder.chunk(serde_json::from_str::<ChatCompletionChunk>(&refused.json).unwrap(), &mut out)
            }
        }
    }
    encoder.finish(&mut out);
    let text = String::from_utf8(out).unwrap();
    let events = text
        .split_terminator("\n\n")
        .map(|event| {
            let data = event.strip_prefix("data: ").unwrap_or_else(|| panic!("{event}"));
            if data == "[DONE]" { Value::String(data.to_owned()) } else { serde_json::from_str(data).unwrap() }
        })
        .collect();
    (events, forwarded)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn verbatim_and_typed_give_the_same_stream(chunks in proptest::collection::vec(0..CHUNKS.len(), 1..14), include_usage: bool) {
        let (typed, _) = encode(&chunks, include_usage, false);
        let (verbatim, _) = encode(&chunks, include_usage, true);
        prop_assert_eq!(verbatim, typed);
    }
}

#[test]
fn most_of_an_openai_stream_is_forwarded_as_it_came() {
    let stream = [0, 1, 1, 5, 7, 8];
    let (_, forwarded) = encode(&stream, true, true);
    assert_eq!(forwarded, stream.len());
    // Refused: content null (the typed path drops it), usage beside choices, whitespace.
    for refused in [4, 10, 11] {
        assert!(VerbatimChunk::check(CHUNKS[refused].to_owned()).is_err(), "{refused}");
    }
}

#[test]
fn the_bytes_of_a_forwarded_stream() {
    let mut encoder = OpenAiSseEncoder::new(false);
    let mut out = Vec::new();
    for index in [0, 2, 8] {
        encoder.verbatim(VerbatimChunk::check(CHUNKS[index].to_owned()).unwrap(), &mut out);
    }
    encoder.finish(&mut out);
    let expected = [
        CHUNKS[0].replace(r#","usage":null"#, ""),
        // The stream's id and created, not this chunk's.
        CHUNKS[2].replace("chatcmpl-B", "chatcmpl-A").replace("101", "100").replace(r#","usage":null"#, ""),
    ];
    let expected = format!("data: {}\n\ndata: {}\n\ndata: [DONE]\n\n", expected[0], expected[1]);
    assert_eq!(String::from_utf8(out).unwrap(), expected);

    let mut encoder = OpenAiSseEncoder::new(true);
    let mut out = Vec::new();
    for index in [0, 3, 8] {
        encoder.verbatim(VerbatimChunk::check(CHUNKS[index].to_owned()).unwrap(), &mut out);
    }
    encoder.finish(&mut out);
    let expected = format!(
        "data: {}\n\ndata: {}\n\ndata: {}\n\ndata: [DONE]\n\n",
        CHUNKS[0],
        CHUNKS[3].replace("]}", r#"],"usage":null}"#),
        CHUNKS[8]
    );
    assert_eq!(String::from_utf8(out).unwrap(), expected);
}
