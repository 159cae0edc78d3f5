//! Two obs replicas sharing a key store (PostgreSQL when `OBS_TEST_POSTGRES_URL` names one, else one SQLite file)
//! and rate-limit counters in a real Redis (started here): a key's `rpm` and `max_parallel` hold across both,
//! concurrent requests never exceed them, a revocation on one is seen by the other, and with Redis stopped each
//! replica applies its configured policy (open: served uncounted, closed: 503) and counts resume once it is back.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::{TestServer, chat, start, status_json};
use obs_limits::test_redis::TestRedis;
use obs_service::config::{Config, RedisFailure};
use pretty_assertions::assert_eq;
use secrecy::SecretString;
use serde_json::{Value, json};

const ADMIN: &str = "replica-admin-key";

struct Pair {
    a: TestServer,
    b: TestServer,
    _dir: tempfile::TempDir,
}

async fn pair(redis: &TestRedis, b_failure: RedisFailure) -> Pair {
    let dir = tempfile::tempdir().unwrap();
    let store = std::env::var("OBS_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("keys.db").display()));
    let configure = |failure: RedisFailure| {
        let store = store.clone();
        let redis = redis.url();
        move |config: &mut Config| {
            config.server.admin_keys = vec![SecretString::from(ADMIN.to_owned())];
            config.keys.store_url = Some(store);
            config.keys.refresh_seconds = 1;
            config.keys.redis_url = Some(SecretString::from(redis));
            config.keys.redis_failure = failure;
        }
    };
    let a = start(configure(RedisFailure::Open)).await;
    let b = start(configure(b_failure)).await;
    Pair { a, b, _dir: dir }
}

async fn create(t: &TestServer, body: Value) -> (String, String) {
    let response = t.client.post(format!("{}/obs/keys", t.base)).bearer_auth(ADMIN).json(&body).send().await.unwrap();
    let (status, key) = status_json(response).await;
    assert_eq!(status, 200, "{key}");
    (key["id"].as_str().unwrap().to_owned(), key["key"].as_str().unwrap().to_owned())
}

async fn ask(t: &TestServer, secret: &str) -> reqwest::Response {
    t.client
        .post(format!("{}/v1/chat/completions", t.base))
        .bearer_auth(secret)
        .json(&chat("gpt-4o"))
        .send()
        .await
        .unwrap()
}

/// Waits until `t` knows the key (its store refresh), by calling with it.
async fn known_to(t: &TestServer, secret: &str) -> reqwest::Response {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let response = ask(t, secret).await;
        if response.status() != 401 {
            return response;
        }
        assert!(Instant::now() < deadline, "the other replica never saw the key");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Sleeps into the next minute when fewer than 15 s are left of this one, so a burst stays in one window.
async fn early_in_a_minute() {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    if now % 60 > 45 {
        tokio::time::sleep(Duration::from_secs(61 - now % 60)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rpm_holds_across_two_replicas_and_concurrent_requests() {
    let Some(redis) = TestRedis::start() else { return };
    let p = pair(&redis, RedisFailure::Open).await;
    early_in_a_minute().await;
    let (_, secret) = create(&p.a, json!({"name": "shared-rpm", "rpm": 10})).await;
    let first = known_to(&p.b, &secret).await;
    assert_eq!(first.status(), 200);
    // 30 more at once, spread over both replicas: exactly 9 more are served.
    let tasks: Vec<_> = (0..30)
        .map(|i| {
            let (client, base, secret) = if i % 2 == 0 {
                (p.a.client.clone(), p.a.base.clone(), secret.clone())
            } else {
                (p.b.client.clone(), p.b.base.clone(), secret.clone())
            };
            tokio::spawn(async move {
                let response = client
                    .post(format!("{base}/v1/chat/completions"))
                    .bearer_auth(secret)
                    .json(&chat("gpt-4o"))
                    .send()
                    .await
                    .unwrap();
                let retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
                (response.status().as_u16(), retry_after)
            })
        })
        .collect();
    let mut served = 0;
    let mut refused = 0;
    for task in tasks {
        match task.await.unwrap() {
            (200, None) => served += 1,
            (429, Some(retry_after)) => {
                assert!((1..=60).contains(&retry_after.parse::<u64>().unwrap()));
                refused += 1;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((served, refused), (9, 21), "10 per minute across both replicas");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_parallel_and_revocation_across_replicas() {
    let Some(redis) = TestRedis::start() else { return };
    let p = pair(&redis, RedisFailure::Open).await;
    let (id, secret) = create(&p.a, json!({"name": "one-at-a-time", "max_parallel": 1})).await;
    assert_eq!(known_to(&p.b, &secret).await.status(), 200);
    // A slow stream on a holds the key's only slot; b refuses a second request until it ends.
    let mut body = chat("gpt-4o-slow");
    body["stream"] = json!(true);
    // (The slot of the request that just ended is released in the background, a moment after its answer.)
    let deadline = Instant::now() + Duration::from_secs(5);
    let holding = loop {
        let response =
            p.a.client
                .post(format!("{}/v1/chat/completions", p.a.base))
                .bearer_auth(&secret)
                .json(&body)
                .send()
                .await
                .unwrap();
        if response.status() == 200 {
            break response;
        }
        assert_eq!(response.status(), 429);
        assert!(Instant::now() < deadline, "the first request's slot was never released");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let (status, answer) = status_json(ask(&p.b, &secret).await).await;
    assert_eq!((status, answer["error"]["code"].clone()), (429, json!("rate_limit_exceeded")), "{answer}");
    drop(holding.text().await.unwrap());
    let deadline = Instant::now() + Duration::from_secs(5);
    while ask(&p.b, &secret).await.status() != 200 {
        assert!(Instant::now() < deadline, "the slot was never released");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Revoked on a: refused by b within its refresh bound.
    let response = p.a.client.delete(format!("{}/obs/keys/{id}", p.a.base)).bearer_auth(ADMIN).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let revoked = Instant::now();
    while ask(&p.b, &secret).await.status() != 401 {
        assert!(revoked.elapsed() < Duration::from_secs(5), "b still serves a revoked key");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_stopped_open_serves_and_closed_refuses_until_it_is_back() {
    let Some(mut redis) = TestRedis::start() else { return };
    // a fails open, b fails closed.
    let p = pair(&redis, RedisFailure::Closed).await;
    let (_, secret) = create(&p.a, json!({"name": "outage", "rpm": 1000})).await;
    assert_eq!(known_to(&p.b, &secret).await.status(), 200);
    assert_eq!(ask(&p.a, &secret).await.status(), 200);

    redis.stop();
    let open = ask(&p.a, &secret).await;
    assert_eq!(open.status(), 200, "fail open: served");
    assert!(open.headers().get("x-ratelimit-remaining-requests").is_none(), "uncounted: no window to report");
    let closed = ask(&p.b, &secret).await;
    assert_eq!(closed.status(), 503);
    assert_eq!(closed.headers()["retry-after"], "1");
    let (_, body) = status_json(closed).await;
    assert_eq!(
        body,
        json!({"error": {"message": "Rate limits cannot be checked right now; retry shortly.",
            "type": "api_error", "param": null, "code": "service_unavailable"}})
    );
    // Counted in the metrics, by policy.
    let metrics = p.a.client.get(format!("{}/metrics", p.a.base)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.lines().any(|l| l.starts_with("obs_shared_limit_failures_total{policy=\"open\"} ")), "{metrics}");
    // A static key is never limited by Redis.
    assert_eq!(p.b.post("/v1/chat/completions", &chat("gpt-4o")).await.status(), 200);

    redis.restart();
    let deadline = Instant::now() + Duration::from_secs(10);
    while ask(&p.b, &secret).await.status() != 200 {
        assert!(Instant::now() < deadline, "b never counted again after Redis came back");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let counted = ask(&p.a, &secret).await;
    assert_eq!(counted.headers()["x-ratelimit-limit-requests"], "1000", "counted again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tpm_reservations_are_shared_by_both_replicas() {
    let Some(redis) = TestRedis::start() else { return };
    let p = pair(&redis, RedisFailure::Open).await;
    early_in_a_minute().await;
    let (_, secret) = create(&p.a, json!({"name": "shared-tpm", "tpm": 10000})).await;
    assert_eq!(known_to(&p.b, &secret).await.status(), 200);
    // That request's reservation (its 4,096 default) is given back in the background once it is counted.
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Six slow streams at once, three per replica, each reserving about 4,020 tokens (a quarter of its body and
    // its max_tokens of 4,000): exactly two fit in 10,000 whichever replica takes them.
    let mut body = chat("gpt-4o-slow");
    body["stream"] = json!(true);
    body["max_tokens"] = json!(4000);
    let sends = (0..6).map(|i| {
        let t = if i % 2 == 0 { &p.a } else { &p.b };
        t.client.post(format!("{}/v1/chat/completions", t.base)).bearer_auth(&secret).json(&body).send()
    });
    let responses = futures::future::join_all(sends).await;
    let mut statuses: Vec<u16> = responses.iter().map(|r| r.as_ref().unwrap().status().as_u16()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 200, 429, 429, 429, 429]);
}
