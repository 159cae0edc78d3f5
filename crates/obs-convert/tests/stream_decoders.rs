//! Claude and Titan stream events → internal chunks (docs/reference/formats.md §7.3, §7.4, streaming.md §2.2; orig
//! C35).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use obs_convert::bedrock::ResponseMeta;
use obs_convert::bedrock::claude_stream::ClaudeStreamDecoder;
use obs_convert::bedrock::titan::TitanStreamDecoder;
use obs_models::error::ErrorCode;
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

fn meta() -> ResponseMeta {
    ResponseMeta { id: "chatcmpl-s".into(), created: 1700000000, model: "m".into() }
}

/// The chunks as compact `(delta, finish_reason, usage)` triples, everything else checked once.
fn decode_claude(events: &[Value]) -> Vec<Value> {
    let mut decoder = ClaudeStreamDecoder::new(meta());
    let mut chunks = Vec::new();
    for event in events {
        decoder.decode(event.to_string().as_bytes(), &mut chunks).unwrap();
    }
    assert!(decoder.is_done());
    summarise(chunks)
}

fn summarise(chunks: Vec<obs_models::openai::ChatCompletionChunk>) -> Vec<Value> {
    chunks
        .into_iter()
        .map(|c| {
            assert_eq!((c.id.as_str(), c.created, c.model.as_str()), ("chatcmpl-s", 1700000000, "m"));
            match c.choices.first() {
                Some(choice) => json!([choice.delta, choice.finish_reason]),
                None => json!({"usage": c.usage}),
            }
        })
        .collect()
}

fn start(input_tokens: u64) -> Value {
    json!({"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude","content":[],
        "stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":input_tokens,"output_tokens":1}}})
}

#[test]
fn c35_text_deltas_keep_the_stream_id() {
    let chunks = decode_claude(&[
        start(25),
        json!({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}),
        json!({"type":"ping"}),
        json!({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}),
        json!({"type":"content_block_delta","index":0,"delta":{"type":"text","text":" world"}}),
        json!({"type":"content_block_stop","index":0}),
        json!({"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":2}}),
        json!({"type":"message_stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":25}}),
    ]);
    assert_eq!(
        chunks,
        vec![
            json!([{"role":"assistant","content":""}, null]),
            json!([{"content":"Hello"}, null]),
            json!([{"content":" world"}, null]),
            json!([{}, "stop"]),
            json!({"usage":{"prompt_tokens":25,"completion_tokens":2,"total_tokens":27}}),
        ]
    );
}

#[test]
fn tool_call_indices_count_calls_not_content_blocks() {
    let chunks = decode_claude(&[
        start(10),
        json!({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}),
        json!({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Checking."}}),
        json!({"type":"content_block_stop","index":0}),
        json!({"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_a","name":"weather","input":{}}}),
        json!({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}),
        json!({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"city\":"}}),
        json!({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"\"Paris\"}"}}),
        json!({"type":"content_block_stop","index":1}),
        json!({"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_b","name":"time","input":{}}}),
        json!({"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{}"}}),
        json!({"type":"content_block_stop","index":2}),
        json!({"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":40}}),
        json!({"type":"message_stop"}),
    ]);
    assert_eq!(
        chunks,
        vec![
            json!([{"role":"assistant","content":""}, null]),
            json!([{"content":"Checking."}, null]),
            json!([{"tool_calls":[{"index":0,"id":"toolu_a","type":"function","function":{"name":"weather","arguments":""}}]}, null]),
            json!([{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]}, null]),
            json!([{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]}, null]),
            json!([{"tool_calls":[{"index":1,"id":"toolu_b","type":"function","function":{"name":"time","arguments":""}}]}, null]),
            json!([{"tool_calls":[{"index":1,"function":{"arguments":"{}"}}]}, null]),
            json!([{}, "tool_calls"]),
            json!({"usage":{"prompt_tokens":10,"completion_tokens":40,"total_tokens":50}}),
        ]
    );
}

#[test]
fn tool_first_stream_starts_at_index_zero_and_thinking_becomes_reasoning_and_a_signed_block() {
    let chunks = decode_claude(&[
        start(3),
        json!({"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}),
        json!({"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Need a tool."}}),
        json!({"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"sig"}}),
        json!({"type":"content_block_stop","index":0}),
        json!({"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_x","name":"lookup","input":{}}}),
        json!({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"q\":1}"}}),
        json!({"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":9}}),
        json!({"type":"message_stop"}),
    ]);
    assert_eq!(
        chunks,
        vec![
            json!([{"role":"assistant","content":""}, null]),
            json!([{"reasoning_content":"Need a tool."}, null]),
            // The signature arrives: the whole signed block, for the client to send back on its next turn.
            json!([{"thinking_blocks":[{"type":"thinking","thinking":"Need a tool.","signature":"sig"}]}, null]),
            json!([{"tool_calls":[{"index":0,"id":"toolu_x","type":"function","function":{"name":"lookup","arguments":""}}]}, null]),
            json!([{"tool_calls":[{"index":0,"function":{"arguments":"{\"q\":1}"}}]}, null]),
            json!([{}, "tool_calls"]),
            json!({"usage":{"prompt_tokens":3,"completion_tokens":9,"total_tokens":12}}),
        ]
    );
}

#[test]
fn error_events_and_garbage_become_errors() {
    let mut decoder = ClaudeStreamDecoder::new(meta());
    let mut out = Vec::new();
    decoder.decode(start(1).to_string().as_bytes(), &mut out).unwrap();
    let err = decoder
        .decode(br#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#, &mut out)
        .unwrap_err();
    assert_eq!((err.code, err.message.as_str()), (ErrorCode::ServiceUnavailable, "Overloaded"));
    assert_eq!(decoder.decode(b"not json", &mut out).unwrap_err().code, ErrorCode::UpstreamError);
    // Unknown event types are ignored, not fatal.
    decoder.decode(br#"{"type":"future_event","x":1}"#, &mut out).unwrap();
}

/// `content_block_delta` events take a one-pass parse; every one of them must decode exactly as the typed
/// `StreamEvent` parse would, including the ones the shortcut hands back (unknown or incomplete deltas).
#[test]
fn fragments_decode_as_the_typed_events_do() {
    let fragments = [
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}"#,
        r#"{"index":0,"delta":{"text":"key order","type":"text_delta"},"type":"content_block_delta"}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"text","text":"old name"}}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"esc\"aped \u00e9\n"}}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":""}}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x","citations":[1]},"y":2}"#,
        r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"a\":"}}"#,
        r#"{"type":"content_block_delta","index":7,"delta":{"type":"input_json_delta","partial_json":"{}"}}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"hmm"}}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"c2ln"}}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"citations_delta","citation":{}}}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta"}}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"text":"no type"}}"#,
        r#"{"type":"content_block_delta","delta":{"type":"text_delta","text":"no index"}}"#,
        r#"{"type":"content_block_delta","index":-1,"delta":{"type":"text_delta","text":"bad index"}}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":5}}"#,
        r#"{"type":"content_block_delta","index":0}"#,
        r#"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":2}}"#,
    ];
    let opened = |decoder: &mut ClaudeStreamDecoder, out: &mut Vec<_>| {
        decoder.decode(start(3).to_string().as_bytes(), out).unwrap();
        let tool = json!({"type":"content_block_start","index":1,
            "content_block":{"type":"tool_use","id":"toolu_1","name":"f","input":{}}});
        decoder.decode(tool.to_string().as_bytes(), out).unwrap();
    };
    for fragment in fragments {
        let (mut fast, mut fast_out) = (ClaudeStreamDecoder::new(meta()), Vec::new());
        opened(&mut fast, &mut fast_out);
        fast.decode(fragment.as_bytes(), &mut fast_out).unwrap();
        let (mut typed, mut typed_out) = (ClaudeStreamDecoder::new(meta()), Vec::new());
        opened(&mut typed, &mut typed_out);
        if let Ok(event) = serde_json::from_str::<obs_models::claude::StreamEvent>(fragment) {
            typed.on_event(event, &mut typed_out).unwrap();
        }
        assert_eq!(summarise(fast_out), summarise(typed_out), "{fragment}");
    }
}

#[test]
fn titan_chunks_to_internal() {
    let mut decoder = TitanStreamDecoder::new(meta());
    let mut chunks = Vec::new();
    for payload in [
        json!({"outputText":"Hello","index":0,"totalOutputTextTokenCount":null,"completionReason":null,"inputTextTokenCount":7}),
        json!({"outputText":" there","index":0,"totalOutputTextTokenCount":null,"completionReason":null}),
        json!({"outputText":"","index":0,"totalOutputTextTokenCount":12,"completionReason":"FINISH","amazon-bedrock-invocationMetrics":{}}),
    ] {
        decoder.decode(payload.to_string().as_bytes(), &mut chunks).unwrap();
    }
    assert!(decoder.is_done());
    assert_eq!(chunks[0].prompt_tokens_hint, Some(7));
    assert_eq!(
        summarise(chunks),
        vec![
            json!([{"role":"assistant","content":""}, null]),
            json!([{"content":"Hello"}, null]),
            json!([{"content":" there"}, null]),
            json!([{}, "stop"]),
            json!({"usage":{"prompt_tokens":7,"completion_tokens":12,"total_tokens":19}}),
        ]
    );
}
