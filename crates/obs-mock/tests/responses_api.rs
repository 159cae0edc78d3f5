//! The emulator's `POST /v1/responses` over a real client: a whole response, the streamed event sequence whose last
//! event carries that same response, a forced function call, and the next turn answering its output.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use obs_mock::{MockConfig, spawn};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

async fn post(base: &str, body: &Value) -> reqwest::Response {
    reqwest::Client::new().post(format!("{base}/responses")).bearer_auth("sk-test").json(body).send().await.unwrap()
}

fn without_times(mut response: Value) -> Value {
    response["created_at"] = json!(0);
    response
}

#[tokio::test]
async fn a_whole_response_and_its_stream_agree() {
    let mock = spawn(MockConfig { id_seed: Some(7), ..MockConfig::default() }).await.unwrap();
    let base = mock.openai_base_url();
    let whole: Value = post(&base, &json!({"model": "gpt-4o", "input": "hello obs"})).await.json().await.unwrap();
    assert_eq!(whole["status"], "completed");
    assert_eq!(
        whole["output"],
        json!([{"type": "message", "id": whole["output"][0]["id"], "status": "completed", "role": "assistant",
                "content": [{"type": "output_text", "text": "You said: hello obs", "annotations": []}]}])
    );
    assert_eq!(
        whole["usage"]["total_tokens"],
        json!(whole["usage"]["input_tokens"].as_u64().unwrap() + whole["usage"]["output_tokens"].as_u64().unwrap())
    );

    let response = post(&base, &json!({"model": "gpt-4o", "input": "hello obs", "stream": true})).await;
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let text = response.text().await.unwrap();
    let events: Vec<Value> = text
        .split("\n\n")
        .filter(|block| !block.is_empty())
        .map(|block| serde_json::from_str(block.lines().nth(1).unwrap().strip_prefix("data: ").unwrap()).unwrap())
        .collect();
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    let deltas = kinds.iter().filter(|k| **k == "response.output_text.delta").count();
    let mut expected =
        vec!["response.created", "response.in_progress", "response.output_item.added", "response.content_part.added"];
    expected.extend(std::iter::repeat_n("response.output_text.delta", deltas));
    expected.extend([
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]);
    assert_eq!(kinds, expected);
    assert!(events.iter().enumerate().all(|(i, e)| e["sequence_number"] == json!(i)));
    let mut last = events.last().unwrap()["response"].clone();
    // Another request, so other ids.
    last["id"] = whole["id"].clone();
    last["output"][0]["id"] = whole["output"][0]["id"].clone();
    assert_eq!(without_times(last), without_times(whole));
}

#[tokio::test]
async fn a_forced_call_and_the_turn_that_answers_it() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let base = mock.openai_base_url();
    let tool = json!({"type": "function", "name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}});
    let ask = json!({"role": "user", "content": "Weather in Paris?"});
    let first: Value =
        post(&base, &json!({"model": "gpt-4o", "input": [ask], "tools": [tool], "tool_choice": "required"}))
            .await
            .json()
            .await
            .unwrap();
    let call = first["output"].as_array().unwrap().iter().find(|i| i["type"] == "function_call").unwrap().clone();
    assert_eq!(call["name"], "get_weather");
    assert!(serde_json::from_str::<Value>(call["arguments"].as_str().unwrap()).unwrap()["city"].is_string());
    let next = json!({"model": "gpt-4o", "tools": [tool],
                      "input": [ask, call, {"type": "function_call_output", "call_id": call["call_id"], "output": "sunny"}]});
    let second: Value = post(&base, &next).await.json().await.unwrap();
    assert!(second["output"][0]["content"][0]["text"].as_str().unwrap().contains("sunny"), "{second}");
}
