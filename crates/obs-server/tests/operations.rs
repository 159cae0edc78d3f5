//! Operations (docs/reference/routes.md §12, §1): CORS off by default and configurable, the concurrency limit, metrics
//! on a separate address, OpenAPI and the Swagger UI served from the binary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::{chat, start, status_json};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

#[tokio::test]
async fn cors_is_off_by_default() {
    let t = start(|_| {}).await;
    let response =
        t.client.get(format!("{}/health", t.base)).header("origin", "https://app.example.com").send().await.unwrap();
    assert!(response.headers().get("access-control-allow-origin").is_none());
    let preflight =
        t.client.request(reqwest::Method::OPTIONS, format!("{}/v1/chat/completions", t.base)).send().await.unwrap();
    assert_eq!(preflight.status(), 405);
}

#[tokio::test]
async fn configured_origins_get_cors_headers() {
    let t = start(|c| c.server.cors_origins = vec!["https://app.example.com".into()]).await;
    let preflight = t
        .client
        .request(reqwest::Method::OPTIONS, format!("{}/v1/chat/completions", t.base))
        .header("origin", "https://app.example.com")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 204);
    let headers = preflight.headers();
    assert_eq!(headers["access-control-allow-origin"], "https://app.example.com");
    assert_eq!(headers["access-control-allow-methods"], "GET, POST, OPTIONS");
    assert_eq!(
        headers["access-control-allow-headers"],
        "authorization, content-type, x-api-key, x-request-id, anthropic-version, anthropic-beta",
        "browser clients of the Messages route send Anthropic's headers"
    );
    assert!(headers.get("access-control-allow-credentials").is_none());
    let answer =
        t.client.get(format!("{}/health", t.base)).header("origin", "https://app.example.com").send().await.unwrap();
    assert_eq!(answer.headers()["access-control-allow-origin"], "https://app.example.com");
    assert_eq!(
        answer.headers()["access-control-expose-headers"],
        "x-request-id, retry-after, x-obs-target, x-obs-retries",
        "browsers may read who served and how often obs retried"
    );
    let other =
        t.client.get(format!("{}/health", t.base)).header("origin", "https://evil.example").send().await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn over_the_concurrency_limit_is_503_with_retry_after() {
    let t = start(|c| c.server.max_concurrent_requests = 1).await;
    let mut slow = chat("anthropic.claude-slow");
    slow["stream"] = json!(true);
    let mut first = t.post("/v1/chat/completions", &slow).await;
    assert_eq!(first.status(), 200);
    let _ = first.chunk().await.unwrap();
    let second = t.post("/v1/chat/completions", &chat("gpt-4o")).await;
    assert_eq!(second.headers()["retry-after"], "1");
    let (status, body) = status_json(second).await;
    assert_eq!((status, body["error"]["code"].clone()), (503, json!("service_unavailable")));
    while first.chunk().await.unwrap().is_some() {}
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(t.post("/v1/chat/completions", &chat("gpt-4o")).await.status(), 200, "the permit is released");
}

#[tokio::test]
async fn metrics_on_their_own_address() {
    let t = start(|c| c.server.metrics_addr = Some("127.0.0.1:0".into())).await;
    assert_eq!(t.get("/metrics").await.status(), 404);
    t.post("/v1/chat/completions", &chat("gpt-4o")).await;
    t.post("/v1/chat/completions", &chat("gpt-throttle")).await;
    let metrics_addr = t.server.metrics_addr().unwrap();
    let text = reqwest::get(format!("http://{metrics_addr}/metrics")).await.unwrap().text().await.unwrap();
    for name in [
        "obs_requests_total",
        "obs_upstream_latency_seconds",
        "obs_gateway_overhead_seconds",
        "obs_active_streams",
        "obs_upstream_errors",
    ] {
        assert!(text.contains(name), "{name} missing: {text}");
    }
    assert!(
        text.contains("obs_requests_total{route=\"chat_completions\",status=\"200\",provider=\"openai\"} 1"),
        "{text}"
    );
    assert!(text.contains("obs_upstream_errors_total{code=\"rate_limit_exceeded\"} 1"), "{text}");
    // Nothing else is behind the metrics address: no health, no models, no chat, no documents.
    let scraper = reqwest::Client::new();
    for (method, path) in
        [("GET", "/health"), ("GET", "/v1/models"), ("POST", "/v1/chat/completions"), ("GET", "/docs/")]
    {
        let url = format!("http://{metrics_addr}{path}");
        let request = scraper.request(method.parse().unwrap(), url).body(chat("gpt-4o").to_string());
        let (status, body) = status_json(request.send().await.unwrap()).await;
        assert_eq!((status, body["error"]["code"].clone()), (404, json!("not_found")), "{method} {path}: {body}");
    }
    let wrong_method = scraper.post(format!("http://{metrics_addr}/metrics")).send().await.unwrap();
    assert_eq!((wrong_method.status().as_u16(), wrong_method.headers()["allow"].to_str().unwrap()), (405, "GET"));
}

#[tokio::test]
async fn openapi_and_swagger_ui_are_served_without_auth() {
    let t = start(|_| {}).await;
    let (status, document) = status_json(t.client.get(format!("{}/openapi.json", t.base)).send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(document["openapi"], "3.1.0");
    let paths: Vec<&String> = document["paths"].as_object().unwrap().keys().collect();
    assert_eq!(
        paths,
        [
            "/v1/chat/completions",
            "/v1/models/{model}",
            "/v1/models",
            "/obs/targets",
            "/health",
            "/v1/chat/completions/health",
            "/metrics",
            "/v1/messages",
            "/v1/messages/count_tokens",
            "/v1/responses",
            "/v1/responses/{id}",
            "/v1/responses/{id}/input_items",
            "/v1/embeddings",
            "/model/{modelId}/converse",
            "/model/{modelId}/converse-stream",
            "/model/{modelId}/invoke",
            "/model/{modelId}/invoke-with-response-stream",
            "/model/{modelId}/count-tokens",
            "/foundation-models",
            "/inference-profiles",
            "/obs/keys",
            "/obs/keys/{id}",
            "/obs/keys/{id}/rotate"
        ]
    );
    assert_eq!(
        document["paths"]["/v1/chat/completions"]["post"]["responses"]["429"]["content"]["application/json"]["schema"],
        json!({"$ref":"#/components/schemas/Error"})
    );
    let redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/docs", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!((redirect.status().as_u16(), redirect.headers()["location"].to_str().unwrap()), (301, "/docs/"));
    let page = t.client.get(format!("{}/docs/", t.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Swagger UI"));
    let init =
        t.client.get(format!("{}/docs/swagger-initializer.js", t.base)).send().await.unwrap().text().await.unwrap();
    assert!(init.contains("/openapi.json"), "{init}");
    let bundle = t.client.get(format!("{}/docs/swagger-ui-bundle.js", t.base)).send().await.unwrap();
    assert_eq!(bundle.status(), 200);
    assert!(bundle.bytes().await.unwrap().len() > 100_000, "assets come from the binary");
    let (status, body) = status_json(t.client.get(format!("{}/docs/missing.js", t.base)).send().await.unwrap()).await;
    assert_eq!((status, body["error"]["code"].clone()), (404, Value::from("not_found")));
}

#[tokio::test]
async fn retries_obs_made_are_named_in_x_obs_retries() {
    let t = start(|c| {
        c.retries.max_retries = 2;
        c.retries.initial_backoff_ms = 5;
        // The emulator asks for `retry-after: 1`; a backoff cap below it would give up at once.
        c.retries.max_backoff_ms = 1_000;
    })
    .await;
    // Throttled every time: two retries, then the 429 itself says so.
    let throttled = t.post("/v1/chat/completions", &chat("gpt-4o-throttle")).await;
    assert_eq!(throttled.status(), 429);
    assert_eq!(throttled.headers()["x-obs-retries"], "2");
    // Fails once (503), then answers: one retry, named on the answer and on a stream.
    let flaky = t.post("/v1/chat/completions", &chat("gpt-4o-flaky-whole")).await;
    assert_eq!((flaky.status().as_u16(), flaky.headers()["x-obs-retries"].to_str().unwrap()), (200, "1"));
    let mut body = chat("gpt-4o-flaky-stream");
    body["stream"] = json!(true);
    let streamed = t.post("/v1/chat/completions", &body).await;
    assert_eq!((streamed.status().as_u16(), streamed.headers()["x-obs-retries"].to_str().unwrap()), (200, "1"));
    // No retry, no header.
    let plain = t.post("/v1/chat/completions", &chat("gpt-4o")).await;
    assert_eq!(plain.status(), 200);
    assert!(plain.headers().get("x-obs-retries").is_none());
}
