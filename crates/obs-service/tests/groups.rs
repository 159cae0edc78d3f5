//! Model groups over several obs-mock instances, each its own named provider, through the real reqwest client and
//! the real AWS SDK: fallback (and where it must not happen), every target throttled, and load balancing.
//! Affinity and target health are in `group_health.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod mocks;

use std::time::Duration;

use futures::StreamExt;
use mocks::{
    ANSWER, HAIKU, HAIKU_INVOKE, HAIKU_STREAM, NO_RETRIES, UNREACHABLE_BEDROCK, UNREACHABLE_OPENAI, bedrock,
    bedrock_at, deltas, gateway, mock, openai, openai_at, request, serve, served, stream_text,
};
use obs_mock::Scenario;
use obs_models::error::ErrorCode;
use obs_service::ChatService;
use obs_service::routing::TargetStatus;
use pretty_assertions::assert_eq;

fn status(gateway: &obs_service::Gateway, group: &str, target: &str) -> TargetStatus {
    gateway.targets().into_iter().find(|t| t.group == group && t.target == target).unwrap()
}

#[tokio::test]
async fn openai_kind_targets_fall_back_to_a_bedrock_kind_target() {
    let (oa, br) = (mock().await, mock().await);
    let gateway = gateway(&format!(
        "{NO_RETRIES}[routing]\nfailure_threshold = 10\n{}{}{}\
         [models.via-throttle]\ntargets = [\"oa/gpt-4o-throttle\", \"br/{HAIKU}\"]\n\
         [models.via-unavailable]\ntargets = [\"oa/gpt-4o-unavailable\", \"br/{HAIKU}\"]\n\
         [models.via-unreachable]\ntargets = [\"down/gpt-4o\", \"br/{HAIKU}\"]\n\
         [models.via-outage]\ntargets = [\"oa/gpt-4o\", \"br/{HAIKU}\"]\n",
        openai("oa", &oa),
        openai_at("down", UNREACHABLE_OPENAI),
        bedrock("br", &br),
    ));
    let mut before = vec![];
    for (group, first_model, reaches_oa) in [
        ("via-throttle", "gpt-4o-throttle", 1),
        ("via-unavailable", "gpt-4o-unavailable", 1),
        ("via-unreachable", "", 0),
        ("via-outage", "gpt-4o", 1),
    ] {
        let outage = (group == "via-outage").then_some(Scenario::Throttle);
        oa.set_outage(outage);
        for stream in [false, true] {
            let case = format!("{group} stream={stream}");
            assert_eq!(serve(&gateway, group, stream).await, served("br", HAIKU, 2, 0), "{case}");
            assert_eq!(deltas(&[&oa, &br], &mut before), [reaches_oa, 1], "{case}: who was asked");
            if reaches_oa == 1 {
                assert_eq!(oa.recorder().last().unwrap().model.as_deref(), Some(first_model), "{case}");
            }
            let path = if stream { HAIKU_STREAM } else { HAIKU_INVOKE };
            assert_eq!(br.recorder().last().unwrap().path, path, "{case}");
        }
    }
    let first = status(&gateway, "via-throttle", "oa/gpt-4o-throttle");
    assert_eq!((first.requests, first.failures, first.health.consecutive_failures), (2, 2, 2));
    assert!(first.health.healthy, "under the threshold of 10");
    let second = status(&gateway, "via-throttle", &format!("br/{HAIKU}"));
    assert_eq!(
        (second.requests, second.failures, second.provider.as_str(), second.model.as_str()),
        (2, 0, "br", HAIKU)
    );
}

#[tokio::test]
async fn bedrock_kind_targets_fall_back_to_an_openai_kind_target() {
    let (br, oa) = (mock().await, mock().await);
    let gateway = gateway(&format!(
        "{NO_RETRIES}[routing]\nfailure_threshold = 10\n{}{}{}\
         [models.via-throttle]\ntargets = [\"br/anthropic.claude-3-haiku-throttle\", \"oa/gpt-4o\"]\n\
         [models.via-unavailable]\ntargets = [\"br/meta.llama3-unavailable\", \"oa/gpt-4o\"]\n\
         [models.via-unreachable]\ntargets = [\"br-down/{HAIKU}\", \"oa/gpt-4o\"]\n\
         [models.via-outage]\ntargets = [\"br/us.amazon.nova-lite-v1:0\", \"oa/gpt-4o\"]\n",
        bedrock("br", &br),
        bedrock_at("br-down", UNREACHABLE_BEDROCK, "us-east-1"),
        openai("oa", &oa),
    ));
    let mut before = vec![];
    for (group, first_path, reaches_br) in [
        ("via-throttle", "/model/anthropic.claude-3-haiku-throttle/invoke", 1),
        ("via-unavailable", "/model/meta.llama3-unavailable/converse", 1),
        ("via-unreachable", "", 0),
        ("via-outage", "/model/us.amazon.nova-lite-v1%3A0/converse", 1),
    ] {
        br.set_outage((group == "via-outage").then_some(Scenario::Unavailable));
        for stream in [false, true] {
            let case = format!("{group} stream={stream}");
            assert_eq!(serve(&gateway, group, stream).await, served("oa", "gpt-4o", 2, 0), "{case}");
            assert_eq!(deltas(&[&br, &oa], &mut before), [reaches_br, 1], "{case}: who was asked");
            if reaches_br == 1 {
                let path = br.recorder().last().unwrap().path;
                let expected = match (stream, first_path.ends_with("/invoke")) {
                    (false, _) => first_path.to_owned(),
                    (true, true) => format!("{first_path}-with-response-stream"),
                    (true, false) => format!("{first_path}-stream"),
                };
                assert_eq!(path, expected, "{case}");
            }
            let last = oa.recorder().last().unwrap();
            assert_eq!((last.path.as_str(), last.model.as_deref()), ("/v1/chat/completions", Some("gpt-4o")));
            assert_eq!(last.json()["stream"], serde_json::json!(stream), "{case}");
        }
    }
}

#[tokio::test]
async fn refused_credentials_denied_access_and_missing_configuration_fall_back() {
    let strict =
        obs_mock::spawn(obs_mock::MockConfig { openai_api_key: Some("sk-right".into()), ..Default::default() })
            .await
            .unwrap();
    let (br, oa) = (mock().await, mock().await);
    let gateway = gateway(&format!(
        "{NO_RETRIES}{}{}{}{}\
         [models.bad-key]\ntargets = [\"wrongkey/gpt-4o\", \"oa/gpt-4o\"]\n\
         [models.rejected]\ntargets = [\"rejected/{HAIKU}\", \"oa/gpt-4o\"]\n\
         [models.denied]\ntargets = [\"br/anthropic.claude-3-haiku-denied\", \"oa/gpt-4o\"]\n\
         [models.unconfigured]\ntargets = [\"openai/gpt-4o\", \"bedrock/{HAIKU}\", \"oa/gpt-4o\"]\n",
        openai("wrongkey", &strict),
        bedrock("rejected", &br),
        bedrock("br", &br),
        openai("oa", &oa),
    ));
    assert_eq!(mocks::access_key_id("rejected"), obs_mock::REJECTED_ACCESS_KEY_ID);
    let mut before = vec![];
    for (group, attempts, first_heard) in
        [("bad-key", 2, [1, 0]), ("rejected", 2, [0, 1]), ("denied", 2, [0, 1]), ("unconfigured", 3, [0, 0])]
    {
        for stream in [false, true] {
            assert_eq!(serve(&gateway, group, stream).await, served("oa", "gpt-4o", attempts, 0), "{group}");
            let heard = deltas(&[&strict, &br, &oa], &mut before);
            assert_eq!(heard, [first_heard[0], first_heard[1], 1], "{group} stream={stream}");
        }
    }
    assert_eq!(gateway.built_adapters(), 4, "the four named providers; the unconfigured built-ins have no client");
}

#[tokio::test]
async fn each_target_is_retried_before_the_next_is_tried() {
    let (oa, br) = (mock().await, mock().await);
    let gateway = gateway(&format!(
        "[retries]\nmax_retries = 1\ninitial_backoff_ms = 5\n{}{}\
         [models.g]\ntargets = [\"oa/gpt-4o-unavailable\", \"br/{HAIKU}\"]\n\
         [models.flaky]\ntargets = [\"oa/gpt-4o-flaky\", \"br/{HAIKU}\"]\n",
        openai("oa", &oa),
        bedrock("br", &br),
    ));
    let mut before = vec![];
    // Served by the second target after one retry on the first: the retry is counted (x-obs-retries).
    assert_eq!(serve(&gateway, "g", false).await, served("br", HAIKU, 2, 1));
    assert_eq!(deltas(&[&oa, &br], &mut before), [2, 1], "503 retried once on its own target, then the next");
    assert_eq!(serve(&gateway, "flaky", false).await, served("oa", "gpt-4o-flaky", 1, 1));
    assert_eq!(deltas(&[&oa, &br], &mut before), [2, 0], "the retry succeeded: no fallback");
}

#[tokio::test]
async fn an_absurd_retry_after_is_not_waited_for_and_the_next_target_serves() {
    let oa = mock().await;
    let error = r#"{"error":{"message":"slow down","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#;
    let (url, captured) = mocks::one_shot(
        "429 Too Many Requests",
        &[("content-type", "application/json"), ("retry-after", "1e300")],
        error,
    )
    .await;
    let gateway = gateway(&format!(
        "[retries]\nmax_retries = 2\ninitial_backoff_ms = 5\n{}{}\
         [models.g]\ntargets = [\"odd/gpt-4o\", \"oa/gpt-4o\"]\n",
        openai_at("odd", &format!("{url}/v1")),
        openai("oa", &oa),
    ));
    assert_eq!(serve(&gateway, "g", false).await, served("oa", "gpt-4o", 2, 0));
    assert_eq!(captured.await.unwrap(), "POST /v1/chat/completions HTTP/1.1", "asked once, not retried");
}

#[tokio::test]
async fn nothing_falls_back_once_a_stream_has_sent_output() {
    let (oa, br) = (mock().await, mock().await);
    let gateway = gateway(&format!(
        "{NO_RETRIES}{}{}\
         [models.oa-first]\ntargets = [\"oa/gpt-4o-midstream-error\", \"br/{HAIKU}\"]\n\
         [models.br-first]\ntargets = [\"br/meta.llama3-midstream-error\", \"oa/gpt-4o\"]\n",
        openai("oa", &oa),
        bedrock("br", &br),
    ));
    let mut before = vec![];
    for (group, provider, model, expected) in [
        ("oa-first", "oa", "gpt-4o-midstream-error", [1, 0]),
        ("br-first", "br", "meta.llama3-midstream-error", [0, 1]),
    ] {
        let answer = gateway.chat_completion_stream(request(group, true)).await.unwrap();
        assert_eq!(answer.served, served(provider, model, 1, 0), "{group}");
        let (text, error) = stream_text(answer).await;
        assert!(!text.is_empty() && ANSWER.starts_with(&text) && text != ANSWER, "{group}: part of the text: {text:?}");
        assert_eq!(error.unwrap().code, ErrorCode::UpstreamError, "{group}");
        assert_eq!(deltas(&[&oa, &br], &mut before), expected, "{group}: the second target is never asked");
    }
    // Not streamed, the same scenario is a 500 before any output: that one falls back.
    assert_eq!(serve(&gateway, "oa-first", false).await, served("br", HAIKU, 2, 0));
    assert_eq!(serve(&gateway, "br-first", false).await, served("oa", "gpt-4o", 2, 0));
    assert_eq!(deltas(&[&oa, &br], &mut before), [2, 2]);
}

#[tokio::test]
async fn a_request_the_upstream_rejects_is_never_sent_elsewhere() {
    let (oa, br) = (mock().await, mock().await);
    let gateway = gateway(&format!(
        "{NO_RETRIES}[routing]\nfailure_threshold = 1\n{}{}\
         [models.oa-first]\ntargets = [\"oa/gpt-4o-invalid\", \"br/{HAIKU}\"]\n\
         [models.br-first]\ntargets = [\"br/anthropic.claude-3-haiku-invalid\", \"oa/gpt-4o\"]\n",
        openai("oa", &oa),
        bedrock("br", &br),
    ));
    let mut before = vec![];
    for (group, first, expected) in
        [("oa-first", "oa/gpt-4o-invalid", [1, 0]), ("br-first", "br/anthropic.claude-3-haiku-invalid", [0, 1])]
    {
        for stream in [false, true] {
            let error = if stream {
                gateway.chat_completion_stream(request(group, true)).await.err().unwrap()
            } else {
                gateway.chat_completion(request(group, false)).await.err().unwrap()
            };
            assert_eq!(error.code, ErrorCode::UpstreamValidationError, "{group} stream={stream}: {error}");
            assert_eq!(deltas(&[&oa, &br], &mut before), expected, "{group} stream={stream}");
        }
        let first = status(&gateway, group, first);
        assert_eq!(
            (first.requests, first.failures, first.health.consecutive_failures, first.health.healthy),
            (2, 0, 0, true),
            "{group}: a client's mistake says nothing about the target's health"
        );
    }
}

#[tokio::test]
async fn every_target_throttled_is_rate_limit_exceeded_with_retry_after() {
    let (oa, br) = (mock().await, mock().await);
    let gateway = gateway(&format!(
        "{NO_RETRIES}[routing]\nfailure_threshold = 100\n{}{}\
         [models.words]\ntargets = [\"oa/gpt-4o-throttle\", \"br/anthropic.claude-3-haiku-throttle\"]\n\
         [models.bedrock-only]\ntargets = [\"br/anthropic.claude-3-haiku-throttle\", \"br/meta.llama3-throttle\"]\n\
         [models.outage]\ntargets = [\"br/{HAIKU}\", \"oa/gpt-4o\"]\n",
        openai("oa", &oa),
        bedrock("br", &br),
    ));
    let mut before = vec![];
    for (group, expected, outage) in
        [("words", [1, 1], None), ("bedrock-only", [0, 2], None), ("outage", [1, 1], Some(Scenario::Throttle))]
    {
        oa.set_outage(outage);
        br.set_outage(outage);
        for stream in [false, true] {
            let error = if stream {
                gateway.chat_completion_stream(request(group, true)).await.err().unwrap()
            } else {
                gateway.chat_completion(request(group, false)).await.err().unwrap()
            };
            assert_eq!(
                (error.code, error.retry_after.as_deref()),
                (ErrorCode::RateLimitExceeded, Some("1")),
                "{group} stream={stream}: {error}"
            );
            assert_eq!(deltas(&[&oa, &br], &mut before), expected, "{group} stream={stream}: each asked once");
        }
    }
}

/// How many of `n` requests (16 at a time) each provider served, by `served` and by the mocks' own counts.
async fn spread(gateway: &obs_service::Gateway, group: &str, n: usize, mocks: &[&obs_mock::MockHandle]) -> Vec<u64> {
    let before: Vec<u64> = mocks.iter().map(|m| m.recorder().count()).collect();
    let providers: Vec<String> =
        futures::stream::iter(0..n)
            .map(|_| async move {
                gateway.chat_completion(request(group, false)).await.unwrap().served.provider.to_string()
            })
            .buffer_unordered(16)
            .collect()
            .await;
    let counted: Vec<u64> = mocks.iter().zip(&before).map(|(m, b)| m.recorder().count() - b).collect();
    let by_served: Vec<u64> =
        (0..mocks.len()).map(|i| providers.iter().filter(|p| **p == format!("p{i}")).count() as u64).collect();
    assert_eq!(counted, by_served, "served names the mock that answered");
    counted
}

#[tokio::test]
async fn round_robin_and_weighted_share_exactly() {
    let (m0, m1) = (mock().await, mock().await);
    let gateway = gateway(&format!(
        "{NO_RETRIES}{}{}\
         [models.rr]\nstrategy = \"round_robin\"\ntargets = [\"p0/gpt-4o\", \"p1/{HAIKU}\"]\n\
         [models.w]\nstrategy = \"weighted\"\ntargets = [{{ model = \"p0/gpt-4o\", weight = 3 }}, \"p1/{HAIKU}\"]\n",
        openai("p0", &m0),
        bedrock("p1", &m1),
    ));
    // Weighted turns interleave (smooth weighted round robin) rather than come in runs.
    let mut turns = Vec::new();
    for _ in 0..8 {
        turns.push(gateway.chat_completion(request("w", false)).await.unwrap().served.provider.to_string());
    }
    assert_eq!(turns, ["p0", "p0", "p1", "p0", "p0", "p0", "p1", "p0"]);

    // ±10 % is the promise; the strategies are in fact exact over whole cycles.
    let rr = spread(&gateway, "rr", 1000, &[&m0, &m1]).await;
    assert!(rr.iter().all(|n| n.abs_diff(500) <= 50), "{rr:?}");
    assert_eq!(rr, [500, 500]);
    let weighted = spread(&gateway, "w", 1000, &[&m0, &m1]).await;
    assert!(weighted[0].abs_diff(750) <= 75 && weighted[1].abs_diff(250) <= 25, "{weighted:?}");
    assert_eq!(weighted, [750, 250]);
    let targets: Vec<(String, u32, u64)> =
        gateway.targets().into_iter().map(|t| (format!("{}:{}", t.group, t.target), t.weight, t.requests)).collect();
    assert_eq!(
        targets,
        [
            ("rr:p0/gpt-4o".to_owned(), 1, 500),
            (format!("rr:p1/{HAIKU}"), 1, 500),
            ("w:p0/gpt-4o".to_owned(), 3, 756),
            (format!("w:p1/{HAIKU}"), 1, 252),
        ]
    );
}

#[tokio::test]
async fn least_busy_sends_more_to_the_faster_target() {
    let (slow, fast) = (mock().await, mock().await);
    let gateway = gateway(&format!(
        "{NO_RETRIES}{}{}\
         [models.lb]\nstrategy = \"least_busy\"\ntargets = [\"p0/gpt-4o-slow\", \"p1/gpt-4o\"]\n",
        openai("p0", &slow),
        openai("p1", &fast),
    ));
    let counts = spread(&gateway, "lb", 60, &[&slow, &fast]).await;
    assert_eq!(counts.iter().sum::<u64>(), 60);
    assert!(counts[0] >= 1 && counts[1] >= 3 * counts[0], "slow, fast: {counts:?}");
    assert!(gateway.targets().iter().all(|t| t.in_flight == 0), "every attempt's count ended with it");

    // Streams count as in flight until they end.
    let answer = gateway.chat_completion_stream(request("lb", true)).await.unwrap();
    let target = answer.served.target();
    let held = gateway.targets().into_iter().find(|t| t.target == target).unwrap();
    assert_eq!(held.in_flight, 1, "{target}");
    drop(answer);
    assert!(gateway.targets().iter().all(|t| t.in_flight == 0));
}

#[tokio::test]
async fn a_slow_first_byte_times_out_and_falls_back() {
    let (slow, fast) = (mock().await, mock().await);
    let gateway = gateway(&format!(
        "{NO_RETRIES}{}[providers.p0.timeouts]\nfirst_byte_seconds = 0.05\n{}\
         [models.g]\ntargets = [\"p0/gpt-4o-slow\", \"p1/gpt-4o\"]\n",
        openai("p0", &slow),
        openai("p1", &fast),
    ));
    let started = std::time::Instant::now();
    assert_eq!(serve(&gateway, "g", false).await, served("p1", "gpt-4o", 2, 0));
    assert!(started.elapsed() < Duration::from_millis(290), "did not wait for the slow answer");
    assert_eq!((slow.recorder().count(), fast.recorder().count()), (1, 1));
}
