//! The verbatim checks: what they accept, why they hand documents back, the exact bytes of an edited chunk, and
//! the property that makes forwarding safe — whatever a check accepts, the typed parse accepts too and writes back
//! the same JSON value.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use obs_models::openai::verbatim::{UsageMember, VerbatimChunk, VerbatimCompletion};
use obs_models::openai::{ChatCompletionChunk, ChatCompletionResponse};
use pretty_assertions::assert_eq;
use proptest::prelude::*;
use serde_json::{Value, json};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// A chunk as OpenAI writes one: `service_tier` and `system_fingerprint` before `choices`, `logprobs` before
/// `finish_reason`, an `obfuscation` field at the end.
const OPENAI_CHUNK: &str = r#"{"id":"chatcmpl-C1","object":"chat.completion.chunk","created":1732500000,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"content":" said:"},"logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":"x9"}"#;

fn accepted(json: &str) -> VerbatimChunk {
    VerbatimChunk::check(json.to_owned()).unwrap_or_else(|e| panic!("{json}: {}", e.reason))
}

fn refused(json: &str) -> String {
    let refused = VerbatimChunk::check(json.to_owned()).expect_err(json);
    assert_eq!(refused.json, json, "handed back unchanged");
    refused.reason
}

fn edited(chunk: &VerbatimChunk, id: Option<&str>, created: Option<u64>, usage_null: Option<bool>) -> String {
    let mut out = Vec::new();
    chunk.write_edited(&mut out, id, created, usage_null);
    String::from_utf8(out).unwrap()
}

#[test]
fn stream_chunks_of_openai_and_the_fixtures_are_verbatim() {
    let chunk = accepted(OPENAI_CHUNK);
    assert_eq!((chunk.id(), chunk.created(), chunk.model()), ("chatcmpl-C1", 1732500000, "gpt-4o-2024-08-06"));
    assert!(matches!(chunk.usage(), UsageMember::Null { .. }));
    assert!(!chunk.carries_nothing() && !chunk.has_no_choices());
    assert_eq!(chunk.as_str(), OPENAI_CHUNK);

    for line in fixture("openai_chunks.jsonl").lines() {
        match VerbatimChunk::check(line.to_owned()) {
            Ok(chunk) => {
                let typed: ChatCompletionChunk = serde_json::from_str(line).unwrap();
                assert_eq!(chunk.id(), typed.id);
                assert_eq!(
                    chunk.carries_nothing(),
                    typed
                        .choices
                        .iter()
                        .all(|c| c.delta.is_empty() && c.finish_reason.is_none() && c.logprobs.is_null())
                );
            }
            // The fixture's usage chunk is accepted; only shapes the typed path changes are refused.
            Err(refused) => panic!("{line}: {}", refused.reason),
        }
    }

    let usage = accepted(
        r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5,"prompt_tokens_details":{"cached_tokens":0}}}"#,
    );
    assert_eq!(usage.usage(), &UsageMember::Object);
    assert!(usage.has_no_choices() && usage.carries_nothing());

    let finish = accepted(
        r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}"#,
    );
    assert!(!finish.carries_nothing());
    let empty = accepted(
        r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":null}]}"#,
    );
    assert!(empty.carries_nothing());
    // `refusal: null` is kept by the typed path (an unknown delta key), so the delta is not empty.
    let refusal = accepted(
        r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"refusal":null},"logprobs":null,"finish_reason":null}]}"#,
    );
    assert!(!refusal.carries_nothing());
}

#[test]
fn shapes_the_typed_path_changes_are_handed_back() {
    let base = json!({"id":"c","object":"chat.completion.chunk","created":1,"model":"m",
        "choices":[{"index":0,"delta":{"content":"x"},"logprobs":null,"finish_reason":null}]});
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut value = base.clone();
        edit(&mut value);
        value.to_string()
    };
    accepted(&with(&|_| {}));
    let cases: Vec<(&str, String)> = vec![
        ("spaces", serde_json::to_string_pretty(&base).unwrap()),
        ("null content", with(&|v| v["choices"][0]["delta"]["content"] = Value::Null)),
        ("null role", with(&|v| v["choices"][0]["delta"]["role"] = Value::Null)),
        ("no logprobs", with(&|v| drop(v["choices"][0].as_object_mut().unwrap().remove("logprobs")))),
        ("no finish_reason", with(&|v| drop(v["choices"][0].as_object_mut().unwrap().remove("finish_reason")))),
        ("no delta", with(&|v| drop(v["choices"][0].as_object_mut().unwrap().remove("delta")))),
        ("no id", with(&|v| drop(v.as_object_mut().unwrap().remove("id")))),
        ("no object", with(&|v| drop(v.as_object_mut().unwrap().remove("object")))),
        ("numeric id", with(&|v| v["id"] = json!(7))),
        ("escaped id", with(&|v| v["id"] = json!("c\"1"))),
        ("escaped model", with(&|v| v["model"] = json!("m\n"))),
        ("negative created", with(&|v| v["created"] = json!(-1))),
        ("fractional created", with(&|v| v["created"] = json!(1.5))),
        ("an error event", with(&|v| v["error"] = json!({"message":"boom"}))),
        (
            "usage beside choices",
            with(&|v| v["usage"] = json!({"prompt_tokens":1,"completion_tokens":1,"total_tokens":2})),
        ),
        (
            "usage incomplete",
            with(&|v| {
                v["choices"] = json!([]);
                v["usage"] = json!({"prompt_tokens":1});
            }),
        ),
        ("usage not an object", with(&|v| v["usage"] = json!(5))),
        ("choices not an array", with(&|v| v["choices"] = json!({}))),
        ("index negative", with(&|v| v["choices"][0]["index"] = json!(-1))),
        ("finish_reason a number", with(&|v| v["choices"][0]["finish_reason"] = json!(5))),
        ("tool call without index", with(&|v| v["choices"][0]["delta"]["tool_calls"] = json!([{"id":"t"}]))),
        ("tool call unknown key", with(&|v| v["choices"][0]["delta"]["tool_calls"] = json!([{"index":0,"x":1}]))),
        ("tool call null id", with(&|v| v["choices"][0]["delta"]["tool_calls"] = json!([{"index":0,"id":null}]))),
        (
            "function unknown key",
            with(&|v| {
                v["choices"][0]["delta"]["tool_calls"] = json!([{"index":0,"function":{"name":"f","strict":true}}]);
            }),
        ),
        ("null tool_calls", with(&|v| v["choices"][0]["delta"]["tool_calls"] = Value::Null)),
        ("not an object", "[1,2]".to_owned()),
        ("not JSON", "{\"id\":".to_owned()),
    ];
    for (what, json) in cases {
        let reason = refused(&json);
        assert!(!reason.is_empty(), "{what}");
    }
    // Text only JSON can carry: a number serde_json's Value cannot hold, a repeated key, an escaped key.
    let text = base.to_string();
    refused(&text.replace(r#""model":"m""#, r#""model":"m","big":1e400"#));
    refused(&text.replace(r#""model":"m""#, r#""model":"m","model":"n""#));
    refused(&text.replace(r#""usage""#, "").replace(r#""model":"m""#, r#""model":"m","us\u0061ge":null"#));
}

#[test]
fn edits_touch_only_the_edited_bytes() {
    let chunk = accepted(OPENAI_CHUNK);
    assert_eq!(edited(&chunk, None, None, None), OPENAI_CHUNK);
    assert_eq!(edited(&chunk, None, None, Some(true)), OPENAI_CHUNK, "usage already null");
    assert_eq!(
        edited(&chunk, Some("chatcmpl-\"first\""), Some(42), Some(false)),
        OPENAI_CHUNK
            .replace("chatcmpl-C1", r#"chatcmpl-\"first\""#)
            .replace("1732500000", "42")
            .replace(r#","usage":null"#, "")
    );

    // `usage` first, last and alone: one comma goes with it.
    let first = accepted(r#"{"usage":null,"id":"c","object":"o","created":1,"model":"m","choices":[]}"#);
    assert_eq!(
        edited(&first, None, None, Some(false)),
        r#"{"id":"c","object":"o","created":1,"model":"m","choices":[]}"#
    );
    let last = accepted(r#"{"id":"c","object":"o","created":1,"model":"m","choices":[],"usage":null}"#);
    assert_eq!(
        edited(&last, None, None, Some(false)),
        r#"{"id":"c","object":"o","created":1,"model":"m","choices":[]}"#
    );

    // No `usage` and the client asked for it: `"usage":null` is added at the end.
    let absent = accepted(r#"{"id":"c","object":"o","created":1,"model":"m","choices":[]}"#);
    assert_eq!(absent.usage(), &UsageMember::Absent);
    assert_eq!(
        edited(&absent, None, Some(9), Some(true)),
        r#"{"id":"c","object":"o","created":9,"model":"m","choices":[],"usage":null}"#
    );
    assert_eq!(edited(&absent, None, None, Some(false)), absent.as_str());
}

#[test]
fn completions_of_openai_and_the_fixtures_are_verbatim() {
    for name in ["openai_response_text.json", "openai_response_tool_calls.json"] {
        let text = fixture(name).trim_end().to_owned();
        let verbatim = VerbatimCompletion::check(text.clone()).unwrap_or_else(|e| panic!("{name}: {}", e.reason));
        assert_eq!(verbatim.as_str(), text);
        let typed: ChatCompletionResponse = verbatim.into_typed().unwrap();
        assert_eq!(serde_json::to_value(typed).unwrap(), serde_json::from_str::<Value>(&text).unwrap());
    }
    let base: Value = serde_json::from_str(&fixture("openai_response_tool_calls.json")).unwrap();
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut value = base.clone();
        edit(&mut value);
        value.to_string()
    };
    let message = |v: &mut Value| v["choices"][0]["message"].as_object_mut().unwrap().clone();
    let cases: Vec<(&str, String)> = vec![
        ("spaces", serde_json::to_string_pretty(&base).unwrap()),
        (
            "no content",
            with(&|v| {
                let mut m = message(v);
                m.remove("content");
                v["choices"][0]["message"] = Value::Object(m);
            }),
        ),
        ("null tool_calls", with(&|v| v["choices"][0]["message"]["tool_calls"] = Value::Null)),
        ("null reasoning", with(&|v| v["choices"][0]["message"]["reasoning_content"] = Value::Null)),
        (
            "tool call without type",
            with(&|v| {
                v["choices"][0]["message"]["tool_calls"][0].as_object_mut().unwrap().remove("type");
            }),
        ),
        ("tool call unknown key", with(&|v| v["choices"][0]["message"]["tool_calls"][0]["x"] = json!(1))),
        (
            "function without arguments",
            with(&|v| {
                v["choices"][0]["message"]["tool_calls"][0]["function"].as_object_mut().unwrap().remove("arguments");
            }),
        ),
        ("null usage", with(&|v| v["usage"] = Value::Null)),
        ("no logprobs", with(&|v| drop(v["choices"][0].as_object_mut().unwrap().remove("logprobs")))),
        ("no finish_reason", with(&|v| drop(v["choices"][0].as_object_mut().unwrap().remove("finish_reason")))),
        ("no model", with(&|v| drop(v.as_object_mut().unwrap().remove("model")))),
        ("an error body", r#"{"error":{"message":"boom"}}"#.to_owned()),
    ];
    for (what, json) in cases {
        let refused = VerbatimCompletion::check(json.clone()).expect_err(what);
        assert_eq!(refused.json, json, "{what}");
    }
}

/// Generated documents: each key usually present with a value of the expected type, sometimes absent or of
/// another type (`bad`), keys in any order — so that many are accepted and every rule is crossed now and then.
fn field(key: &'static str, good: Vec<Value>, bad: Vec<Value>) -> BoxedStrategy<Option<(String, Value)>> {
    let value = if bad.is_empty() {
        proptest::sample::select(good).boxed()
    } else {
        prop_oneof![9 => proptest::sample::select(good), 1 => proptest::sample::select(bad)].boxed()
    };
    proptest::option::weighted(0.95, value).prop_map(move |v| v.map(|v| (key.to_owned(), v))).boxed()
}

/// A key that is usually absent.
fn sometimes(key: &'static str, probability: f64, values: Vec<Value>) -> BoxedStrategy<Option<(String, Value)>> {
    proptest::option::weighted(probability, proptest::sample::select(values))
        .prop_map(move |v| v.map(|v| (key.to_owned(), v)))
        .boxed()
}

fn nested(
    key: &'static str,
    probability: f64,
    value: impl Strategy<Value = Value> + 'static,
) -> BoxedStrategy<Option<(String, Value)>> {
    proptest::option::weighted(probability, value).prop_map(move |v| v.map(|v| (key.to_owned(), v))).boxed()
}

fn object(fields: Vec<BoxedStrategy<Option<(String, Value)>>>) -> BoxedStrategy<Value> {
    fields.prop_shuffle().prop_map(|entries| Value::Object(entries.into_iter().flatten().collect())).boxed()
}

fn texts() -> Vec<Value> {
    vec![json!("a"), json!(""), json!("é \"q\" \\ /")]
}

fn not_texts() -> Vec<Value> {
    vec![Value::Null, json!(1)]
}

fn tool_call_delta() -> BoxedStrategy<Value> {
    let function = object(vec![
        field("name", texts(), not_texts()),
        field("arguments", texts(), not_texts()),
        sometimes("strict", 0.05, vec![json!(true)]),
    ]);
    object(vec![
        field("index", vec![json!(0), json!(1)], vec![json!(-1)]),
        sometimes("id", 0.5, vec![json!("call_1"), Value::Null]),
        sometimes("type", 0.5, vec![json!("function"), Value::Null]),
        nested("function", 0.9, function),
    ])
}

fn delta() -> BoxedStrategy<Value> {
    let tool_calls = prop_oneof![
        9 => proptest::collection::vec(tool_call_delta(), 0..3).prop_map(Value::Array),
        1 => Just(Value::Null),
    ];
    object(vec![
        sometimes("role", 0.3, vec![json!("assistant"), json!("assistant"), Value::Null]),
        sometimes("content", 0.6, vec![json!("x"), json!(""), json!("a \"b\""), Value::Null]),
        sometimes("reasoning_content", 0.1, vec![json!("r"), Value::Null]),
        nested("tool_calls", 0.3, tool_calls),
        sometimes("refusal", 0.2, vec![Value::Null, json!("no")]),
    ])
}

fn choice() -> BoxedStrategy<Value> {
    object(vec![
        field("index", vec![json!(0), json!(1)], vec![json!(-1), json!("0")]),
        nested("delta", 0.97, delta()),
        field(
            "finish_reason",
            vec![Value::Null, Value::Null, json!("stop"), json!("tool_calls"), json!("weird")],
            vec![json!(5)],
        ),
        field("logprobs", vec![Value::Null, Value::Null, json!({"content":[]})], vec![]),
        sometimes("extra", 0.1, vec![json!([1, {"a": null}])]),
    ])
}

fn chunk() -> BoxedStrategy<Value> {
    object(vec![
        field("id", vec![json!("chatcmpl-1")], vec![json!("a\"b"), json!(3)]),
        field("object", vec![json!("chat.completion.chunk")], vec![Value::Null]),
        field("created", vec![json!(1732500000), json!(0)], vec![json!(-3), json!(2.5)]),
        field("model", vec![json!("gpt-4o")], vec![json!("é\n")]),
        nested("choices", 0.97, proptest::collection::vec(choice(), 0..3).prop_map(Value::Array)),
        sometimes(
            "usage",
            0.6,
            vec![
                Value::Null,
                Value::Null,
                json!({"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}),
                json!({"prompt_tokens":3,"completion_tokens":2,"total_tokens":5,"prompt_tokens_details":{"cached_tokens":1}}),
                json!({"prompt_tokens":3}),
                json!(7),
            ],
        ),
        sometimes("system_fingerprint", 0.3, vec![json!("fp"), json!(2.0)]),
        sometimes("error", 0.03, vec![json!({"message":"boom"})]),
    ])
}

fn response() -> BoxedStrategy<Value> {
    let tool_call = object(vec![
        field("id", vec![json!("call_1")], not_texts()),
        field("type", vec![json!("function")], vec![Value::Null]),
        field(
            "function",
            vec![json!({"name":"f","arguments":"{}"})],
            vec![json!({"name":"f"}), json!({"name":"f","arguments":"","x":1})],
        ),
        sometimes("x", 0.05, vec![json!(1)]),
    ]);
    let message = object(vec![
        field("role", vec![json!("assistant")], vec![Value::Null]),
        field("content", vec![json!("hi"), Value::Null], vec![json!(1)]),
        sometimes("reasoning_content", 0.2, vec![json!("r"), Value::Null]),
        nested(
            "tool_calls",
            0.4,
            prop_oneof![
                9 => proptest::collection::vec(tool_call, 0..3).prop_map(Value::Array),
                1 => Just(Value::Null),
            ],
        ),
        sometimes("refusal", 0.3, vec![Value::Null]),
    ]);
    let choice = object(vec![
        field("index", vec![json!(0)], vec![json!(-1)]),
        nested("message", 0.97, message),
        field("finish_reason", vec![Value::Null, json!("stop")], vec![json!(1)]),
        field("logprobs", vec![Value::Null, json!({})], vec![]),
    ]);
    object(vec![
        field("id", vec![json!("chatcmpl-1")], vec![json!(1)]),
        field("object", vec![json!("chat.completion")], vec![]),
        field("created", vec![json!(1)], vec![json!(-1)]),
        field("model", vec![json!("gpt-4o")], vec![]),
        nested("choices", 0.97, proptest::collection::vec(choice, 0..3).prop_map(Value::Array)),
        sometimes(
            "usage",
            0.8,
            vec![json!({"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}), Value::Null, json!({})],
        ),
        sometimes("service_tier", 0.3, vec![json!("default")]),
    ])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    /// Accepted ⇒ the typed parse accepts, and forwarding gives the value the typed path writes.
    #[test]
    fn an_accepted_chunk_is_what_the_typed_path_writes(value in chunk()) {
        let text = value.to_string();
        if let Ok(verbatim) = VerbatimChunk::check(text.clone()) {
            let typed: ChatCompletionChunk = serde_json::from_str(&text).expect("the typed parse accepts it");
            let forwarded: Value = serde_json::from_str(verbatim.as_str()).unwrap();
            prop_assert_eq!(forwarded, serde_json::to_value(&typed).unwrap());
            prop_assert_eq!(verbatim.into_typed().unwrap(), typed);
        }
    }

    #[test]
    fn an_accepted_completion_is_what_the_typed_path_writes(value in response()) {
        let text = value.to_string();
        if let Ok(verbatim) = VerbatimCompletion::check(text.clone()) {
            let typed: ChatCompletionResponse = serde_json::from_str(&text).expect("the typed parse accepts it");
            let forwarded: Value = serde_json::from_str(verbatim.as_str()).unwrap();
            prop_assert_eq!(forwarded, serde_json::to_value(&typed).unwrap());
        }
    }
}

/// The properties above say something only if the generators often produce documents the checks accept.
#[test]
fn the_generators_reach_accepted_documents() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let mut runner = TestRunner::new_with_rng(Config::default(), TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]));
    let (mut chunks, mut completions) = (0, 0);
    for _ in 0..2000 {
        let text = chunk().new_tree(&mut runner).unwrap().current().to_string();
        chunks += usize::from(VerbatimChunk::check(text).is_ok());
        let text = response().new_tree(&mut runner).unwrap().current().to_string();
        completions += usize::from(VerbatimCompletion::check(text).is_ok());
    }
    eprintln!("accepted of 2000: {chunks} chunks, {completions} completions");
    assert!(chunks >= 100 && completions >= 100, "{chunks} chunks, {completions} completions");
}
