//! `POST /v1/responses` over a real listener against the emulator (docs/reference/responses.md): the chat body each
//! kind of target received, the response object whole (ids redacted), the streamed event transcript and its final
//! response, a stateless function-call loop, and the errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{KEY, TestServer, start, status_json};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

/// A response with its ids and timestamp replaced by their prefixes.
fn redacted(mut response: Value) -> Value {
    let prefix = |id: &Value| Value::String(id.as_str().unwrap().split('_').next().unwrap().to_owned() + "_…");
    response["id"] = prefix(&response["id"]);
    response["created_at"] = json!(0);
    for item in response["output"].as_array_mut().unwrap() {
        item["id"] = prefix(&item["id"]);
    }
    response
}

/// `(event name, data)` of each SSE event; checks that `sequence_number` counts from 0 and names the `type`.
async fn events(response: reqwest::Response) -> Vec<(String, Value)> {
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let text = response.text().await.unwrap();
    let mut out = Vec::new();
    for block in text.split("\n\n").filter(|b| !b.trim().is_empty() && !b.starts_with(':')) {
        let mut lines = block.lines();
        let name = lines.next().unwrap().strip_prefix("event: ").unwrap().to_owned();
        let data: Value = serde_json::from_str(lines.next().unwrap().strip_prefix("data: ").unwrap()).unwrap();
        assert_eq!(data["type"], json!(name));
        assert_eq!(data["sequence_number"], json!(out.len()), "{name}");
        out.push((name, data));
    }
    out
}

fn sent(t: &TestServer, from: u64) -> Vec<Value> {
    t.mock().recorder().requests().into_iter().filter(|r| r.seq >= from).map(|r| r.json()).collect()
}

#[tokio::test]
async fn a_text_answer_is_a_response_object_on_every_kind_of_target() {
    let t = start(|_| {}).await;
    let from = t.mock().recorder().count();
    let body = json!({"model": "gpt-4o", "input": "hello obs", "instructions": "Be brief.", "max_output_tokens": 50,
                      "temperature": 0.5, "metadata": {"k": "v"}, "user": "u1"});
    let response = t.post("/v1/responses", &body).await;
    assert_eq!(response.headers()["x-obs-target"], "openai/gpt-4o");
    let (status, answer) = status_json(response).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        sent(&t, from),
        vec![json!({
            "model": "gpt-4o",
            "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hello obs"}],
            "max_completion_tokens": 50,
            "temperature": 0.5,
            "user": "u1"
        })]
    );
    assert_eq!(
        redacted(answer),
        json!({
            "id": "resp_…", "object": "response", "created_at": 0, "status": "completed", "error": null,
            "incomplete_details": null, "instructions": "Be brief.", "max_output_tokens": 50, "model": "gpt-4o",
            "output": [{"type": "message", "id": "msg_…", "status": "completed", "role": "assistant",
                        "content": [{"type": "output_text", "text": "You said: hello obs", "annotations": []}]}],
            "parallel_tool_calls": true, "previous_response_id": null,
            "reasoning": {"effort": null, "summary": null}, "store": true, "temperature": 0.5,
            "text": {"format": {"type": "text"}}, "tool_choice": "auto", "tools": [], "top_p": null,
            "truncation": "disabled",
            "usage": {"input_tokens": 4, "input_tokens_details": {"cached_tokens": 0}, "output_tokens": 4,
                      "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 8},
            "user": "u1", "metadata": {"k": "v"}
        })
    );
    for model in ["anthropic.claude-3-haiku-20240307-v1:0", "amazon.nova-lite-v1:0"] {
        let (status, answer) =
            status_json(t.post("/v1/responses", &json!({"model": model, "input": "hello obs"})).await).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["output"][0]["content"][0]["text"], "You said: hello obs", "{model}");
        assert_eq!(answer["status"], "completed");
    }
}

#[tokio::test]
async fn a_stream_is_the_typed_event_sequence_ending_in_the_whole_response() {
    let t = start(|_| {}).await;
    for model in ["gpt-4o", "anthropic.claude-3-haiku-20240307-v1:0", "amazon.nova-lite-v1:0"] {
        let body = json!({"model": model, "input": "hello obs"});
        let (_, whole) = status_json(t.post("/v1/responses", &body).await).await;
        let streamed =
            events(t.post("/v1/responses", &json!({"model": model, "input": "hello obs", "stream": true})).await).await;
        let names: Vec<&str> = streamed.iter().map(|(name, _)| name.as_str()).collect();
        let deltas = names.iter().filter(|n| **n == "response.output_text.delta").count();
        assert!(deltas >= 2, "{model}: the text comes in pieces");
        let mut expected = vec![
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.content_part.added",
        ];
        expected.extend(std::iter::repeat_n("response.output_text.delta", deltas));
        expected.extend([
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.completed",
        ]);
        assert_eq!(names, expected, "{model}");
        let text: String = streamed
            .iter()
            .filter(|(n, _)| n == "response.output_text.delta")
            .map(|(_, d)| d["delta"].as_str().unwrap())
            .collect();
        assert_eq!(text, "You said: hello obs");
        let created = &streamed[0].1["response"];
        assert_eq!(
            (created["status"].clone(), created["output"].clone(), created["usage"].clone()),
            (json!("in_progress"), json!([]), Value::Null)
        );
        let item_id = &streamed[2].1["item"]["id"];
        assert!(streamed[3..streamed.len() - 1].iter().all(|(_, d)| d.get("item_id").is_none_or(|id| id == item_id)));
        let last = streamed.last().unwrap().1["response"].clone();
        assert_eq!(last["id"], created["id"], "one response id");
        assert_eq!(last["output"][0]["id"], *item_id);
        assert_eq!(redacted(last), redacted(whole), "{model}: the stream's response is the whole answer");
    }
}

#[tokio::test]
async fn a_function_call_loop_works_statelessly() {
    let t = start(|_| {}).await;
    let tool = json!({"type": "function", "name": "get_weather", "description": "Weather in a city",
                      "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}});
    let ask = json!({"role": "user", "content": "What is the weather in Paris?"});
    let from = t.mock().recorder().count();
    let body = json!({"model": "gpt-4o", "input": [ask], "tools": [tool], "tool_choice": "required", "parallel_tool_calls": false});
    let (status, first) = status_json(t.post("/v1/responses", &body).await).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(
        sent(&t, from)[0],
        json!({"model": "gpt-4o", "messages": [ask],
               "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather in a city", "parameters": tool["parameters"]}}],
               "tool_choice": "required", "parallel_tool_calls": false})
    );
    let call = first["output"].as_array().unwrap().iter().find(|i| i["type"] == "function_call").unwrap().clone();
    assert_eq!((call["name"].clone(), call["status"].clone()), (json!("get_weather"), json!("completed")));
    let call_id = call["call_id"].as_str().unwrap();

    let mut input = vec![ask.clone()];
    input.extend(first["output"].as_array().unwrap().iter().cloned());
    input.push(json!({"type": "function_call_output", "call_id": call_id, "output": "sunny, 21 C"}));
    let from = t.mock().recorder().count();
    let (status, second) =
        status_json(t.post("/v1/responses", &json!({"model": "gpt-4o", "input": input, "tools": [tool]})).await).await;
    assert_eq!(status, 200, "{second}");
    let messages = sent(&t, from)[0]["messages"].clone();
    assert_eq!(messages[1]["tool_calls"][0]["id"], json!(call_id));
    assert_eq!(messages[2], json!({"role": "tool", "content": "sunny, 21 C", "tool_call_id": call_id}));
    assert!(second["output"][0]["content"][0]["text"].as_str().unwrap().contains("sunny, 21 C"), "{second}");

    // Streamed, the call is an item with its argument deltas.
    let body = json!({"model": "anthropic.claude-3-haiku-20240307-v1:0", "input": [ask], "tools": [tool], "tool_choice": "required", "stream": true});
    let streamed = events(t.post("/v1/responses", &body).await).await;
    let names: Vec<&str> = streamed.iter().map(|(n, _)| n.as_str()).filter(|n| !n.ends_with(".delta")).collect();
    assert!(
        names.windows(3).any(|w| w
            == ["response.output_item.added", "response.function_call_arguments.done", "response.output_item.done"]),
        "{names:?}"
    );
    let arguments: String = streamed
        .iter()
        .filter(|(n, _)| n == "response.function_call_arguments.delta")
        .map(|(_, d)| d["delta"].as_str().unwrap())
        .collect();
    let item = streamed.iter().rev().find(|(n, _)| n == "response.output_item.done").unwrap().1["item"].clone();
    assert_eq!(item["arguments"], json!(arguments));
    assert!(serde_json::from_str::<Value>(&arguments).unwrap()["city"].is_string());
}

#[tokio::test]
async fn bad_requests_are_clear_400s_and_404s_before_any_upstream_call() {
    let t = start(|_| {}).await;
    let error = |status: u16, code: &str, param: &str| (status, json!({"code": code, "param": param}));
    let cases = [
        (
            json!({"model": "gpt-4o", "input": [{"type": "web_search_call", "id": "ws_1"}]}),
            error(400, "invalid_value", "input[0].type"),
        ),
        (
            json!({"model": "gpt-4o", "input": [{"type": "function_call_output", "call_id": "call_x", "output": "1"}]}),
            error(400, "invalid_value", "input"),
        ),
        (
            json!({"model": "gpt-4o", "input": "hi", "previous_response_id": "resp_nope"}),
            error(404, "not_found", "previous_response_id"),
        ),
        (
            json!({"model": "gpt-4o", "input": "hi", "tools": [{"type": "web_search"}]}),
            error(400, "unsupported_parameter", "tools"),
        ),
        (json!({"model": "gpt-4o", "input": "hi", "temperature": 5}), error(400, "invalid_value", "temperature")),
        (
            json!({"model": "gpt-4o", "input": [{"role": "robot", "content": "x"}]}),
            error(400, "invalid_value", "input"),
        ),
        (
            json!({"model": "gpt-4o", "input": [{"type": "reasoning", "summary": [], "encrypted_content": "gAAAA-not-ours"}, {"role": "user", "content": "x"}]}),
            error(400, "invalid_value", "input"),
        ),
        (json!({"input": "hi"}), error(400, "missing_model", "model")),
        (json!({"model": "amazon.titan-embed-text-v2:0", "input": "hi"}), error(400, "invalid_value", "model")),
    ];
    let before = t.mock().recorder().count();
    for (body, (status, expected)) in cases {
        let (got, answer) = status_json(t.post("/v1/responses", &body).await).await;
        assert_eq!(
            (got, json!({"code": answer["error"]["code"], "param": answer["error"]["param"]})),
            (status, expected),
            "{body}"
        );
    }
    assert_eq!(t.mock().recorder().count(), before);
    let (status, _) = status_json(t.get("/v1/responses").await).await;
    assert_eq!(status, 405);
}

#[tokio::test]
async fn stored_responses_continue_list_their_input_and_belong_to_their_key() {
    let t = start(|config| config.server.api_keys.push(secrecy::SecretString::from("second-key".to_owned()))).await;
    let (status, first) =
        status_json(t.post("/v1/responses", &json!({"model": "gpt-4o", "input": "hello obs"})).await).await;
    assert_eq!((status, first["store"].clone()), (200, json!(true)), "{first}");
    let id = first["id"].as_str().unwrap();
    let (status, got) = status_json(t.get(&format!("/v1/responses/{id}")).await).await;
    assert_eq!((status, got), (200, first.clone()), "retrieved as answered");

    let (status, items) = status_json(t.get(&format!("/v1/responses/{id}/input_items")).await).await;
    assert_eq!(status, 200);
    let item_id = items["data"][0]["id"].clone();
    assert!(item_id.as_str().unwrap().starts_with("msg_"));
    assert_eq!(
        items,
        json!({"object": "list", "data": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hello obs"}], "id": item_id}],
               "first_id": item_id, "last_id": item_id, "has_more": false})
    );

    // The next turn continues the stored conversation: the upstream gets it all.
    let from = t.mock().recorder().count();
    let body =
        json!({"model": "anthropic.claude-3-haiku-20240307-v1:0", "input": "and again", "previous_response_id": id});
    let (status, second) = status_json(t.post("/v1/responses", &body).await).await;
    assert_eq!((status, second["previous_response_id"].clone()), (200, json!(id)), "{second}");
    let sent = t.mock().recorder().requests().into_iter().find(|r| r.seq >= from).unwrap().json();
    assert_eq!(
        sent["messages"],
        json!([{"role": "user", "content": [{"type": "text", "text": "hello obs"}]},
               {"role": "assistant", "content": "You said: hello obs"},
               {"role": "user", "content": "and again"}])
    );

    // Another key sees none of it.
    let other = |request: reqwest::RequestBuilder| request.bearer_auth("second-key").send();
    let response = other(t.client.get(format!("{}/v1/responses/{id}", t.base))).await.unwrap();
    let (status, body) = status_json(response).await;
    assert_eq!((status, body["error"]["code"].clone()), (404, json!("not_found")));
    let response = other(
        t.client
            .post(format!("{}/v1/responses", t.base))
            .json(&json!({"model": "gpt-4o", "input": "x", "previous_response_id": id})),
    )
    .await
    .unwrap();
    assert_eq!(status_json(response).await.0, 404);
    let response = other(t.client.delete(format!("{}/v1/responses/{id}", t.base))).await.unwrap();
    assert_eq!(response.status(), 404);

    let response = t.client.delete(format!("{}/v1/responses/{id}", t.base)).bearer_auth(KEY).send().await.unwrap();
    assert_eq!(status_json(response).await, (200, json!({"id": id, "object": "response", "deleted": true})));
    assert_eq!(status_json(t.get(&format!("/v1/responses/{id}")).await).await.0, 404);

    // store: false keeps nothing.
    let (_, unstored) =
        status_json(t.post("/v1/responses", &json!({"model": "gpt-4o", "input": "x", "store": false})).await).await;
    assert_eq!(unstored["store"], json!(false));
    assert_eq!(status_json(t.get(&format!("/v1/responses/{}", unstored["id"].as_str().unwrap())).await).await.0, 404);
}

#[tokio::test]
async fn input_items_are_paged_as_openai_pages_them() {
    let t = start(|_| {}).await;
    let say =
        |text: &str| json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]});
    let input = json!([say("one"), say("two"), say("three")]);
    let (status, answer) =
        status_json(t.post("/v1/responses", &json!({"model": "gpt-4o", "input": input})).await).await;
    assert_eq!(status, 200, "{answer}");
    let id = answer["id"].as_str().unwrap();
    let t = &t;
    let list = |query: &str| {
        let path = format!("/v1/responses/{id}/input_items{query}");
        async move { status_json(t.get(&path).await).await }
    };
    let (_, all) = list("?order=asc").await;
    let stored: Vec<Value> = all["data"].as_array().unwrap().clone();
    let ids: Vec<&str> = stored.iter().map(|item| item["id"].as_str().unwrap()).collect();
    let mut expected = input.as_array().unwrap().clone();
    for (item, id) in expected.iter_mut().zip(&ids) {
        item["id"] = json!(id);
    }
    assert_eq!(
        all,
        json!({"object": "list", "data": expected, "first_id": ids[0], "last_id": ids[2], "has_more": false})
    );

    // Newest first by default; `limit`, then `after` the last id seen.
    let (status, first) = list("?limit=2").await;
    assert_eq!(
        (status, first),
        (
            200,
            json!({"object": "list", "data": [stored[2], stored[1]], "first_id": ids[2], "last_id": ids[1], "has_more": true})
        )
    );
    let (_, next) = list(&format!("?limit=2&after={}", ids[1])).await;
    assert_eq!(
        next,
        json!({"object": "list", "data": [stored[0]], "first_id": ids[0], "last_id": ids[0], "has_more": false})
    );
    let (_, back) = list(&format!("?order=asc&limit=1&before={}", ids[2])).await;
    assert_eq!(
        back,
        json!({"object": "list", "data": [stored[1]], "first_id": ids[1], "last_id": ids[1], "has_more": true})
    );

    let (status, error) = list("?limit=101").await;
    assert_eq!(
        (status, error),
        (
            400,
            json!({"error": {"message": "Invalid 'limit': '101'. Expected an integer from 1 to 100.",
                               "type": "invalid_request_error", "param": "limit", "code": "invalid_value"}})
        )
    );
    let (status, error) = list("?after=msg_unknown").await;
    assert_eq!(
        (status, error["error"]["message"].clone(), error["error"]["param"].clone()),
        (400, json!("Invalid 'after': no input item 'msg_unknown' in this response."), json!("after"))
    );
}

#[tokio::test]
async fn a_streamed_response_is_stored_as_it_ended() {
    let t = start(|_| {}).await;
    let streamed = events(
        t.post("/v1/responses", &json!({"model": "amazon.nova-lite-v1:0", "input": "hello obs", "stream": true})).await,
    )
    .await;
    let last = streamed.last().unwrap().1["response"].clone();
    let id = last["id"].as_str().unwrap();
    // Stored in the background once the stream ended.
    for _ in 0..50 {
        let (status, got) = status_json(t.get(&format!("/v1/responses/{id}")).await).await;
        if status == 200 {
            assert_eq!(got, last);
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the streamed response was not stored");
}
