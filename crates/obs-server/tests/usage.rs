//! Usage records (docs/reference/keys.md §8) over a real listener with managed keys, the store a SQLite file the test
//! reads too: one record per model request on every route, whole and streamed, with the key, team, model, target,
//! status and the tokens the answer itself reported; `GET /obs/usage` totals and its errors; a burst whose records are
//! all written, and one through a tiny queue where written + dropped is exactly the burst.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::{TestServer, start, status_json};
use obs_convert::token_counts::TokenCounts;
use obs_service::config::Config;
use obs_store::{Store, UsageRow};
use pretty_assertions::assert_eq;
use secrecy::SecretString;
use serde_json::{Value, json};

const ADMIN: &str = "usage-admin-key";
const CLAUDE: &str = "anthropic.claude-3-haiku-20240307-v1:0";
const NOVA: &str = "amazon.nova-lite-v1:0";

struct Setup {
    t: TestServer,
    store: Store,
    secret: String,
    key_id: String,
    _dir: tempfile::TempDir,
}

async fn setup(configure: impl FnOnce(&mut Config)) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("obs.db").display());
    let store_url = url.clone();
    let t = start(move |config| {
        config.server.admin_keys = vec![SecretString::from(ADMIN.to_owned())];
        config.responses.store_url = Some(store_url);
        configure(config);
    })
    .await;
    let response = t
        .client
        .post(format!("{}/obs/keys", t.base))
        .bearer_auth(ADMIN)
        .json(&json!({"name": "usage", "team": "red"}))
        .send()
        .await
        .unwrap();
    let (_, key) = status_json(response).await;
    let store = Store::open(&url).await.unwrap();
    Setup {
        t,
        store,
        secret: key["key"].as_str().unwrap().to_owned(),
        key_id: key["id"].as_str().unwrap().to_owned(),
        _dir: dir,
    }
}

impl Setup {
    async fn post(&self, path: &str, request_id: &str, body: &Value) -> reqwest::Response {
        self.t
            .client
            .post(format!("{}{path}", self.t.base))
            .bearer_auth(&self.secret)
            .header("x-request-id", request_id)
            .header("anthropic-version", "2023-06-01")
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// The record of `request_id`, once written.
    async fn record(&self, request_id: &str) -> UsageRow {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let rows = self.store.recent_usage(1_000).await.unwrap();
            if let Some(row) = rows.into_iter().find(|r| r.request_id == request_id) {
                return row;
            }
            assert!(Instant::now() < deadline, "no record for {request_id}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn tokens(row: &UsageRow) -> (i64, i64, i64, i64, i64) {
    (row.input_tokens, row.cache_read_tokens, row.cache_write_tokens, row.output_tokens, row.reasoning_tokens)
}

fn counted(counts: TokenCounts) -> (i64, i64, i64, i64, i64) {
    let n = |v: u64| i64::try_from(v).unwrap();
    (n(counts.input), n(counts.cache_read), n(counts.cache_write), n(counts.output), n(counts.reasoning))
}

/// (case, path, body, the whole twin whose record a stream must equal, route, target).
type Case<'a> = (&'a str, String, Value, Option<&'a str>, &'a str, &'a str);

fn chat(model: &str, stream: bool) -> Value {
    let mut body = json!({"model": model, "messages": [{"role": "user", "content": "count my tokens please"}]});
    if stream {
        body["stream"] = json!(true);
        body["stream_options"] = json!({"include_usage": true});
    }
    body
}

#[tokio::test]
async fn every_route_records_the_tokens_its_answer_reported_whole_and_streamed() {
    let s = setup(|_| {}).await;
    let converse = json!({"messages": [{"role": "user", "content": [{"text": "count my tokens please"}]}]});
    let invoke = json!({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 64,
        "messages": [{"role": "user", "content": "count my tokens please"}]});
    let messages = json!({"model": "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "max_tokens": 64,
        "messages": [{"role": "user", "content": "count my tokens please"}]});
    let responses = json!({"model": CLAUDE, "input": "count my tokens please", "store": false});
    let mut responses_stream = responses.clone();
    responses_stream["stream"] = json!(true);
    let mut messages_stream = messages.clone();
    messages_stream["stream"] = json!(true);
    let embeddings = json!({"model": "text-embedding-3-small", "input": ["count my tokens please", "and these"]});
    let path = |model: &str, op: &str| format!("/model/{}/{op}", model.replace(':', "%3A"));
    // (case, route path, body, whole twin whose answer's usage is the expected figure, route, target)
    let cases: Vec<Case> = vec![
        (
            "chat-openai",
            "/v1/chat/completions".into(),
            chat("gpt-4o", false),
            None,
            "chat_completions",
            "openai/gpt-4o",
        ),
        (
            "chat-openai-stream",
            "/v1/chat/completions".into(),
            chat("gpt-4o", true),
            Some("chat-openai"),
            "chat_completions",
            "openai/gpt-4o",
        ),
        (
            "chat-claude",
            "/v1/chat/completions".into(),
            chat(CLAUDE, false),
            None,
            "chat_completions",
            "bedrock/anthropic.claude-3-haiku-20240307-v1:0",
        ),
        (
            "chat-claude-stream",
            "/v1/chat/completions".into(),
            chat(CLAUDE, true),
            Some("chat-claude"),
            "chat_completions",
            "bedrock/anthropic.claude-3-haiku-20240307-v1:0",
        ),
        (
            "responses",
            "/v1/responses".into(),
            responses,
            None,
            "responses",
            "bedrock/anthropic.claude-3-haiku-20240307-v1:0",
        ),
        (
            "responses-stream",
            "/v1/responses".into(),
            responses_stream,
            Some("responses"),
            "responses",
            "bedrock/anthropic.claude-3-haiku-20240307-v1:0",
        ),
        (
            "messages",
            "/v1/messages".into(),
            messages,
            None,
            "messages",
            "bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        ),
        (
            "messages-stream",
            "/v1/messages".into(),
            messages_stream,
            Some("messages"),
            "messages",
            "bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        ),
        ("embeddings", "/v1/embeddings".into(), embeddings, None, "embeddings", "openai/text-embedding-3-small"),
        (
            "converse",
            path(NOVA, "converse"),
            converse.clone(),
            None,
            "bedrock_converse",
            "bedrock/amazon.nova-lite-v1:0",
        ),
        (
            "converse-stream",
            path(NOVA, "converse-stream"),
            converse,
            Some("converse"),
            "bedrock_converse_stream",
            "bedrock/amazon.nova-lite-v1:0",
        ),
        (
            "invoke",
            path(CLAUDE, "invoke"),
            invoke.clone(),
            None,
            "bedrock_invoke",
            "bedrock/anthropic.claude-3-haiku-20240307-v1:0",
        ),
        (
            "invoke-stream",
            path(CLAUDE, "invoke-with-response-stream"),
            invoke,
            Some("invoke"),
            "bedrock_invoke_stream",
            "bedrock/anthropic.claude-3-haiku-20240307-v1:0",
        ),
    ];
    let mut whole_tokens = std::collections::HashMap::new();
    for (case, path, body, twin, route, target) in cases {
        let response = s.post(&path, case, &body).await;
        assert_eq!(response.status(), 200, "{case}");
        let headers = response.headers().clone();
        let text = response.bytes().await.unwrap();
        let row = s.record(case).await;
        let expected = match twin {
            // A whole answer: what the client was told it used (InvokeModel's in its token headers).
            None => {
                let from_headers = ["x-amzn-bedrock-input-token-count", "x-amzn-bedrock-output-token-count"]
                    .map(|h| headers.get(h).map(|v| v.to_str().unwrap().parse::<u64>().unwrap()));
                let reported = match from_headers {
                    [Some(input), Some(output)] => TokenCounts { input, output, ..TokenCounts::default() },
                    _ => TokenCounts::from_answer(&text).unwrap_or_else(|| panic!("{case}: no usage in the answer")),
                };
                counted(reported)
            }
            // A stream of the same request: the emulator answers it the same, so it records the same.
            Some(twin) => whole_tokens[twin],
        };
        assert!(expected.0 > 0 && (route == "embeddings" || expected.3 > 0), "{case}: {expected:?}");
        assert_eq!(tokens(&row), expected, "{case}");
        assert_eq!(
            (row.key_id.as_str(), row.team.as_deref(), row.route.as_str(), row.target.as_deref(), row.status),
            (s.key_id.as_str(), Some("red"), route, Some(target), 200),
            "{case}"
        );
        assert!(row.duration_us >= row.overhead_us && row.overhead_us > 0, "{case}: {row:?}");
        whole_tokens.insert(case, expected);
    }
}

#[tokio::test]
async fn failed_requests_are_recorded_and_totals_group_and_filter() {
    let s = setup(|_| {}).await;
    for i in 0..3 {
        assert_eq!(s.post("/v1/chat/completions", &format!("ok-{i}"), &chat("gpt-4o", false)).await.status(), 200);
    }
    let failed = s.post("/v1/chat/completions", "failed", &chat("anthropic.claude-denied", false)).await;
    assert_eq!(failed.status(), 403);
    let row = s.record("failed").await;
    assert_eq!((row.status, row.input_tokens, row.output_tokens), (403, 0, 0));
    s.record("ok-2").await;

    let usage = |query: &str| {
        let url = format!("{}/obs/usage{query}", s.t.base);
        let client = s.t.client.clone();
        async move { status_json(client.get(url).bearer_auth(ADMIN).send().await.unwrap()).await }
    };
    let (status, by_model) = usage(&format!("?key={}&group_by=model", s.key_id)).await;
    assert_eq!(status, 200);
    assert_eq!((by_model["object"].clone(), by_model["group_by"].clone()), (json!("list"), json!("model")));
    let rows: Vec<(Value, Value, Value)> = by_model["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["group"].clone(), r["requests"].clone(), r["errors"].clone()))
        .collect();
    assert_eq!(rows, [(json!("gpt-4o"), json!(3), json!(0)), (json!("anthropic.claude-denied"), json!(1), json!(1))]);
    let one = s.record("ok-0").await;
    let (_, total) = usage("?team=red&model=gpt-4o").await;
    assert_eq!(total["data"][0]["input_tokens"], json!(one.input_tokens * 3));
    assert_eq!(total["group_by"], Value::Null);
    let (_, future) = usage("?from=4102444800").await;
    assert_eq!(future["data"], json!([]));

    let (status, body) = usage("?group_by=colour").await;
    assert_eq!((status, body["error"]["param"].clone()), (400, json!("group_by")));
    let (status, body) = usage("?since=1").await;
    assert_eq!((status, body["error"]["param"].clone()), (400, json!("since")));
    let (status, body) = usage("?from=yesterday").await;
    assert_eq!((status, body["error"]["param"].clone()), (400, json!("from")));
    let response = s.t.client.get(format!("{}/obs/usage", s.t.base)).bearer_auth(&s.secret).send().await.unwrap();
    assert_eq!(status_json(response).await.0, 403, "a gateway key is not an admin key");
    let off = start(|_| {}).await;
    assert_eq!(status_json(off.get("/obs/usage").await).await.0, 404, "off without managed keys");
}

/// Sends `n` chat requests with `concurrency` at once; the number answered 200.
async fn burst(s: &Setup, n: usize, concurrency: usize) -> usize {
    use futures::StreamExt;
    let body = chat("gpt-4o", false);
    futures::stream::iter(0..n)
        .map(|_| {
            let request =
                s.t.client.post(format!("{}/v1/chat/completions", s.t.base)).bearer_auth(&s.secret).json(&body).send();
            async move { request.await.map(|r| r.status() == 200).unwrap_or(false) }
        })
        .buffer_unordered(concurrency)
        .filter(|ok| std::future::ready(*ok))
        .count()
        .await
}

/// `obs_usage_records_<name>_total` in the metrics (summed over labels).
async fn counter(t: &TestServer, name: &str) -> i64 {
    let text = t.client.get(format!("{}/metrics", t.base)).send().await.unwrap().text().await.unwrap();
    text.lines()
        .filter(|l| l.starts_with(&format!("obs_usage_records_{name}_total")))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .map(|v| v as i64)
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_ten_thousand_is_recorded_whole() {
    let s = setup(|_| {}).await;
    let served = burst(&s, 10_000, 32).await;
    assert_eq!(served, 10_000);
    let deadline = Instant::now() + Duration::from_secs(30);
    while s.store.usage_count().await.unwrap() < 10_000 {
        assert!(Instant::now() < deadline, "only {} records", s.store.usage_count().await.unwrap());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(s.store.usage_count().await.unwrap(), 10_000);
    assert_eq!((counter(&s.t, "written").await, counter(&s.t, "dropped").await), (10_000, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_drops_records_and_counts_exactly_how_many() {
    let s = setup(|config| {
        config.usage.queue_capacity = 1;
        config.usage.batch_size = 1;
    })
    .await;
    let served = burst(&s, 2_000, 64).await;
    assert_eq!(served, 2_000, "a full queue never fails or slows a request");
    // Settled: every record is written or counted as dropped.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (written, dropped) = (counter(&s.t, "written").await, counter(&s.t, "dropped").await);
        if written + dropped == 2_000 {
            assert_eq!(s.store.usage_count().await.unwrap(), written);
            assert!(dropped > 0, "a queue of one under 64 at once drops some");
            break;
        }
        assert!(Instant::now() < deadline, "written {written} + dropped {dropped} never reached 2,000");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A graceful stop writes the records still waiting in the queue (the last batch lingers 50 ms for company): right
/// after `wait()` returns, every request served has its record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_stop_writes_the_records_still_queued() {
    let s = setup(|_| {}).await;
    assert_eq!(burst(&s, 200, 8).await, 200);
    let Setup { t, store, _dir, .. } = s;
    t.server.shutdown();
    t.server.wait().await;
    assert_eq!(store.usage_count().await.unwrap(), 200, "no record lost to the stop");
}

/// A verbatim OpenAI answer's tokens are read by the writer, off the request path, when nothing on it needs them
/// (no `tpm`, no budget): the record has them, and their cost, all the same.
#[tokio::test]
async fn a_verbatim_answers_tokens_and_cost_are_read_by_the_writer() {
    let s = setup(|_| {}).await;
    let response = s.post("/v1/chat/completions", "deferred-usage", &chat("gpt-4o", false)).await;
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    let expected = TokenCounts::from_usage(&answer["usage"]).unwrap();
    let row = s.record("deferred-usage").await;
    let recorded =
        (row.input_tokens, row.cache_read_tokens, row.cache_write_tokens, row.output_tokens, row.reasoning_tokens);
    assert_eq!(recorded, counted(expected));
    let prices = obs_service::prices::Prices::new(&std::collections::BTreeMap::new());
    let tokens = obs_service::prices::Tokens {
        input: expected.input,
        cache_read: expected.cache_read,
        cache_write: expected.cache_write,
        output: expected.output,
    };
    let cost = prices.cost_micro_usd("gpt-4o", tokens);
    assert!(cost > 0, "gpt-4o is in the shipped price table");
    assert_eq!(row.cost_micro_usd, cost);
}
