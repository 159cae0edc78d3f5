//! Property tests: detection and every conversion never panic on arbitrary JSON (10,000 cases each), and
//! OpenAI → Claude body → OpenAI keeps messages, tools and parameters.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;

use obs_convert::bedrock::claude_stream::ClaudeStreamDecoder;
use obs_convert::bedrock::titan::TitanStreamDecoder;
use obs_convert::bedrock::{ResponseMeta, claude_request, claude_response, titan};
use obs_convert::ingress::parse_chat_request;
use obs_convert::stream::encoder_for;
use obs_convert::target::TargetFormat;
use obs_convert::{claude_out, detect, titan_out};
use obs_models::openai::{ChatCompletionRequest, ChatCompletionResponse, Message, MessageContent};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// Keys the converters look at, so random objects reach deep paths instead of failing at the first check.
const KEYS: &[&str] = &[
    "model",
    "model_id",
    "messages",
    "role",
    "content",
    "type",
    "text",
    "image_url",
    "url",
    "tool_calls",
    "id",
    "function",
    "name",
    "arguments",
    "tool_call_id",
    "tools",
    "tool_choice",
    "parameters",
    "max_tokens",
    "max_completion_tokens",
    "temperature",
    "top_p",
    "top_k",
    "stop",
    "stream",
    "n",
    "anthropic_version",
    "system",
    "source",
    "media_type",
    "data",
    "input",
    "tool_use_id",
    "is_error",
    "thinking",
    "inputText",
    "textGenerationConfig",
    "maxTokenCount",
    "topP",
    "stopSequences",
    "choices",
    "message",
    "finish_reason",
    "usage",
    "index",
    "delta",
    "stop_reason",
    "input_schema",
    "results",
    "outputText",
    "completionReason",
];
const STRINGS: &[&str] = &[
    "user",
    "assistant",
    "system",
    "tool",
    "developer",
    "text",
    "image",
    "image_url",
    "tool_use",
    "tool_result",
    "function",
    "auto",
    "any",
    "none",
    "required",
    "data:image/png;base64,AA",
    "https://x.test/a.png",
    "{}",
    "{\"a\":1}",
    "bedrock-2023-05-31",
    "",
    "end_turn",
    "message_start",
    "content_block_delta",
    "text_delta",
    "input_json_delta",
];

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-3.0f64..3.0).prop_map(|f| json!(f)),
        prop::sample::select(STRINGS).prop_map(|s| json!(s)),
        ".{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..7).prop_map(|pairs| {
                let mut map = Map::new();
                for (k, v) in pairs {
                    map.insert(k.to_owned(), v);
                }
                Value::Object(map)
            }),
        ]
    })
}

fn meta() -> ResponseMeta {
    ResponseMeta { id: "chatcmpl-p".into(), created: 1, model: "m".into() }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn detection_and_ingress_never_panic(value in arbitrary_json()) {
        let _ = detect::detect(&value);
        if let Ok((_, request)) = parse_chat_request(value.to_string().as_bytes()) {
            // Whatever ingress accepts, every Bedrock body builder handles without panicking.
            let _ = claude_request::build(&request, 4096, &HashMap::new());
            let _ = titan::build(&request, 512);
        }
    }

    #[test]
    fn bedrock_format_converters_never_panic(value in arbitrary_json()) {
        let _ = obs_convert::claude_in::to_internal(value.clone());
        let _ = obs_convert::titan_in::to_internal(value.clone());
        let _ = obs_convert::validate::openai_request(value);
    }

    #[test]
    fn response_converters_never_panic(value in arbitrary_json()) {
        let bytes = value.to_string();
        if let Ok(response) = claude_response::parse(bytes.as_bytes()) {
            let _ = claude_response::to_internal(response, &meta());
        }
        if let Ok(response) = titan::parse_response(bytes.as_bytes()) {
            let _ = titan::response_to_internal(response, &meta());
        }
        if let Ok(response) = serde_json::from_value::<ChatCompletionResponse>(value) {
            let _ = claude_out::from_internal(&response);
            let _ = titan_out::from_internal(&response);
        }
    }

    #[test]
    fn stream_decoders_and_encoders_never_panic(events in prop::collection::vec(arbitrary_json(), 0..8)) {
        let mut claude = ClaudeStreamDecoder::new(meta());
        let mut titan = TitanStreamDecoder::new(meta());
        let mut chunks = Vec::new();
        for event in &events {
            let bytes = event.to_string();
            let _ = claude.decode(bytes.as_bytes(), &mut chunks);
            let _ = titan.decode(bytes.as_bytes(), &mut chunks);
        }
        claude.end(&mut chunks);
        for target in [TargetFormat::OpenAi, TargetFormat::BedrockClaude, TargetFormat::BedrockTitan] {
            let mut encoder = encoder_for(target, true);
            let mut out = Vec::new();
            for chunk in chunks.iter().cloned() {
                encoder.chunk(chunk, &mut out);
            }
            encoder.finish(&mut out);
        }
    }
}

/// A valid OpenAI conversation in the shapes Claude can express: optional system, user turns, assistant turns with
/// text and/or tool calls, tool results answering every call.
fn openai_request() -> impl Strategy<Value = Value> {
    let text = "[a-zA-Z ]{1,12}";
    let turn = (text, prop::option::of(text), prop::collection::vec(("[a-z]{1,6}", 0u32..100), 0..3));
    (
        prop::option::of(text),
        prop::collection::vec(turn, 1..4),
        text,
        prop::option::of(1u32..5000),
        prop::option::of(0.0f64..=1.0),
        prop::option::of(0.0f64..=1.0),
        prop::option::of(prop::collection::vec("[A-Z]{1,5}", 1..4)),
        prop::option::of(prop::sample::select(vec!["auto", "required", "named"])),
    )
        .prop_map(|(system, turns, last, max_tokens, temperature, top_p, stop, choice)| {
            let mut messages = Vec::new();
            if let Some(system) = system {
                messages.push(json!({"role":"system","content":system}));
            }
            let mut call_id = 0;
            for (user, reply, calls) in turns {
                messages.push(json!({"role":"user","content":user}));
                let calls: Vec<Value> = calls
                    .into_iter()
                    .map(|(name, arg)| {
                        call_id += 1;
                        json!({"id":format!("call_{call_id}"),"type":"function","function":{"name":name,"arguments":json!({"x":arg}).to_string()}})
                    })
                    .collect();
                match (reply, calls.is_empty()) {
                    (reply, false) => {
                        messages.push(json!({"role":"assistant","content":reply,"tool_calls":calls}));
                        for call in &calls {
                            messages.push(json!({"role":"tool","tool_call_id":call["id"],"content":"ok"}));
                        }
                    }
                    (Some(reply), true) => messages.push(json!({"role":"assistant","content":reply})),
                    // Keep roles alternating: Claude merges consecutive user turns (tested elsewhere).
                    (None, true) => messages.push(json!({"role":"assistant","content":"ok"})),
                }
            }
            messages.push(json!({"role":"user","content":last}));
            let mut body = json!({"model":"anthropic.claude-3-haiku-20240307-v1:0","messages":messages,
                "tools":[{"type":"function","function":{"name":"f","description":"d","parameters":{"type":"object"}}}]});
            let object = body.as_object_mut().unwrap();
            if let Some(v) = max_tokens { object.insert("max_tokens".into(), json!(v)); }
            if let Some(v) = temperature { object.insert("temperature".into(), json!(v)); }
            if let Some(v) = top_p { object.insert("top_p".into(), json!(v)); }
            if let Some(v) = stop { object.insert("stop".into(), json!(v)); }
            match choice {
                Some("named") => { object.insert("tool_choice".into(), json!({"type":"function","function":{"name":"f"}})); }
                Some(mode) => { object.insert("tool_choice".into(), json!(mode)); }
                None => {}
            }
            body
        })
}

/// What must survive the trip, independent of string-vs-parts form.
fn essence(request: &ChatCompletionRequest) -> Value {
    let text = |c: Option<&MessageContent>| c.map(|c| c.joined_text("")).filter(|t| !t.is_empty());
    let messages: Vec<Value> = request
        .messages
        .iter()
        .map(|m| match m {
            Message::System(s) | Message::Developer(s) => json!(["system", s.content.joined_text("")]),
            Message::User(u) => json!(["user", u.content.joined_text("")]),
            Message::Assistant(a) => {
                let calls: Vec<Value> = a
                    .tool_calls
                    .iter()
                    .flatten()
                    .map(|c| {
                        json!([c.id, c.function.name, serde_json::from_str::<Value>(&c.function.arguments).unwrap()])
                    })
                    .collect();
                json!(["assistant", text(a.content.as_ref()), calls])
            }
            Message::Tool(t) => json!(["tool", t.tool_call_id, t.content.joined_text("")]),
        })
        .collect();
    json!({"messages":messages,"tools":request.tools,"tool_choice":request.tool_choice,
        "max_tokens":request.output_token_limit(),"temperature":request.temperature,"top_p":request.top_p,
        "stop":request.stop_sequences()})
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn openai_to_claude_to_openai_keeps_messages_tools_and_parameters(body in openai_request()) {
        let (_, original) = parse_chat_request(body.to_string().as_bytes()).unwrap();
        let claude = claude_request::build(&original, 4096, &HashMap::new()).unwrap();
        let mut claude_body = serde_json::to_value(&claude).unwrap();
        claude_body["model"] = json!(original.model);
        let (_, back) = parse_chat_request(claude_body.to_string().as_bytes()).unwrap();
        let mut expected = essence(&original);
        expected["max_tokens"] = json!(original.output_token_limit().unwrap_or(4096));
        prop_assert_eq!(essence(&back), expected);
    }
}
