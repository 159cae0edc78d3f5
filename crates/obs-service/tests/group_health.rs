//! Target health and affinity over several obs-mock instances, each its own named provider: a target whose
//! upstream fails rests (its mock hears nothing), is probed once after the cool-down, and serves again; affinity
//! keys stick to one target, move when it rests and come back when it recovers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod mocks;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use mocks::{NO_RETRIES, deltas, gateway, mock, openai, request, request_from, serve, served};
use obs_mock::{MockHandle, Scenario};
use obs_models::error::ErrorCode;
use obs_service::routing::TargetStatus;
use obs_service::{ChatService, Gateway, RequestContext};
use pretty_assertions::assert_eq;

fn status(gateway: &Gateway, target: &str) -> TargetStatus {
    gateway.targets().into_iter().find(|t| t.target == target).unwrap()
}

/// (healthy, state, consecutive failures) of a target.
fn health(gateway: &Gateway, target: &str) -> (bool, &'static str, u32) {
    let health = status(gateway, target).health;
    (health.healthy, health.state, health.consecutive_failures)
}

fn resting_for(gateway: &Gateway, target: &str) -> Duration {
    status(gateway, target).health.resting_for
}

#[tokio::test]
async fn a_failing_target_rests_is_probed_and_recovers() {
    let (a, b) = (mock().await, mock().await);
    let gateway = gateway(&format!(
        "{NO_RETRIES}[routing]\nfailure_threshold = 3\ncooldown_seconds = 0.2\nmax_cooldown_seconds = 0.5\n{}{}\
         [models.g]\ntargets = [\"a/gpt-4o\", \"b/gpt-4o\"]\n",
        openai("a", &a),
        openai("b", &b),
    ));
    let mut before = vec![];
    assert_eq!(serve(&gateway, "g", false).await, served("a", "gpt-4o", 1, 0));
    assert_eq!(deltas(&[&a, &b], &mut before), [1, 0]);

    a.set_outage(Some(Scenario::Unavailable));
    for i in 1..=3 {
        assert_eq!(serve(&gateway, "g", i % 2 == 0).await, served("b", "gpt-4o", 2, 0), "failure {i}");
        let expected = if i < 3 { (true, "healthy", i) } else { (false, "resting", 3) };
        assert_eq!(health(&gateway, "a/gpt-4o"), expected, "after failure {i}");
    }
    assert_eq!(deltas(&[&a, &b], &mut before), [3, 3]);
    let rest = resting_for(&gateway, "a/gpt-4o");
    assert!(rest > Duration::from_millis(100) && rest <= Duration::from_millis(200), "{rest:?}");

    // Resting: skipped, its mock hears nothing.
    for stream in [false, true, false] {
        assert_eq!(serve(&gateway, "g", stream).await, served("b", "gpt-4o", 1, 0));
    }
    assert_eq!(deltas(&[&a, &b], &mut before), [0, 3]);

    // After the cool-down one request probes it, first; the probe fails and the rest doubles.
    tokio::time::sleep(Duration::from_millis(250)).await;
    let plan = gateway.plan(&request("g", false), &RequestContext::default()).unwrap();
    assert_eq!(plan.targets().collect::<Vec<_>>(), [("a", "gpt-4o"), ("b", "gpt-4o")]);
    assert_eq!(health(&gateway, "a/gpt-4o"), (false, "probing", 3));
    let other = gateway.plan(&request("g", false), &RequestContext::default()).unwrap();
    assert_eq!(other.targets().collect::<Vec<_>>(), [("b", "gpt-4o")], "one probe at a time");
    drop(other);
    let answer = gateway.complete(plan, request("g", false)).await.unwrap();
    assert_eq!(answer.served, served("b", "gpt-4o", 2, 0));
    assert_eq!(deltas(&[&a, &b], &mut before), [1, 1]);
    assert_eq!(health(&gateway, "a/gpt-4o"), (false, "resting", 4));
    let rest = resting_for(&gateway, "a/gpt-4o");
    assert!(rest > Duration::from_millis(300) && rest <= Duration::from_millis(400), "doubled: {rest:?}");
    assert_eq!(serve(&gateway, "g", false).await, served("b", "gpt-4o", 1, 0));
    assert_eq!(deltas(&[&a, &b], &mut before), [0, 1]);

    // A second failed probe: doubled again, but capped at max_cooldown_seconds.
    tokio::time::sleep(Duration::from_millis(450)).await;
    assert_eq!(serve(&gateway, "g", false).await, served("b", "gpt-4o", 2, 0));
    assert_eq!(deltas(&[&a, &b], &mut before), [1, 1]);
    let rest = resting_for(&gateway, "a/gpt-4o");
    assert!(rest > Duration::from_millis(400) && rest <= Duration::from_millis(500), "capped: {rest:?}");

    // The upstream comes back: still resting until the rest is over, then the probe succeeds and closes.
    a.set_outage(None);
    assert_eq!(serve(&gateway, "g", true).await, served("b", "gpt-4o", 1, 0));
    tokio::time::sleep(Duration::from_millis(550)).await;
    assert_eq!(serve(&gateway, "g", true).await, served("a", "gpt-4o", 1, 0));
    assert_eq!(health(&gateway, "a/gpt-4o"), (true, "healthy", 0));
    assert_eq!(resting_for(&gateway, "a/gpt-4o"), Duration::ZERO);
    assert_eq!(serve(&gateway, "g", false).await, served("a", "gpt-4o", 1, 0));
    assert_eq!(deltas(&[&a, &b], &mut before), [2, 1]);
    let a_status = status(&gateway, "a/gpt-4o");
    assert_eq!((a_status.requests, a_status.failures), (8, 5));

    // Closed again, the next rest starts from the first cool-down.
    a.set_outage(Some(Scenario::Unavailable));
    for _ in 0..3 {
        assert_eq!(serve(&gateway, "g", false).await, served("b", "gpt-4o", 2, 0));
    }
    let rest = resting_for(&gateway, "a/gpt-4o");
    assert!(rest > Duration::from_millis(100) && rest <= Duration::from_millis(200), "{rest:?}");
}

#[tokio::test]
async fn when_every_target_rests_they_are_tried_anyway() {
    let (a, b) = (mock().await, mock().await);
    let gateway = gateway(&format!(
        "{NO_RETRIES}[routing]\nfailure_threshold = 1\ncooldown_seconds = 30\n{}{}\
         [models.g]\ntargets = [\"a/gpt-4o\", \"b/gpt-4o\"]\n",
        openai("a", &a),
        openai("b", &b),
    ));
    let mut before = vec![];
    a.set_outage(Some(Scenario::Unavailable));
    b.set_outage(Some(Scenario::Unavailable));
    for _ in 0..2 {
        let error = gateway.chat_completion(request("g", false)).await.unwrap_err();
        assert_eq!(error.code, ErrorCode::ServiceUnavailable);
        assert_eq!(deltas(&[&a, &b], &mut before), [1, 1], "both tried, resting or not");
        assert_eq!(health(&gateway, "a/gpt-4o").1, "resting");
        assert_eq!(health(&gateway, "b/gpt-4o").1, "resting");
    }
    b.set_outage(None);
    assert_eq!(serve(&gateway, "g", false).await, served("b", "gpt-4o", 2, 0));
    assert_eq!(health(&gateway, "b/gpt-4o"), (true, "healthy", 0));
    assert_eq!(serve(&gateway, "g", false).await, served("b", "gpt-4o", 1, 0), "a rests again: skipped");
    assert_eq!(deltas(&[&a, &b], &mut before), [1, 2]);
}

/// Three providers p0, p1, p2 (one mock each) behind one round-robin group with `affinity`.
async fn affinity_gateway(affinity: &str) -> (Gateway, Vec<MockHandle>) {
    let mocks = vec![mock().await, mock().await, mock().await];
    let providers: String = mocks.iter().enumerate().map(|(i, m)| openai(&format!("p{i}"), m)).collect();
    let gateway = gateway(&format!(
        "{NO_RETRIES}[routing]\nfailure_threshold = 1\ncooldown_seconds = 0.3\n{providers}\
         [models.g]\nstrategy = \"round_robin\"\naffinity = \"{affinity}\"\n\
         targets = [\"p0/gpt-4o\", \"p1/gpt-4o\", \"p2/gpt-4o\"]\n",
    ));
    (gateway, mocks)
}

/// Runs one request for `key` (the `user` field, or the `x-session` header) and returns (provider, attempts).
async fn run(gateway: &Gateway, key: Option<&str>, by_header: bool) -> (String, u32) {
    let lookup = move |name: &str| if name == "x-session" { key } else { None };
    let (request, context) = match key {
        Some(key) if !by_header => (request_from("g", key), RequestContext::default()),
        _ => (request("g", false), RequestContext { headers: Some(&lookup), ..RequestContext::default() }),
    };
    let plan = gateway.plan(&request, &context).unwrap();
    let answer = gateway.complete(plan, request).await.unwrap();
    assert_eq!(answer.served.model, "gpt-4o");
    (answer.served.provider.to_string(), answer.served.attempts)
}

async fn stickiness(affinity: &str, by_header: bool) {
    let (gateway, mocks) = affinity_gateway(affinity).await;
    let index = |provider: &str| provider.strip_prefix('p').unwrap().parse::<usize>().unwrap();

    // Same key, same target; different keys spread over all three.
    let mut pins = BTreeMap::new();
    for i in 0..30 {
        let key = format!("key-{i}");
        let (first, _) = run(&gateway, Some(&key), by_header).await;
        for _ in 0..5 {
            assert_eq!(run(&gateway, Some(&key), by_header).await, (first.clone(), 1), "{key}");
        }
        pins.insert(key, first);
    }
    let used: BTreeSet<&String> = pins.values().collect();
    assert_eq!(used.len(), 3, "{pins:?}");
    let counts: Vec<u64> = mocks.iter().map(|m| m.recorder().count()).collect();
    for (i, count) in counts.iter().enumerate() {
        let keys = pins.values().filter(|p| index(p) == i).count() as u64;
        assert_eq!(*count, keys * 6, "p{i}: every request of its keys, nothing else");
    }

    // Without a key: the group's strategy (round robin).
    let turns: Vec<String> = futures::future::join_all((0..3).map(|_| run(&gateway, None, by_header)))
        .await
        .into_iter()
        .map(|(provider, _)| provider)
        .collect();
    assert_eq!(turns.iter().collect::<BTreeSet<_>>().len(), 3, "{turns:?}");

    // The pinned target's upstream fails: the key moves (to the same second choice every time) while it rests.
    let key = "key-0";
    let pinned = pins[key].clone();
    let down = &mocks[index(&pinned)];
    down.set_outage(Some(Scenario::Unavailable));
    let (moved, attempts) = run(&gateway, Some(key), by_header).await;
    assert_ne!(moved, pinned);
    assert_eq!(attempts, 2, "the pinned target was tried first");
    let heard = down.recorder().count();
    for _ in 0..5 {
        assert_eq!(run(&gateway, Some(key), by_header).await, (moved.clone(), 1));
    }
    // Other keys pinned elsewhere are not disturbed.
    for (other, target) in pins.iter().filter(|(_, target)| **target != pinned).take(3) {
        assert_eq!(run(&gateway, Some(other), by_header).await, (target.clone(), 1), "{other}");
    }
    assert_eq!(down.recorder().count(), heard, "a resting target hears nothing");
    assert_eq!(status(&gateway, &format!("{pinned}/gpt-4o")).health.state, "resting");

    // Recovered and rested: the key comes home.
    down.set_outage(None);
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(run(&gateway, Some(key), by_header).await, (pinned.clone(), 1));
    for _ in 0..5 {
        assert_eq!(run(&gateway, Some(key), by_header).await, (pinned.clone(), 1));
    }
    assert_eq!(down.recorder().count(), heard + 6);
}

#[tokio::test]
async fn user_affinity_sticks_moves_and_returns() {
    stickiness("user", false).await;
}

#[tokio::test]
async fn header_affinity_sticks_moves_and_returns() {
    // Header names are matched lower-cased, whatever the configuration wrote.
    stickiness("header:X-Session", true).await;
}

#[tokio::test]
async fn a_header_affinity_ignores_the_user_field() {
    let (gateway, _mocks) = affinity_gateway("header:x-session").await;
    let turns: BTreeSet<String> = futures::future::join_all(
        (0..3).map(|_| async { gateway.chat_completion(request_from("g", "alice")).await.unwrap().served.target() }),
    )
    .await
    .into_iter()
    .collect();
    assert_eq!(turns.len(), 3, "no header: round robin, although `user` is set: {turns:?}");
}

#[tokio::test]
async fn a_target_written_twice_is_one_member_with_the_weights_added() {
    let (a, b) = (mock().await, mock().await);
    let gateway = gateway(&format!(
        "{NO_RETRIES}{}{}[models.inner]\ntargets = [\"b/gpt-4o\"]\n\
         [models.dup]\ntargets = [\"a/gpt-4o\", {{ model = \"a/gpt-4o\", weight = 2 }}, \"inner\", \"b/gpt-4o\"]\n",
        openai("a", &a),
        openai("b", &b),
    ));
    let dup: Vec<(String, u32)> =
        gateway.targets().into_iter().filter(|t| t.group == "dup").map(|t| (t.target, t.weight)).collect();
    assert_eq!(dup, [("a/gpt-4o".to_owned(), 3), ("b/gpt-4o".to_owned(), 2)]);
}

#[tokio::test]
async fn a_parameter_one_target_cannot_honour_moves_on_without_touching_its_health() {
    let (titan, b) = (mock().await, mock().await);
    let gateway = gateway(&format!(
        "{NO_RETRIES}[routing]\nfailure_threshold = 1\ncooldown_seconds = 0.1\n{}{}\
         [models.g]\ntargets = [\"t/amazon.titan-text-express-v1\", \"b/gpt-4o\"]\n",
        mocks::bedrock("t", &titan),
        openai("b", &b),
    ));
    let with_tools: obs_models::openai::ChatCompletionRequest = serde_json::from_value(serde_json::json!({
        "model": "g", "messages": [{"role": "user", "content": "hello gateway"}],
        "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    }))
    .unwrap();
    let answer = gateway.chat_completion(with_tools).await.unwrap();
    assert_eq!(answer.served, served("b", "gpt-4o", 2, 0), "Titan cannot take tools: the next target can");
    assert_eq!(titan.recorder().count(), 0, "nothing was sent to Titan");
    assert_eq!(health(&gateway, "t/amazon.titan-text-express-v1"), (true, "healthy", 0));

    // A resting Titan whose probe obs refuses before sending stays resting, and the probe is free again.
    titan.set_outage(Some(Scenario::Unavailable));
    assert_eq!(serve(&gateway, "g", false).await, served("b", "gpt-4o", 2, 0));
    assert_eq!(health(&gateway, "t/amazon.titan-text-express-v1"), (false, "resting", 1));
    tokio::time::sleep(Duration::from_millis(150)).await;
    titan.set_outage(None);
    let with_tools: obs_models::openai::ChatCompletionRequest = serde_json::from_value(serde_json::json!({
        "model": "g", "messages": [{"role": "user", "content": "hello gateway"}],
        "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    }))
    .unwrap();
    assert_eq!(gateway.chat_completion(with_tools).await.unwrap().served, served("b", "gpt-4o", 2, 0));
    assert_eq!(titan.recorder().count(), 1, "only the outage's failed request reached Titan");
    assert!(!status(&gateway, "t/amazon.titan-text-express-v1").health.healthy, "a refused probe proves nothing");
    // The next plain request is the probe, and it closes the circuit.
    assert_eq!(serve(&gateway, "g", false).await, served("t", "amazon.titan-text-express-v1", 1, 0));
    assert_eq!(health(&gateway, "t/amazon.titan-text-express-v1"), (true, "healthy", 0));
}

#[tokio::test]
async fn failures_after_output_started_count_against_a_target() {
    let (a, b) = (mock().await, mock().await);
    let gateway = gateway(&format!(
        "{NO_RETRIES}[routing]\nfailure_threshold = 2\ncooldown_seconds = 30\n{}{}\
         [models.g]\ntargets = [\"a/gpt-4o-midstream-error\", \"b/gpt-4o\"]\n",
        openai("a", &a),
        openai("b", &b),
    ));
    for failures in 1..=2u32 {
        let answer = gateway.chat_completion_stream(request("g", true)).await.unwrap();
        assert_eq!(answer.served, served("a", "gpt-4o-midstream-error", 1, 0));
        let (_, error) = mocks::stream_text(answer).await;
        assert_eq!(error.unwrap().code, ErrorCode::UpstreamError);
        let a_status = status(&gateway, "a/gpt-4o-midstream-error");
        assert_eq!((a_status.failures, a_status.health.consecutive_failures), (u64::from(failures), failures));
    }
    assert_eq!(health(&gateway, "a/gpt-4o-midstream-error"), (false, "resting", 2));
    assert_eq!(serve(&gateway, "g", true).await, served("b", "gpt-4o", 1, 0), "the resting target is skipped");
}

#[test]
fn a_hand_built_configuration_gets_the_checks_config_load_makes() {
    let mut config = obs_service::config::Config::default();
    config.routing.cooldown_seconds = -1.0;
    let error = Gateway::new(config).unwrap_err();
    assert_eq!(error.key, "routing.cooldown_seconds");
}

#[tokio::test]
async fn a_lone_target_passes_the_upstreams_retry_after_on_as_it_came() {
    let a = mock().await;
    let gateway = gateway(&format!("{NO_RETRIES}{}", mocks::bedrock("br", &a)));
    // Bedrock's ThrottlingException carries no retry-after: none is made up for a plan of one target.
    let error = gateway.chat_completion(request("br/anthropic.claude-throttle", false)).await.unwrap_err();
    assert_eq!((error.code, error.retry_after), (ErrorCode::RateLimitExceeded, None));
}
