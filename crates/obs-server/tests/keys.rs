//! Managed keys over a real listener (docs/reference/keys.md): the admin routes' answers and errors, a key's life
//! (create → use → rotate → revoke) on the model routes, its model list, expiry, `rpm` with its headers,
//! `max_parallel`, and a revocation made on one replica reaching another that shares the store.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::{KEY, TestServer, chat, start, status_json};
use obs_service::config::Config;
use pretty_assertions::assert_eq;
use secrecy::SecretString;
use serde_json::{Value, json};

const ADMIN: &str = "test-admin-key";
const CLAUDE: &str = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";

fn managed(config: &mut Config) {
    config.server.admin_keys = vec![SecretString::from(ADMIN.to_owned())];
}

async fn admin(t: &TestServer, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut request = t.client.request(method, format!("{}{path}", t.base)).bearer_auth(ADMIN);
    if let Some(body) = body {
        request = request.json(&body);
    }
    status_json(request.send().await.unwrap()).await
}

async fn create(t: &TestServer, body: Value) -> (String, String) {
    let (status, key) = admin(t, reqwest::Method::POST, "/obs/keys", Some(body)).await;
    assert_eq!(status, 200, "{key}");
    (key["id"].as_str().unwrap().to_owned(), key["key"].as_str().unwrap().to_owned())
}

async fn chat_with(t: &TestServer, secret: &str, model: &str) -> reqwest::Response {
    t.client
        .post(format!("{}/v1/chat/completions", t.base))
        .bearer_auth(secret)
        .json(&chat(model))
        .send()
        .await
        .unwrap()
}

/// The key object with its times and generated parts replaced, to compare whole.
fn redacted(mut key: Value) -> Value {
    for field in ["created_at", "updated_at"] {
        assert!(key[field].as_i64().unwrap() > 1_700_000_000, "{field}");
        key[field] = json!(0);
    }
    assert!(key["id"].as_str().unwrap().starts_with("key_") && key["id"].as_str().unwrap().len() == 28, "{key}");
    key["id"] = json!("key_…");
    if let Some(secret) = key.get("key").and_then(Value::as_str) {
        assert!(secret.starts_with("obs-sk-") && secret.len() == 55, "{secret}");
        assert_eq!(key["key_hint"], json!(format!("…{}", &secret[51..])));
        key["key"] = json!("obs-sk-…");
    }
    key["key_hint"] = json!("…");
    if key["revoked_at"].is_i64() {
        key["revoked_at"] = json!(0);
    }
    key
}

#[tokio::test]
async fn a_key_is_created_listed_used_rotated_and_revoked() {
    let t = start(managed).await;
    let body = json!({
        "name": "ci-pipeline", "team": "platform", "models": ["gpt-4o", "claude-*"], "rpm": 600,
        "max_parallel": 8, "budget_usd": 25.5, "expires_at": 4_102_444_800_i64, "metadata": {"owner": "ana"}
    });
    let (status, created) = admin(&t, reqwest::Method::POST, "/obs/keys", Some(body)).await;
    assert_eq!(status, 200);
    let id = created["id"].as_str().unwrap().to_owned();
    let secret = created["key"].as_str().unwrap().to_owned();
    let expected = json!({
        "id": "key_…", "object": "gateway.key", "name": "ci-pipeline", "team": "platform",
        "models": ["gpt-4o", "claude-*"], "rpm": 600, "tpm": null, "max_parallel": 8, "budget_usd": 25.5,
        "budget_period": "month", "expires_at": 4_102_444_800_i64, "metadata": {"owner": "ana"}, "key_hint": "…",
        "status": "active", "created_at": 0, "updated_at": 0, "revoked_at": null, "key": "obs-sk-…"
    });
    assert_eq!(redacted(created), expected);

    // The secret is never shown again.
    let (status, one) = admin(&t, reqwest::Method::GET, &format!("/obs/keys/{id}"), None).await;
    assert_eq!(status, 200);
    let mut without_secret = expected.clone();
    without_secret.as_object_mut().unwrap().remove("key");
    assert_eq!(redacted(one), without_secret);
    let (status, list) = admin(&t, reqwest::Method::GET, "/obs/keys", None).await;
    assert_eq!((status, list["object"].clone(), list["data"].as_array().unwrap().len()), (200, json!("list"), 1));
    assert_eq!(redacted(list["data"][0].clone()), without_secret);

    // The key works at once, with its rate-limit headers.
    let answer = chat_with(&t, &secret, "gpt-4o").await;
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["x-ratelimit-limit-requests"], "600");
    assert_eq!(answer.headers()["x-ratelimit-remaining-requests"], "599");
    let reset = answer.headers()["x-ratelimit-reset-requests"].to_str().unwrap().to_owned();
    let seconds: u64 = reset.strip_suffix('s').unwrap().parse().unwrap();
    assert!((1..=60).contains(&seconds), "{reset}");

    // Rotation: the old secret stops, the new one works, the id stays.
    let (status, rotated) = admin(&t, reqwest::Method::POST, &format!("/obs/keys/{id}/rotate"), None).await;
    assert_eq!((status, rotated["id"].as_str()), (200, Some(id.as_str())));
    let new_secret = rotated["key"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    let (status, body) = status_json(chat_with(&t, &secret, "gpt-4o").await).await;
    assert_eq!((status, body["error"]["code"].clone()), (401, json!("invalid_api_key")));
    assert_eq!(chat_with(&t, &new_secret, "gpt-4o").await.status(), 200);

    // Revocation: 401 at once, the key is kept and says so.
    let (status, revoked) = admin(&t, reqwest::Method::DELETE, &format!("/obs/keys/{id}"), None).await;
    assert_eq!((status, revoked["status"].clone()), (200, json!("revoked")));
    assert!(revoked["revoked_at"].as_i64().unwrap() > 1_700_000_000);
    let (status, body) = status_json(chat_with(&t, &new_secret, "gpt-4o").await).await;
    assert_eq!(
        (status, body),
        (
            401,
            json!({"error": {"message": "This API key has been revoked.", "type": "invalid_request_error",
                "param": null, "code": "invalid_api_key"}})
        )
    );
    let (status, body) = admin(&t, reqwest::Method::POST, &format!("/obs/keys/{id}/rotate"), None).await;
    assert_eq!((status, body["error"]["param"].clone()), (400, json!("id")));
}

#[tokio::test]
async fn the_model_list_is_enforced_on_every_route_in_its_own_shape() {
    let t = start(managed).await;
    let (_, secret) = create(&t, json!({"name": "openai-only", "models": ["gpt-4o", "gpt-4o-*"]})).await;
    assert_eq!(chat_with(&t, &secret, "gpt-4o").await.status(), 200);
    assert_eq!(chat_with(&t, &secret, "gpt-4o-mini").await.status(), 200, "a prefix entry");
    let (status, body) = status_json(chat_with(&t, &secret, CLAUDE).await).await;
    assert_eq!(
        (status, body),
        (
            403,
            json!({"error": {"message": format!("This API key is not allowed to use the model '{CLAUDE}'."),
                "type": "permission_error", "param": "model", "code": "permission_denied"}})
        )
    );
    // Anthropic's shape on /v1/messages.
    let response = t
        .client
        .post(format!("{}/v1/messages", t.base))
        .header("x-api-key", &secret)
        .header("anthropic-version", "2023-06-01")
        .json(&json!({"model": CLAUDE, "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    let (status, body) = status_json(response).await;
    assert_eq!(
        (status, body["type"].clone(), body["error"]["type"].clone()),
        (403, json!("error"), json!("permission_error"))
    );
    // AWS's shape on the Bedrock runtime routes.
    let response = t
        .client
        .post(format!("{}/model/{}/converse", t.base, CLAUDE.replace(':', "%3A")))
        .bearer_auth(&secret)
        .json(&json!({"messages": [{"role": "user", "content": [{"text": "hi"}]}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(
        response.headers()["x-amzn-errortype"].to_str().unwrap().split(':').next(),
        Some("AccessDeniedException")
    );
    // Static keys are not limited by it.
    assert_eq!(t.post("/v1/chat/completions", &chat(CLAUDE)).await.status(), 200);
}

#[tokio::test]
async fn rpm_and_max_parallel_refuse_with_429_and_retry_after() {
    let t = start(managed).await;
    let (_, secret) = create(&t, json!({"name": "slow", "rpm": 2})).await;
    // Two in the minute, the third refused. The window is the clock minute: start early enough in one.
    let first = chat_with(&t, &secret, "gpt-4o").await;
    assert_eq!(first.status(), 200);
    let reset: u64 =
        first.headers()["x-ratelimit-reset-requests"].to_str().unwrap().trim_end_matches('s').parse().unwrap();
    let (_, secret) = if reset < 10 {
        tokio::time::sleep(Duration::from_secs(reset + 1)).await;
        create(&t, json!({"name": "slow-again", "rpm": 2})).await
    } else {
        (String::new(), secret)
    };
    if reset < 10 {
        assert_eq!(chat_with(&t, &secret, "gpt-4o").await.status(), 200);
    }
    let second = chat_with(&t, &secret, "gpt-4o").await;
    assert_eq!(
        (second.status().as_u16(), second.headers()["x-ratelimit-remaining-requests"].to_str().unwrap()),
        (200, "0")
    );
    let third = chat_with(&t, &secret, "gpt-4o").await;
    assert_eq!(third.status(), 429);
    let retry_after: u64 = third.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(third.headers()["x-ratelimit-remaining-requests"], "0");
    let (_, body) = status_json(third).await;
    assert_eq!(
        (body["error"]["code"].clone(), body["error"]["type"].clone()),
        (json!("rate_limit_exceeded"), json!("rate_limit_error"))
    );

    // max_parallel 1: a slow stream holds the slot; a second request is refused until it ends.
    let (id, secret) = create(&t, json!({"name": "one-at-a-time", "max_parallel": 1})).await;
    let mut stream_body = chat("gpt-4o-slow");
    stream_body["stream"] = json!(true);
    let holding = t
        .client
        .post(format!("{}/v1/chat/completions", t.base))
        .bearer_auth(&secret)
        .json(&stream_body)
        .send()
        .await
        .unwrap();
    assert_eq!(holding.status(), 200);
    let (status, body) = status_json(chat_with(&t, &secret, "gpt-4o").await).await;
    assert_eq!((status, body["error"]["code"].clone()), (429, json!("rate_limit_exceeded")), "{body}");
    drop(holding.text().await.unwrap());
    // The slot is freed when the stream ends (the log is dropped just after the last byte).
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let status = chat_with(&t, &secret, "gpt-4o").await.status();
        if status == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "the slot was never freed ({status})");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Raising the limit takes effect at once.
    let (status, _) =
        admin(&t, reqwest::Method::PATCH, &format!("/obs/keys/{id}"), Some(json!({"max_parallel": null}))).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn admin_routes_refuse_the_wrong_keys_and_bad_fields() {
    let t = start(managed).await;
    let send = |key: Option<&str>| {
        let mut request = t.client.get(format!("{}/obs/keys", t.base));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        request.send()
    };
    let (status, body) = status_json(send(None).await.unwrap()).await;
    assert_eq!((status, body["error"]["code"].clone()), (401, json!("invalid_api_key")));
    let (status, body) = status_json(send(Some("wrong")).await.unwrap()).await;
    assert_eq!((status, body["error"]["code"].clone()), (401, json!("invalid_api_key")));
    let (status, body) = status_json(send(Some(KEY)).await.unwrap()).await;
    assert_eq!(
        (status, body),
        (
            403,
            json!({"error": {"message": "This key cannot manage keys: send an admin key.", "type": "permission_error",
                "param": null, "code": "permission_denied"}})
        )
    );
    // The admin key does not call models.
    let (status, body) = status_json(chat_with(&t, ADMIN, "gpt-4o").await).await;
    assert_eq!((status, body["error"]["code"].clone()), (403, json!("permission_denied")));

    for (body, param) in [
        (json!({}), "name"),
        (json!({"name": ""}), "name"),
        (json!({"name": "x", "rpm": 0}), "rpm"),
        (json!({"name": "x", "rpm": "10"}), "rpm"),
        (json!({"name": "x", "max_parallel": 1.5}), "max_parallel"),
        (json!({"name": "x", "models": "gpt-4o"}), "models"),
        (json!({"name": "x", "models": [""]}), "models"),
        (json!({"name": "x", "budget_usd": -1}), "budget_usd"),
        (json!({"name": "x", "budget_period": "month"}), "budget_period"),
        (json!({"name": "x", "budget_usd": 1, "budget_period": "year"}), "budget_period"),
        (json!({"name": "x", "expires_at": 1}), "expires_at"),
        (json!({"name": "x", "metadata": [1]}), "metadata"),
        (json!({"name": "x", "colour": "blue"}), "colour"),
    ] {
        let (status, answer) = admin(&t, reqwest::Method::POST, "/obs/keys", Some(body.clone())).await;
        assert_eq!(
            (status, answer["error"]["code"].clone(), answer["error"]["param"].clone()),
            (400, json!("invalid_value"), json!(param)),
            "{body}"
        );
    }
    let response = t.client.post(format!("{}/obs/keys", t.base)).bearer_auth(ADMIN).body("{").send().await.unwrap();
    assert_eq!(status_json(response).await.1["error"]["code"], json!("invalid_json"));
    let (status, body) = admin(&t, reqwest::Method::GET, "/obs/keys/key_nope", None).await;
    assert_eq!(
        (status, body["error"]["code"].clone(), body["error"]["param"].clone()),
        (404, json!("not_found"), json!("id"))
    );
    let (status, body) = admin(&t, reqwest::Method::PUT, "/obs/keys", None).await;
    assert_eq!((status, body["error"]["code"].clone()), (405, json!("method_not_allowed")));
    assert!(t.mock().recorder().requests().is_empty(), "nothing reached an upstream");
}

#[tokio::test]
async fn without_admin_keys_the_routes_are_off() {
    let t = start(|_| {}).await;
    let (status, body) = status_json(t.get("/obs/keys").await).await;
    assert_eq!((status, body["error"]["code"].clone()), (404, json!("not_found")));
}

#[tokio::test]
async fn an_expired_key_is_refused() {
    let t = start(managed).await;
    let soon = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 2;
    let (_, secret) = create(&t, json!({"name": "brief", "expires_at": soon})).await;
    assert_eq!(chat_with(&t, &secret, "gpt-4o").await.status(), 200);
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let (status, body) = status_json(chat_with(&t, &secret, "gpt-4o").await).await;
    assert_eq!((status, body["error"]["message"].clone()), (401, json!("This API key has expired.")));
}

#[tokio::test]
async fn a_revocation_on_one_replica_reaches_another_within_the_refresh_bound() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("keys.db").display());
    let shared = |config: &mut Config| {
        managed(config);
        config.keys.store_url = Some(url.clone());
        config.keys.refresh_seconds = 1;
    };
    let a = start(shared).await;
    let b = start(shared).await;
    let (id, secret) = create(&a, json!({"name": "shared"})).await;
    // The new key reaches b within the bound.
    let deadline = Instant::now() + Duration::from_secs(5);
    while chat_with(&b, &secret, "gpt-4o").await.status() != 200 {
        assert!(Instant::now() < deadline, "b never saw the new key");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, _) = admin(&a, reqwest::Method::DELETE, &format!("/obs/keys/{id}"), None).await;
    assert_eq!(status, 200);
    let revoked = Instant::now();
    assert_eq!(chat_with(&a, &secret, "gpt-4o").await.status(), 401, "at once on the replica that revoked");
    while chat_with(&b, &secret, "gpt-4o").await.status() != 401 {
        assert!(revoked.elapsed() < Duration::from_secs(5), "b still accepts a revoked key");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Within refresh_seconds plus one poll's slack.
    // Within the documented bound (refresh_seconds), with slack for a loaded machine.
    assert!(revoked.elapsed() < Duration::from_secs(3), "took {:?}", revoked.elapsed());
}

#[tokio::test]
async fn the_openapi_document_describes_the_admin_routes() {
    let t = start(|_| {}).await;
    let document: Value = t.client.get(format!("{}/openapi.json", t.base)).send().await.unwrap().json().await.unwrap();
    let methods =
        |path: &str| -> Vec<String> { document["paths"][path].as_object().unwrap().keys().cloned().collect() };
    assert_eq!(methods("/obs/keys"), ["post", "get"]);
    assert_eq!(methods("/obs/keys/{id}"), ["get", "patch", "delete"]);
    assert_eq!(methods("/obs/keys/{id}/rotate"), ["post"]);
    assert_eq!(
        document["paths"]["/obs/keys"]["post"]["requestBody"]["content"]["application/json"]["schema"]["required"],
        json!(["name"])
    );
    assert_eq!(document["components"]["schemas"]["GatewayKey"]["properties"]["object"]["const"], "gateway.key");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tpm_reserves_the_estimate_then_counts_what_the_answer_used() {
    // One clock minute for the whole test.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    if now % 60 > 40 {
        tokio::time::sleep(Duration::from_secs(61 - now % 60)).await;
    }
    let t = start(managed).await;
    let (_, secret) = create(&t, json!({"name": "tokens", "tpm": 5000})).await;
    let ask = |max_tokens: u64, model: &str, stream: bool| {
        let mut body = chat(model);
        body["max_tokens"] = json!(max_tokens);
        if stream {
            body["stream"] = json!(true);
        }
        t.client.post(format!("{}/v1/chat/completions", t.base)).bearer_auth(&secret).json(&body).send()
    };
    // Alone, more than the limit: refused however empty the minute is.
    let (status, body) = status_json(ask(6000, "gpt-4o", false).await.unwrap()).await;
    assert_eq!((status, body["error"]["code"].clone()), (429, json!("rate_limit_exceeded")));
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Request too large for the 5000 tokens per minute of this key")
    );

    // Each whole answer reserves ~1,000 and is then counted at what it used (a few dozen): many fit in a minute.
    for i in 0..8 {
        let response = ask(1000, "gpt-4o", false).await.unwrap();
        assert_eq!(response.status(), 200, "request {i}: the reservations were given back");
        assert_eq!(response.headers()["x-ratelimit-limit-tokens"], "5000");
        let remaining: i64 = response.headers()["x-ratelimit-remaining-tokens"].to_str().unwrap().parse().unwrap();
        assert!((0..4000).contains(&remaining), "{remaining}");
    }
    // Reservations in flight count: six at once reserve ~1,025 each before any is settled; at most four fit.
    let responses = futures::future::join_all((0..6).map(|_| ask(1000, "gpt-4o-slow", true))).await;
    let statuses: Vec<u16> = responses.iter().map(|r| r.as_ref().unwrap().status().as_u16()).collect();
    let held = statuses.iter().filter(|s| **s == 200).count();
    assert_eq!(held + statuses.iter().filter(|s| **s == 429).count(), 6, "{statuses:?}");
    assert!((1..=4).contains(&held), "{statuses:?}");
    let (_, error) = status_json(ask(1000, "gpt-4o", false).await.unwrap()).await;
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Rate limit reached for this key: 5000 tokens per minute."),
        "{error}"
    );
}
