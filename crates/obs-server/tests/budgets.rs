//! Budgets and cost (docs/reference/keys.md §5) over real listeners sharing one SQLite store: each request costed
//! from the price table (a configured override here, so the figures are exact), a key refused with 429
//! `insufficient_quota` once its period's spend reaches its budget — on the replica that spent it at once, on
//! another within the refresh bound — served again when the budget is raised or removed, and the cost in
//! `GET /obs/usage`; a day, week or month budget counts only the records of its current period, from its first
//! millisecond (records written straight into the store at the periods' edges).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::{TestServer, chat, start, status_json};
use obs_convert::token_counts::TokenCounts;
use obs_service::config::Config;
use obs_service::prices::Price;
use pretty_assertions::assert_eq;
use secrecy::SecretString;
use serde_json::{Value, json};

const ADMIN: &str = "budget-admin-key";

fn configure(url: String) -> impl Fn(&mut Config) {
    move |config: &mut Config| {
        config.server.admin_keys = vec![SecretString::from(ADMIN.to_owned())];
        config.keys.store_url = Some(url.clone());
        config.keys.refresh_seconds = 1;
        // $1,000 per million tokens: a millionth of a dollar... times a thousand, per token, in and out.
        config
            .prices
            .insert("gpt-4o".to_owned(), Price { input: 1000.0, output: 1000.0, cache_read: None, cache_write: None });
    }
}

async fn ask(t: &TestServer, secret: &str) -> (u16, Value, Option<String>) {
    let response = t
        .client
        .post(format!("{}/v1/chat/completions", t.base))
        .bearer_auth(secret)
        .json(&chat("gpt-4o"))
        .send()
        .await
        .unwrap();
    let retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
    let (status, body) = status_json(response).await;
    (status, body, retry_after)
}

async fn admin(t: &TestServer, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
    let mut request = t.client.request(method, format!("{}{path}", t.base)).bearer_auth(ADMIN);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let (status, answer) = status_json(request.send().await.unwrap()).await;
    assert_eq!(status, 200, "{answer}");
    answer
}

fn month_end() -> i64 {
    // The first second of next month, UTC, by a calendar outside the code under test.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let output =
        std::process::Command::new("date").args(["-u", "-d", &format!("@{now}"), "+%Y-%m-01"]).output().unwrap();
    let first = String::from_utf8(output.stdout).unwrap();
    let next = std::process::Command::new("date")
        .args(["-u", "-d", &format!("{} +1 month", first.trim()), "+%s"])
        .output()
        .unwrap();
    String::from_utf8(next.stdout).unwrap().trim().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spent_budget_is_refused_on_every_replica_until_it_is_raised() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("obs.db").display());
    let a = start(configure(url.clone())).await;
    let b = start(configure(url)).await;

    // One request's cost, from its own usage: 1,000 millionths of a dollar per token.
    let probe = admin(&a, reqwest::Method::POST, "/obs/keys", Some(json!({"name": "probe"}))).await;
    let (status, answer, _) = ask(&a, probe["key"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    let tokens = TokenCounts::from_answer(answer.to_string().as_bytes()).unwrap();
    let per_request = i64::try_from((tokens.input + tokens.output) * 1000).unwrap();

    // A budget of two and a half requests: the first three are served (the third starts under it), the fourth is not.
    #[allow(clippy::cast_precision_loss)]
    let budget = per_request as f64 * 2.5 / 1e6;
    let key =
        admin(&a, reqwest::Method::POST, "/obs/keys", Some(json!({"name": "capped", "budget_usd": budget}))).await;
    let (id, secret) = (key["id"].as_str().unwrap().to_owned(), key["key"].as_str().unwrap().to_owned());
    assert_eq!(key["budget_period"], "month");
    for i in 0..3 {
        assert_eq!(ask(&a, &secret).await.0, 200, "request {i}");
    }
    let (status, body, retry_after) = ask(&a, &secret).await;
    let dollars = |micro: i64| format!("${}.{:02}", micro / 1_000_000, (micro % 1_000_000) / 10_000);
    let budget_micro = (budget * 1e6).round() as i64;
    let end = month_end();
    let reset = {
        let output = std::process::Command::new("date")
            .args(["-u", "-d", &format!("@{end}"), "+%Y-%m-%dT%H:%M:%SZ"])
            .output()
            .unwrap();
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    };
    assert_eq!(
        (status, body),
        (
            429,
            json!({"error": {"message": format!("This key's budget of {} per month is spent ({} used); it resets at {reset}.",
                    dollars(budget_micro), dollars(per_request * 3)),
                "type": "insufficient_quota", "param": null, "code": "insufficient_quota"}})
        )
    );
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let retry_after: i64 = retry_after.unwrap().parse().unwrap();
    assert!((retry_after - (end - now)).abs() <= 2, "retry-after {retry_after}, {} s to the month's end", end - now);

    // The other replica learns the key and its spend from the store within its refresh (one second here). Until
    // then it may refuse the key as unknown, or serve it — what it serves is spent too, and counted below.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut served_by_b = 0;
    loop {
        match ask(&b, &secret).await.0 {
            429 => break,
            200 => served_by_b += 1,
            // b has not seen the new key yet.
            401 => {}
            other => panic!("b answered {other}"),
        }
        assert!(Instant::now() < deadline, "b never refused the spent key");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(served_by_b <= 12, "b served {served_by_b} requests after the budget was spent");

    // The usage totals say what was spent, on both replicas.
    let spent = per_request * (3 + served_by_b);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let totals = admin(&a, reqwest::Method::GET, &format!("/obs/usage?key={id}"), None).await;
        if totals["data"][0]["cost_usd"] == json!(spent as f64 / 1e6) {
            break;
        }
        assert!(Instant::now() < deadline, "{totals} is not {spent} millionths of a dollar");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Raised, it is served again at once on the replica that changed it; removed, it has no budget.
    admin(&a, reqwest::Method::PATCH, &format!("/obs/keys/{id}"), Some(json!({"budget_usd": budget * 10.0}))).await;
    assert_eq!(ask(&a, &secret).await.0, 200);
    admin(&a, reqwest::Method::PATCH, &format!("/obs/keys/{id}"), Some(json!({"budget_usd": null}))).await;
    let key = admin(&a, reqwest::Method::GET, &format!("/obs/keys/{id}"), None).await;
    assert_eq!((key["budget_usd"].clone(), key["budget_period"].clone()), (Value::Null, json!("month")));
    assert_eq!(ask(&a, &secret).await.0, 200);
}

#[tokio::test]
async fn the_bedrock_routes_refuse_a_spent_key_as_aws_does() {
    let dir = tempfile::tempdir().unwrap();
    let t = start(configure(format!("sqlite://{}", dir.path().join("obs.db").display()))).await;
    let key = admin(&t, reqwest::Method::POST, "/obs/keys", Some(json!({"name": "zero", "budget_usd": 0}))).await;
    let secret = key["key"].as_str().unwrap();
    let response = t
        .client
        .post(format!("{}/model/amazon.nova-lite-v1%3A0/converse", t.base))
        .bearer_auth(secret)
        .json(&json!({"messages": [{"role": "user", "content": [{"text": "hi"}]}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.headers()["x-amzn-errortype"].to_str().unwrap().split(':').next(),
        Some("ServiceQuotaExceededException")
    );
}

/// The first second of the current UTC day, ISO week (from Monday) and calendar month.
fn period_starts() -> [(&'static str, i64); 3] {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let day = now.div_euclid(86_400);
    // 1970-01-01 was a Thursday.
    let monday = day - (day + 3).rem_euclid(7);
    let first = std::process::Command::new("date").args(["-u", "+%Y-%m-01"]).output().unwrap();
    let month = std::process::Command::new("date")
        .args(["-u", "-d", String::from_utf8(first.stdout).unwrap().trim(), "+%s"])
        .output()
        .unwrap();
    let month: i64 = String::from_utf8(month.stdout).unwrap().trim().parse().unwrap();
    [("day", day * 86_400), ("week", monday * 86_400), ("month", month)]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spend_of_the_previous_period_does_not_count_and_the_current_periods_first_moment_does() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("obs.db").display());
    let t = start(configure(url.clone())).await;
    // The records of earlier requests, written into the store the gateway reads (as another replica would).
    let store = obs_store::Store::open(&url).await.unwrap();
    let record = |key_id: &str, at_ms: i64, cost_micro_usd: i64| obs_store::UsageRow {
        at_ms,
        request_id: format!("req-{at_ms}"),
        key_id: key_id.to_owned(),
        route: "chat_completions".to_owned(),
        status: 200,
        cost_micro_usd,
        ..Default::default()
    };
    let mut keys = Vec::new();
    for (period, start_s) in period_starts() {
        let key = admin(
            &t,
            reqwest::Method::POST,
            "/obs/keys",
            Some(json!({"name": period, "budget_usd": 1.0, "budget_period": period})),
        )
        .await;
        let id = key["id"].as_str().unwrap().to_owned();
        // $5 spent in the last millisecond of the previous period.
        store.insert_usage(vec![record(&id, start_s * 1000 - 1, 5_000_000)]).await.unwrap();
        keys.push((period, start_s, id, key["key"].as_str().unwrap().to_owned()));
    }
    tokio::time::sleep(Duration::from_millis(2500)).await; // two refreshes of one second
    for (period, _, _, secret) in &keys {
        assert_eq!(ask(&t, secret).await.0, 200, "a {period} budget starts afresh each {period}");
    }

    // The whole budget spent in the period's first millisecond: refused from the next refresh on.
    for (_, start_s, id, _) in &keys {
        store.insert_usage(vec![record(id, start_s * 1000, 1_000_000)]).await.unwrap();
    }
    for (period, _, _, secret) in &keys {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let (status, body, _) = ask(&t, secret).await;
            if status == 429 {
                assert_eq!(body["error"]["code"], "insufficient_quota");
                let message = body["error"]["message"].as_str().unwrap();
                assert!(
                    message.starts_with(&format!("This key's budget of $1.00 per {period} is spent ($1.")),
                    "{message}"
                );
                break;
            }
            assert_eq!(status, 200, "{body}");
            assert!(Instant::now() < deadline, "the {period} key was never refused");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
