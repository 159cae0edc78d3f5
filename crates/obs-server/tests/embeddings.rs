//! `POST /v1/embeddings` over a real listener against the emulator (docs/reference/embeddings.md): the body each
//! upstream received, the answer compared whole with the emulator's own vectors, batching, base64 and the errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{TestServer, start, status_json};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

/// Asks the emulator directly (as obs would, signed with a dummy SigV4 header for Bedrock).
async fn upstream(t: &TestServer, path: &str, body: &Value) -> Value {
    let request = t.client.post(format!("{}{path}", t.mock().base_url())).json(body);
    let request = if path.starts_with("/model/") {
        request
            .header("authorization", "AWS4-HMAC-SHA256 Credential=AKIDOBSDEMO/20260101/us-east-1/bedrock/aws4_request")
    } else {
        request.bearer_auth("demo-openai-key")
    };
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// The bodies of the emulator's requests since `from`, with their paths.
fn received(t: &TestServer, from: u64) -> Vec<(String, Value)> {
    t.mock().recorder().requests().into_iter().filter(|r| r.seq >= from).map(|r| (r.path.clone(), r.json())).collect()
}

#[tokio::test]
async fn openai_models_get_the_clients_request_and_their_answer_as_it_came() {
    let t = start(|_| {}).await;
    let body = json!({"model": "text-embedding-3-small", "input": ["hello obs", "b"], "dimensions": 8, "input_type": "search_query", "user": "u1"});
    let from = t.mock().recorder().count();
    let response = t.post("/v1/embeddings", &body).await;
    assert_eq!(response.headers()["x-obs-target"], "openai/text-embedding-3-small");
    let (status, answer) = status_json(response).await;
    assert_eq!(status, 200, "{answer}");
    // obs's Bedrock-only field is not sent to OpenAI; everything else is, in the client's order.
    let sent = json!({"model": "text-embedding-3-small", "input": ["hello obs", "b"], "dimensions": 8, "user": "u1"});
    assert_eq!(received(&t, from), vec![("/v1/embeddings".to_owned(), sent.clone())]);
    assert_eq!(answer, upstream(&t, "/v1/embeddings", &sent).await);
    assert_eq!(answer["data"][1]["embedding"].as_array().unwrap().len(), 8);

    let tokens = json!({"model": "text-embedding-3-small", "input": [[1, 2, 3]], "encoding_format": "base64"});
    let (status, answer) = status_json(t.post("/v1/embeddings", &tokens).await).await;
    assert_eq!((status, answer.clone()), (200, upstream(&t, "/v1/embeddings", &tokens).await));
    assert!(answer["data"][0]["embedding"].is_string());
}

#[tokio::test]
async fn titan_gets_one_call_per_text_and_the_answer_sums_their_tokens() {
    let t = start(|_| {}).await;
    let from = t.mock().recorder().count();
    let body = json!({"model": "amazon.titan-embed-text-v2:0", "input": ["hello obs world", "second", "third one"], "dimensions": 256});
    let (status, answer) = status_json(t.post("/v1/embeddings", &body).await).await;
    assert_eq!(status, 200, "{answer}");
    let mut calls = received(&t, from);
    calls.sort_by_key(|(_, body)| body["inputText"].as_str().unwrap().to_owned());
    let path = "/model/amazon.titan-embed-text-v2%3A0/invoke".to_owned();
    let titan = |text: &str| json!({"inputText": text, "dimensions": 256, "normalize": true});
    assert_eq!(
        calls,
        vec![
            (path.clone(), titan("hello obs world")),
            (path.clone(), titan("second")),
            (path.clone(), titan("third one"))
        ]
    );
    let mut data = Vec::new();
    let mut tokens = 0;
    for (index, text) in ["hello obs world", "second", "third one"].into_iter().enumerate() {
        let native = upstream(&t, &path, &titan(text)).await;
        tokens += native["inputTextTokenCount"].as_u64().unwrap();
        data.push(json!({"object": "embedding", "index": index, "embedding": native["embedding"]}));
    }
    assert_eq!(tokens, 6);
    assert_eq!(
        answer,
        json!({"object": "list", "data": data, "model": "amazon.titan-embed-text-v2:0", "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})
    );

    // base64: the same vectors' little-endian f32 bytes.
    let (status, encoded) = status_json(
        t.post("/v1/embeddings", &json!({"model": "amazon.titan-embed-text-v2:0", "input": "second", "dimensions": 256, "encoding_format": "base64"}))
            .await,
    )
    .await;
    assert_eq!(status, 200);
    let expected: Vec<f32> = serde_json::from_value(answer["data"][1]["embedding"].clone()).unwrap();
    // The encoding itself is checked against a fixed string in obs-convert's unit test.
    assert_eq!(encoded["data"][0]["embedding"], json!(obs_convert::embeddings::base64(&expected)));
}

#[tokio::test]
async fn cohere_gets_batches_of_96_in_order() {
    let t = start(|_| {}).await;
    let texts: Vec<String> = (0..200).map(|i| format!("text number {i}")).collect();
    let from = t.mock().recorder().count();
    let body =
        json!({"model": "cohere.embed-english-v3", "input": texts, "input_type": "search_query", "truncate": "END"});
    let (status, answer) = status_json(t.post("/v1/embeddings", &body).await).await;
    assert_eq!(status, 200, "{answer}");
    let calls = received(&t, from);
    let batch = |range: std::ops::Range<usize>| json!({"texts": texts[range].to_vec(), "input_type": "search_query", "embedding_types": ["float"], "truncate": "END"});
    let path = "/model/cohere.embed-english-v3/invoke".to_owned();
    let mut sizes: Vec<usize> = calls.iter().map(|(_, b)| b["texts"].as_array().unwrap().len()).collect();
    sizes.sort_unstable();
    assert_eq!(sizes, [8, 96, 96]);
    for range in [0..96, 96..192, 192..200] {
        assert!(calls.contains(&(path.clone(), batch(range.clone()))), "batch {range:?} not sent as expected");
    }
    let data = answer["data"].as_array().unwrap();
    assert_eq!(data.len(), 200);
    let last = upstream(&t, &path, &batch(192..200)).await;
    assert_eq!(data[199], json!({"object": "embedding", "index": 199, "embedding": last["embeddings"]["float"][7]}));
    assert_eq!(answer["usage"], json!({"prompt_tokens": 600, "total_tokens": 600}));
    assert_eq!(data[0]["embedding"].as_array().unwrap().len(), 1024);

    // Embed v4 takes `dimensions` as its output_dimension; the input type defaults to search_document.
    let from = t.mock().recorder().count();
    let (status, answer) = status_json(
        t.post("/v1/embeddings", &json!({"model": "cohere.embed-v4:0", "input": "x", "dimensions": 512})).await,
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        received(&t, from)[0].1,
        json!({"texts": ["x"], "input_type": "search_document", "embedding_types": ["float"], "output_dimension": 512})
    );
    assert_eq!(answer["data"][0]["embedding"].as_array().unwrap().len(), 512);
}

#[tokio::test]
async fn models_of_the_wrong_kind_and_bad_fields_are_400s_naming_the_field() {
    let t = start(|_| {}).await;
    let error = |code: &str, param: &str| json!({"type": "invalid_request_error", "param": param, "code": code});
    let cases = [
        ("/v1/embeddings", json!({"model": "gpt-4o", "input": "x"}), error("invalid_value", "model")),
        (
            "/v1/embeddings",
            json!({"model": "anthropic.claude-3-haiku-20240307-v1:0", "input": "x"}),
            error("invalid_value", "model"),
        ),
        (
            "/v1/embeddings",
            json!({"model": "amazon.titan-embed-text-v2:0", "input": "x", "dimensions": 300}),
            error("invalid_value", "dimensions"),
        ),
        (
            "/v1/embeddings",
            json!({"model": "amazon.titan-embed-text-v2:0", "input": [[1, 2]]}),
            error("invalid_value", "input"),
        ),
        (
            "/v1/embeddings",
            json!({"model": "cohere.embed-english-v3", "input": "x", "input_type": "poems"}),
            error("invalid_value", "input_type"),
        ),
        (
            "/v1/embeddings",
            json!({"model": "cohere.embed-english-v3", "input": "x", "dimensions": 256}),
            error("unsupported_parameter", "dimensions"),
        ),
        ("/v1/embeddings", json!({"model": "text-embedding-3-small", "input": {}}), error("invalid_value", "input")),
        ("/v1/embeddings", json!({"model": "text-embedding-3-small", "input": []}), error("invalid_value", "input")),
        (
            "/v1/embeddings",
            json!({"model": "text-embedding-3-small", "input": "x", "encoding_format": "hex"}),
            error("invalid_value", "encoding_format"),
        ),
        ("/v1/embeddings", json!({"input": "x"}), error("missing_model", "model")),
        (
            "/v1/chat/completions",
            json!({"model": "cohere.embed-english-v3", "messages": [{"role": "user", "content": "hi"}]}),
            error("invalid_value", "model"),
        ),
        (
            "/v1/chat/completions",
            json!({"model": "text-embedding-3-small", "messages": [{"role": "user", "content": "hi"}]}),
            error("invalid_value", "model"),
        ),
    ];
    let sent_before = t.mock().recorder().count();
    for (path, body, expected) in cases {
        let (status, answer) = status_json(t.post(path, &body).await).await;
        let mut shape = answer["error"].clone();
        assert!(shape["message"].as_str().is_some_and(|m| !m.is_empty()), "{answer}");
        shape.as_object_mut().unwrap().remove("message");
        assert_eq!((status, shape), (400, expected), "{body}");
    }
    assert_eq!(t.mock().recorder().count(), sent_before, "no refused request reaches an upstream");
    let anonymous = t
        .client
        .post(format!("{}/v1/embeddings", t.base))
        .json(&json!({"model": "m", "input": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let (status, _) = status_json(t.get("/v1/embeddings").await).await;
    assert_eq!(status, 405);
}

#[tokio::test]
async fn the_model_list_has_the_embedding_models() {
    let t = start(|_| {}).await;
    let (status, list) = status_json(t.get("/v1/models").await).await;
    assert_eq!(status, 200);
    let ids: Vec<&str> = list["data"].as_array().unwrap().iter().filter_map(|m| m["id"].as_str()).collect();
    for id in ["text-embedding-3-small", "amazon.titan-embed-text-v2:0", "cohere.embed-english-v3", "gpt-4o"] {
        assert!(ids.contains(&id), "{id} not in {ids:?}");
    }
    assert!(!ids.contains(&"stability.sd3-5-large-v1:0"));
}

#[tokio::test]
async fn a_group_of_embedding_models_embeds_and_refuses_chat() {
    let t = start(|config| {
        let group = json!({"targets": ["bedrock/amazon.titan-embed-text-v2:0", "openai/text-embedding-3-small"]});
        config.models.groups.insert("vectors".to_owned(), serde_json::from_value(group).unwrap());
    })
    .await;
    let from = t.mock().recorder().count();
    let body = json!({"model": "vectors", "input": "hello obs", "dimensions": 256});
    let response = t.post("/v1/embeddings", &body).await;
    assert_eq!(response.headers()["x-obs-target"], "bedrock/amazon.titan-embed-text-v2:0");
    let (status, answer) = status_json(response).await;
    assert_eq!(status, 200, "{answer}");
    let path = "/model/amazon.titan-embed-text-v2%3A0/invoke".to_owned();
    let titan = json!({"inputText": "hello obs", "dimensions": 256, "normalize": true});
    assert_eq!(received(&t, from), vec![(path.clone(), titan.clone())]);
    let native = upstream(&t, &path, &titan).await;
    let tokens = native["inputTextTokenCount"].clone();
    assert_eq!(
        answer,
        json!({"object": "list", "data": [{"object": "embedding", "index": 0, "embedding": native["embedding"]}],
               "model": "vectors", "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})
    );

    let from = t.mock().recorder().count();
    let chat = json!({"model": "vectors", "messages": [{"role": "user", "content": "hi"}]});
    assert_eq!(
        status_json(t.post("/v1/chat/completions", &chat).await).await,
        (
            400,
            json!({"error": {"message": "'vectors' is a group of embedding models: use /v1/embeddings.",
                             "type": "invalid_request_error", "param": "model", "code": "invalid_value"}})
        )
    );
    assert_eq!(t.mock().recorder().count(), from, "nothing was sent");
}
