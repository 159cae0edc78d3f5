//! Every ingress format × target format × stream/non-stream, on every upstream path; tool calls through each
//! target; the usage chunk only when asked.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{data_lines, start, status_json};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

const TEXT: &str = "You said: hello obs";

fn body(ingress: &str, model: &str, stream: bool) -> Value {
    match ingress {
        "openai" => json!({"model": model, "stream": stream, "messages": [{"role": "user", "content": "hello obs"}]}),
        "claude" => {
            json!({"anthropic_version": "bedrock-2023-05-31", "model": model, "max_tokens": 100, "stream": stream,
            "messages": [{"role": "user", "content": "hello obs"}]})
        }
        _ => {
            json!({"model": model, "inputText": "hello obs", "textGenerationConfig": {"maxTokenCount": 100}, "stream": stream})
        }
    }
}

/// The text an answer carries, read the way a client of that format would.
fn text_of(target: &str, stream: bool, raw: &str) -> (String, String) {
    if !stream {
        let v: Value = serde_json::from_str(raw).unwrap();
        return match target {
            "openai" => (
                v["choices"][0]["message"]["content"].as_str().unwrap().to_owned(),
                v["choices"][0]["finish_reason"].as_str().unwrap().to_owned(),
            ),
            "bedrock_claude" => {
                (v["content"][0]["text"].as_str().unwrap().to_owned(), v["stop_reason"].as_str().unwrap().to_owned())
            }
            _ => (
                v["results"][0]["outputText"].as_str().unwrap().to_owned(),
                v["results"][0]["completionReason"].as_str().unwrap().to_owned(),
            ),
        };
    }
    let events: Vec<Value> =
        data_lines(raw).iter().filter(|d| *d != "[DONE]").map(|d| serde_json::from_str(d).unwrap()).collect();
    match target {
        "openai" => {
            assert!(raw.ends_with("data: [DONE]\n\n"), "{raw}");
            let text = events.iter().filter_map(|e| e["choices"][0]["delta"]["content"].as_str()).collect();
            let finish = events.iter().filter_map(|e| e["choices"][0]["finish_reason"].as_str()).collect();
            (text, finish)
        }
        "bedrock_claude" => {
            let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
            assert_eq!(kinds.first(), Some(&"message_start"));
            assert_eq!(&kinds[kinds.len() - 2..], ["message_delta", "message_stop"]);
            let names: Vec<&str> = raw.lines().filter_map(|l| l.strip_prefix("event: ")).collect();
            assert_eq!(names, kinds, "every data line has its event line");
            let text = events.iter().filter_map(|e| e["delta"]["text"].as_str()).collect();
            (text, events[events.len() - 2]["delta"]["stop_reason"].as_str().unwrap().to_owned())
        }
        _ => {
            assert!(!raw.contains("[DONE]"));
            let text = events.iter().filter_map(|e| e["outputText"].as_str()).collect();
            (text, events.last().unwrap()["completionReason"].as_str().unwrap().to_owned())
        }
    }
}

#[tokio::test]
async fn every_ingress_target_and_stream_combination() {
    let t = start(|_| {}).await;
    let upstreams = [
        "gpt-4o",
        "anthropic.claude-3-haiku-20240307-v1:0",
        "amazon.titan-text-express-v1",
        "us.amazon.nova-lite-v1:0",
    ];
    for model in upstreams {
        for ingress in ["openai", "claude", "titan"] {
            for target in ["openai", "bedrock_claude", "bedrock_titan"] {
                for stream in [false, true] {
                    let response = t
                        .post(&format!("/v1/chat/completions?target_format={target}"), &body(ingress, model, stream))
                        .await;
                    let what = format!("{model} {ingress}->{target} stream={stream}");
                    assert_eq!(response.status(), 200, "{what}");
                    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
                    assert_eq!(content_type, if stream { "text/event-stream" } else { "application/json" }, "{what}");
                    if stream {
                        assert_eq!(response.headers()["cache-control"], "no-cache");
                        assert_eq!(response.headers()["x-accel-buffering"], "no");
                    }
                    let raw = response.text().await.unwrap();
                    let expected_finish = match target {
                        "openai" => "stop",
                        "bedrock_claude" => "end_turn",
                        _ => "FINISH",
                    };
                    assert_eq!(text_of(target, stream, &raw), (TEXT.to_owned(), expected_finish.to_owned()), "{what}");
                }
            }
        }
    }
}

fn normalise_ids(raw: &str) -> String {
    let mut raw = raw.to_owned();
    // The mock's tool-call ids are random too: `"toolu_bdrk_01…"` (Claude), `"call_…"` (OpenAI).
    for prefix in ["chatcmpl-", "\"toolu_bdrk_01", "\"call_"] {
        let mut out = String::new();
        let mut rest = raw.as_str();
        while let Some(i) = rest.find(prefix) {
            out.push_str(&rest[..i + prefix.len()]);
            out.push_str("ID");
            let tail = &rest[i + prefix.len()..];
            let end = tail.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(tail.len());
            rest = &tail[end..];
        }
        out.push_str(rest);
        raw = out;
    }
    raw
}

#[tokio::test]
async fn tool_calls_stream_through_every_target() {
    let t = start(|_| {}).await;
    let tools =
        json!([{"type":"function","function":{"name":"weather"}},{"type":"function","function":{"name":"time"}}]);
    let mut request = json!({"model":"anthropic.claude-tools2","stream":true,"stream_options":{"include_usage":true},
        "messages":[{"role":"user","content":"both?"}],"tools":tools});
    let openai = t.post("/v1/chat/completions", &request).await.text().await.unwrap();
    let openai = normalise_ids(&openai);
    let created = serde_json::from_str::<Value>(&data_lines(&openai)[0]).unwrap()["created"].clone();
    let chunk = |delta: Value, finish: Value| {
        format!(
            "data: {}\n\n",
            json!({"id":"chatcmpl-ID","object":"chat.completion.chunk","created":created,"model":"anthropic.claude-tools2",
            "choices":[{"index":0,"delta":delta,"finish_reason":finish,"logprobs":null}],"usage":null})
        )
    };
    let mut expected = String::new();
    expected += &chunk(json!({"role":"assistant","content":""}), Value::Null);
    for text in ["Let", " me", " check", " both."] {
        expected += &chunk(json!({"content":text}), Value::Null);
    }
    // Tools without parameters: `{}` arguments.
    for (index, name) in [(0, "weather"), (1, "time")] {
        expected += &chunk(
            json!({"tool_calls":[{"index":index,"id":"toolu_bdrk_01ID","type":"function","function":{"name":name,"arguments":""}}]}),
            Value::Null,
        );
        expected += &chunk(json!({"tool_calls":[{"index":index,"function":{"arguments":"{}"}}]}), Value::Null);
    }
    expected += &chunk(json!({}), json!("tool_calls"));
    expected += &format!(
        "data: {}\n\n",
        json!({"id":"chatcmpl-ID","object":"chat.completion.chunk","created":created,
        "model":"anthropic.claude-tools2","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":20,"total_tokens":21}})
    );
    expected += "data: [DONE]\n\n";
    assert_eq!(openai, expected);

    request.as_object_mut().unwrap().remove("stream_options");
    let claude = t.post("/v1/chat/completions?target_format=claude", &request).await.text().await.unwrap();
    let claude = normalise_ids(&claude);
    let events: Vec<Value> = data_lines(&claude).iter().map(|d| serde_json::from_str(d).unwrap()).collect();
    let tool_blocks: Vec<Value> = events
        .iter()
        .filter(|e| e["type"] == "content_block_start" && e["content_block"]["type"] == "tool_use")
        .map(|e| json!([e["index"], e["content_block"]["id"], e["content_block"]["name"]]))
        .collect();
    assert_eq!(tool_blocks, vec![json!([1, "toolu_bdrk_01ID", "weather"]), json!([2, "toolu_bdrk_01ID", "time"])]);
    let arguments: String =
        events.iter().filter(|e| e["index"] == 2).filter_map(|e| e["delta"]["partial_json"].as_str()).collect();
    assert_eq!(arguments, "{}");
    assert_eq!(events[events.len() - 2]["delta"]["stop_reason"], "tool_use");

    let titan = t.post("/v1/chat/completions?target_format=titan", &request).await.text().await.unwrap();
    let chunks: Vec<Value> = data_lines(&titan).iter().map(|d| serde_json::from_str(d).unwrap()).collect();
    let text: String = chunks.iter().filter_map(|c| c["outputText"].as_str()).collect();
    assert_eq!(text, "Let me check both.");
    assert_eq!(chunks.last().unwrap()["completionReason"], "FINISH");
    assert_eq!(chunks.last().unwrap()["totalOutputTextTokenCount"], 20);

    let (status, whole) = status_json(
        t.post(
            "/v1/chat/completions?target_format=bedrock_claude",
            &json!({"model":"gpt-tools2","tools":tools,
        "messages":[{"role":"user","content":"both?"}]}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    let whole: Value = serde_json::from_str(&normalise_ids(&whole.to_string())).unwrap();
    assert_eq!(
        whole["content"],
        json!([{"type":"text","text":"Let me check both."},
               {"type":"tool_use","id":"call_ID","name":"weather","input":{}},
               {"type":"tool_use","id":"call_ID","name":"time","input":{}}])
    );
}

#[tokio::test]
async fn usage_chunk_only_when_asked() {
    let t = start(|_| {}).await;
    for model in ["gpt-4o", "meta.llama3", "anthropic.claude-v2"] {
        let plain = t
            .post(
                "/v1/chat/completions",
                &json!({"model":model,"stream":true,"messages":[{"role":"user","content":"x"}]}),
            )
            .await
            .text()
            .await
            .unwrap();
        assert!(!plain.contains("\"usage\""), "{model}: {plain}");
        let with = t
            .post(
                "/v1/chat/completions",
                &json!({"model":model,"stream":true,"stream_options":{"include_usage":true},
            "messages":[{"role":"user","content":"x"}]}),
            )
            .await
            .text()
            .await
            .unwrap();
        let lines = data_lines(&with);
        let usage: Value = serde_json::from_str(&lines[lines.len() - 2]).unwrap();
        assert_eq!(usage["choices"], json!([]), "{model}");
        assert!(usage["usage"]["total_tokens"].as_u64().unwrap() > 0);
        assert!(lines[..lines.len() - 2].iter().all(|l| serde_json::from_str::<Value>(l).unwrap()["usage"].is_null()));
        let ids: std::collections::HashSet<String> = lines[..lines.len() - 1]
            .iter()
            .map(|l| serde_json::from_str::<Value>(l).unwrap()["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(ids.len(), 1, "one id per stream");
    }
    // OpenAI upstreams are always asked for usage.
    assert_eq!(
        t.mock().recorder().requests().iter().filter(|r| r.path == "/v1/chat/completions").last().unwrap().json()["stream_options"],
        json!({"include_usage":true})
    );
}
