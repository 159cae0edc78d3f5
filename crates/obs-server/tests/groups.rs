//! Named providers and model groups over a real listener: `x-obs-target`, fallback before the first byte (and
//! never after it), every target throttled, explicit `<provider>/<model-id>` ids, groups in `/v1/models`,
//! `GET /obs/targets`, the `obs_target_*` metrics, target health (rest, probe, recovery), the strategies, affinity
//! and the request log's `target=`. Each upstream is its own obs-mock, so which one was asked is counted.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{KEY, TestServer, chat, data_lines, start, status_json};
use obs_mock::{MockConfig, MockHandle, Scenario};
use obs_service::config::Config;
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------------------------
// Harness

async fn mock() -> MockHandle {
    obs_mock::spawn(MockConfig::default()).await.unwrap()
}

/// `[providers.<name>]` of kind `openai` at `base_url`.
fn openai(name: &str, base_url: &str) -> String {
    format!("[providers.{name}]\nkind = \"openai\"\napi_key = \"sk-test\"\nbase_url = \"{base_url}\"\n")
}

/// `[providers.<name>]` of kind `bedrock` at `mock`, with static test credentials.
fn bedrock(name: &str, mock: &MockHandle) -> String {
    let url = mock.base_url();
    format!(
        "[providers.{name}]\nkind = \"bedrock\"\nregion = \"us-east-1\"\nendpoint_url = \"{url}\"\n\
         control_endpoint_url = \"{url}\"\n[providers.{name}.aws]\naccess_key_id = \"AKIDTEST\"\n\
         secret_access_key = \"test-secret\"\n"
    )
}

/// A demo-mode server with the providers, groups, aliases and `[routing]` of `toml` (validated as a loaded file
/// would be), then `configure`.
async fn gateway_with(toml: &str, configure: impl FnOnce(&mut Config)) -> TestServer {
    let parsed = Config::from_toml(toml).unwrap();
    start(move |c| {
        c.providers = parsed.providers;
        c.models.groups = parsed.models.groups;
        c.aliases = parsed.aliases;
        c.routing = parsed.routing;
        configure(c);
        c.validate().unwrap();
    })
    .await
}

async fn gateway(toml: &str) -> TestServer {
    gateway_with(toml, |_| {}).await
}

fn request(model: &str, stream: bool) -> Value {
    let mut body = chat(model);
    body["stream"] = json!(stream);
    body
}

fn served_by(response: &reqwest::Response) -> Option<String> {
    response.headers().get("x-obs-target").map(|v| v.to_str().unwrap().to_owned())
}

/// Ids and timestamps replaced (`"ID"`, 0), as the golden transcripts do.
fn normalise(mut value: Value) -> Value {
    if value.get("id").is_some() {
        value["id"] = json!("ID");
    }
    if value.get("created").is_some() {
        value["created"] = json!(0);
    }
    value
}

/// An SSE transcript's `data:` payloads, JSON normalised, `[DONE]` as a string.
fn transcript(raw: &str) -> Vec<Value> {
    data_lines(raw)
        .into_iter()
        .map(|d| if d == "[DONE]" { json!("[DONE]") } else { normalise(serde_json::from_str(&d).unwrap()) })
        .collect()
}

/// Status, `x-obs-target`, and the body: normalised JSON, or the normalised transcript of a stream.
async fn send(t: &TestServer, model: &str, stream: bool) -> (u16, Option<String>, Value) {
    let response = t.post("/v1/chat/completions", &request(model, stream)).await;
    let status = response.status().as_u16();
    let target = served_by(&response);
    let is_sse = response.headers().get("content-type").is_some_and(|v| v == "text/event-stream");
    let text = response.text().await.unwrap();
    let body = if is_sse { Value::Array(transcript(&text)) } else { normalise(serde_json::from_str(&text).unwrap()) };
    (status, target, body)
}

async fn targets(t: &TestServer) -> Vec<Value> {
    let (status, body) = status_json(t.get("/obs/targets").await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["object"], "list");
    body["data"].as_array().unwrap().clone()
}

fn find<'a>(data: &'a [Value], group: &str, target: &str) -> &'a Value {
    data.iter().find(|t| t["group"] == group && t["target"] == target).unwrap_or_else(|| panic!("{group} {target}"))
}

/// One `/obs/targets` entry.
#[allow(clippy::too_many_arguments)]
fn entry(
    group: &str,
    target: &str,
    weight: u32,
    state: &str,
    consecutive_failures: u32,
    in_flight: u32,
    requests: u32,
    failures: u32,
) -> Value {
    let (provider, model) = target.split_once('/').unwrap();
    json!({"group": group, "target": target, "provider": provider, "model": model, "weight": weight,
        "healthy": state == "healthy", "state": state, "consecutive_failures": consecutive_failures,
        "resting_seconds": 0.0, "in_flight": in_flight, "requests": requests, "failures": failures})
}

/// Polls `/obs/targets` (for at least 5 s, then gives up) until `ready` holds for the entry.
async fn wait_for(t: &TestServer, group: &str, target: &str, ready: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..500 {
        let data = targets(t).await;
        let entry = find(&data, group, target).clone();
        if ready(&entry) {
            return entry;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{group} {target} never reached the expected state");
}

/// The `obs_target_*` part of `/metrics`, from its first `# HELP` line to `# EOF`.
async fn target_metrics(t: &TestServer) -> String {
    let text = t.get("/metrics").await.text().await.unwrap();
    let start = text.find("# HELP obs_target_healthy").unwrap_or_else(|| panic!("{text}"));
    text[start..].to_owned()
}

// ---------------------------------------------------------------------------------------------------------------
// What the mocks answer to "hello obs", normalised

const WORDS: [&str; 4] = ["You", " said:", " hello", " obs"];

fn openai_completion(model: &str) -> Value {
    json!({"id": "ID", "object": "chat.completion", "created": 0, "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "You said: hello obs", "refusal": null,
            "annotations": []}, "logprobs": null, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 2, "completion_tokens": 4, "total_tokens": 6,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0}},
        "service_tier": "default", "system_fingerprint": "fp_5f2b9c04d1"})
}

fn openai_chunk(model: &str, delta: Value, finish: Value) -> Value {
    json!({"id": "ID", "object": "chat.completion.chunk", "created": 0, "model": model, "service_tier": "default",
        "system_fingerprint": "fp_5f2b9c04d1",
        "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]})
}

/// An OpenAI upstream's stream, passed through: role, the first `words`, then (all words) the stop chunk and
/// `[DONE]`.
fn openai_stream(model: &str, words: usize) -> Vec<Value> {
    let mut lines =
        vec![openai_chunk(model, json!({"role": "assistant", "content": "", "refusal": null}), json!(null))];
    lines.extend(WORDS[..words].iter().map(|w| openai_chunk(model, json!({"content": w}), json!(null))));
    if words == WORDS.len() {
        lines.push(openai_chunk(model, json!({}), json!("stop")));
        lines.push(json!("[DONE]"));
    }
    lines
}

/// A Bedrock (Claude) answer converted to OpenAI's shape; `model` is the id the client sent.
fn bedrock_completion(model: &str) -> Value {
    json!({"id": "ID", "object": "chat.completion", "created": 0, "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "You said: hello obs"},
            "finish_reason": "stop", "logprobs": null}],
        "usage": {"prompt_tokens": 2, "completion_tokens": 4, "total_tokens": 6}})
}

fn bedrock_chunk(model: &str, delta: Value, finish: Value) -> Value {
    json!({"id": "ID", "object": "chat.completion.chunk", "created": 0, "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": null}]})
}

/// A Bedrock stream converted to OpenAI's chunks, as [`openai_stream`] counts words.
fn bedrock_stream(model: &str, words: usize) -> Vec<Value> {
    let mut lines = vec![bedrock_chunk(model, json!({"role": "assistant", "content": ""}), json!(null))];
    lines.extend(WORDS[..words].iter().map(|w| bedrock_chunk(model, json!({"content": w}), json!(null))));
    if words == WORDS.len() {
        lines.push(bedrock_chunk(model, json!({}), json!("stop")));
        lines.push(json!("[DONE]"));
    }
    lines
}

fn error_body(message: &str, kind: &str, param: Option<&str>, code: &str) -> Value {
    json!({"error": {"message": message, "type": kind, "param": param, "code": code}})
}

// ---------------------------------------------------------------------------------------------------------------
// Fallback

#[tokio::test]
async fn a_target_failing_before_the_first_byte_is_answered_by_the_next() {
    // (case, first target, the outage its mock is given, second target). The second answers as OpenAI (verbatim,
    // with the upstream's model id) or, for `bed2/…`, as Bedrock (converted, with the id the client sent).
    let cases = [
        ("429", "a/gpt-4o", Some(Scenario::Throttle), "b/gpt-4o"),
        ("503", "a/gpt-4o", Some(Scenario::Unavailable), "b/gpt-4o"),
        ("unreachable", "down/gpt-4o", None, "b/gpt-4o"),
        ("first-byte timeout", "hang/gpt-4o-timeout", None, "b/gpt-4o"),
        ("500 (midstream-error, not streamed)", "a/gpt-4o-midstream-error", None, "b/gpt-4o"),
        ("Bedrock throttled → OpenAI", "bed/anthropic.claude-3-haiku", Some(Scenario::Throttle), "b/gpt-4o"),
        ("OpenAI 503 → Bedrock", "a/gpt-4o", Some(Scenario::Unavailable), "bed2/anthropic.claude-3-haiku"),
    ];
    for (name, first, outage, second) in cases {
        let (a, b) = (mock().await, mock().await);
        let toml = format!(
            "{}{}{}{}{}{}[models.g]\ntargets = [\"{}\", \"{}\"]\n",
            openai("a", &a.openai_base_url()),
            openai("hang", &a.openai_base_url())
                + "timeouts = { connect_seconds = 1, first_byte_seconds = 0.3, idle_seconds = 1 }\n",
            openai("b", &b.openai_base_url()),
            openai("down", "http://127.0.0.1:1/v1"),
            bedrock("bed", &a),
            bedrock("bed2", &b),
            first,
            second
        );
        let t = gateway(&toml).await;
        a.set_outage(outage);
        // midstream-error fails non-streamed requests only: a stream of it has output (see the next test).
        let modes: &[bool] = if first.contains("midstream") { &[false] } else { &[false, true] };
        for (i, &stream) in modes.iter().enumerate() {
            let (status, target, body) = send(&t, "g", stream).await;
            let expected = match (second.starts_with("bed2/"), stream) {
                (false, false) => openai_completion("gpt-4o"),
                (false, true) => Value::Array(openai_stream("gpt-4o", 4)),
                (true, false) => bedrock_completion("g"),
                (true, true) => Value::Array(bedrock_stream("g", 4)),
            };
            assert_eq!((status, target.as_deref(), body), (200, Some(second), expected), "{name} stream={stream}");
            let tried = u64::try_from(i + 1).unwrap();
            let first_asked = if first.starts_with("down/") { 0 } else { tried };
            assert_eq!(a.recorder().count(), first_asked, "{name}: one attempt on the first target (no retries)");
            assert_eq!(b.recorder().count(), tried, "{name}: the second target answered");
        }
        let n = u32::try_from(modes.len()).unwrap();
        assert_eq!(
            targets(&t).await,
            vec![entry("g", first, 1, "healthy", n, 0, n, n), entry("g", second, 1, "healthy", 0, 0, n, 0)],
            "{name}: under the failure threshold (3) the first target stays healthy"
        );
    }
}

#[tokio::test]
async fn no_fallback_once_output_has_started_nor_on_errors_the_request_caused() {
    let (a, b) = (mock().await, mock().await);
    let toml = format!(
        "{}{}{}\
         [models.mid]\ntargets = [\"a/gpt-4o-midstream-error\", \"b/gpt-4o\"]\n\
         [models.bedmid]\ntargets = [\"bed/anthropic.claude-3-haiku-midstream-error\", \"b/gpt-4o\"]\n\
         [models.invalid]\ntargets = [\"a/gpt-4o-invalid\", \"b/gpt-4o\"]\n\
         [models.notfound]\ntargets = [\"a/gpt-4o-notfound\", \"b/gpt-4o\"]\n",
        openai("a", &a.openai_base_url()),
        openai("b", &b.openai_base_url()),
        bedrock("bed", &a),
    );
    let t = gateway(&toml).await;
    // Some text, then the error event: a 200 transcript without [DONE], from the first target alone.
    let (status, target, body) = send(&t, "mid", true).await;
    let mut expected = openai_stream("gpt-4o-midstream-error", 2);
    expected.push(error_body(
        "The server had an error while processing your request.",
        "api_error",
        None,
        "upstream_error",
    ));
    assert_eq!((status, target.as_deref(), body), (200, Some("a/gpt-4o-midstream-error"), Value::Array(expected)));

    let (status, target, body) = send(&t, "bedmid", true).await;
    let mut expected = bedrock_stream("bedmid", 2);
    expected.push(error_body("The model stream failed (mock scenario).", "api_error", None, "upstream_error"));
    assert_eq!(
        (status, target.as_deref(), body),
        (200, Some("bed/anthropic.claude-3-haiku-midstream-error"), Value::Array(expected))
    );
    assert_eq!(b.recorder().count(), 0, "the second target is never asked after output started");

    // A request the upstream refuses as invalid, or a model it does not have, is not another target's to answer.
    let (status, target, body) = send(&t, "invalid", false).await;
    assert_eq!(
        (status, target, body),
        (
            400,
            None,
            error_body(
                "Invalid value for 'messages': the mock rejects this request as invalid.",
                "invalid_request_error",
                None,
                "upstream_validation_error"
            )
        )
    );
    let (status, target, body) = send(&t, "notfound", true).await;
    assert_eq!(
        (status, target, body),
        (
            404,
            None,
            error_body(
                "The model `gpt-4o-notfound` does not exist or you do not have access to it.",
                "invalid_request_error",
                None,
                "model_not_found"
            )
        )
    );
    assert_eq!(b.recorder().count(), 0);
    assert_eq!(a.recorder().count(), 4);

    // The targets that refused the request answered: nothing counts against them. The streams that failed after
    // output started count once each against their target (below the threshold of 3: still healthy).
    assert_eq!(
        targets(&t).await,
        vec![
            entry("bedmid", "bed/anthropic.claude-3-haiku-midstream-error", 1, "healthy", 1, 0, 1, 1),
            entry("bedmid", "b/gpt-4o", 1, "healthy", 0, 0, 0, 0),
            entry("invalid", "a/gpt-4o-invalid", 1, "healthy", 0, 0, 1, 0),
            entry("invalid", "b/gpt-4o", 1, "healthy", 0, 0, 0, 0),
            entry("mid", "a/gpt-4o-midstream-error", 1, "healthy", 1, 0, 1, 1),
            entry("mid", "b/gpt-4o", 1, "healthy", 0, 0, 0, 0),
            entry("notfound", "a/gpt-4o-notfound", 1, "healthy", 0, 0, 1, 0),
            entry("notfound", "b/gpt-4o", 1, "healthy", 0, 0, 0, 0),
        ]
    );
}

#[tokio::test]
async fn every_target_throttled_is_429_with_retry_after() {
    let (a, b, c) = (mock().await, mock().await, mock().await);
    let toml = format!(
        "{}{}{}{}\
         [models.openai-pair]\ntargets = [\"a/gpt-4o\", \"b/gpt-4o\"]\n\
         [models.bedrock-pair]\ntargets = [\"bed1/anthropic.claude-3-haiku\", \"bed2/amazon.titan-text-express-v1\"]\n\
         [models.mixed]\ntargets = [\"bed1/anthropic.claude-3-haiku\", \"a/gpt-4o\"]\n",
        openai("a", &a.openai_base_url()),
        openai("b", &b.openai_base_url()),
        bedrock("bed1", &c),
        bedrock("bed2", &c),
    );
    let t = gateway(&toml).await;
    for mock in [&a, &b, &c] {
        mock.set_outage(Some(Scenario::Throttle));
    }
    let openai_429 = "Rate limit reached for requests. Please try again in 1s.";
    // (group, the last target's message): OpenAI's mock sends retry-after: 1, Bedrock's none (obs then says 1).
    for (group, message) in [
        ("openai-pair", openai_429),
        ("bedrock-pair", "Too many requests, please wait before trying again."),
        ("mixed", openai_429),
    ] {
        for stream in [false, true] {
            let response = t.post("/v1/chat/completions", &request(group, stream)).await;
            let retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
            assert_eq!(served_by(&response), None);
            assert_eq!(response.headers()["content-type"], "application/json");
            let (status, body) = status_json(response).await;
            assert_eq!(
                (status, retry_after.as_deref(), body),
                (429, Some("1"), error_body(message, "rate_limit_error", None, "rate_limit_exceeded")),
                "{group} stream={stream}"
            );
        }
    }
    assert_eq!((a.recorder().count(), b.recorder().count(), c.recorder().count()), (4, 2, 6), "one attempt per target");

    // Throttled, then unavailable: the last target's error, as it was (no retry-after invented).
    b.set_outage(Some(Scenario::Unavailable));
    let response = t.post("/v1/chat/completions", &request("openai-pair", false)).await;
    assert_eq!(response.headers().get("retry-after"), None);
    let (status, body) = status_json(response).await;
    assert_eq!(
        (status, body),
        (
            503,
            error_body(
                "The engine is currently overloaded, please try again later.",
                "api_error",
                None,
                "service_unavailable"
            )
        )
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Explicit ids, /v1/models, the header switch

#[tokio::test]
async fn explicit_provider_ids_go_to_that_provider_as_sent() {
    let (a, b) = (mock().await, mock().await);
    let toml = format!(
        "{}{}{}[models.g]\ntargets = [\"a/gpt-4o\", \"b/gpt-4o\"]\n",
        openai("a", &a.openai_base_url()),
        openai("b", &b.openai_base_url()),
        bedrock("bed", &b),
    );
    let t = gateway(&toml).await;
    // (client id, x-obs-target, the mock asked, the model id it was asked for)
    let cases: [(&str, &str, &MockHandle, &str); 7] = [
        ("a/gpt-4o", "a/gpt-4o", &a, "gpt-4o"),
        ("b/gpt-4o", "b/gpt-4o", &b, "gpt-4o"),
        (
            "b/meta-llama/Llama-3.1-8B-Instruct",
            "b/meta-llama/Llama-3.1-8B-Instruct",
            &b,
            "meta-llama/Llama-3.1-8B-Instruct",
        ),
        ("bed/anthropic.claude-3-haiku", "bed/anthropic.claude-3-haiku", &b, "anthropic.claude-3-haiku"),
        ("openai/gpt-4o", "openai/gpt-4o", t.mock(), "gpt-4o"),
        ("gpt-4o", "openai/gpt-4o", t.mock(), "gpt-4o"),
        ("anthropic.claude-3-haiku", "bedrock/anthropic.claude-3-haiku", t.mock(), "anthropic.claude-3-haiku"),
    ];
    for (model, served, upstream, upstream_model) in cases {
        for stream in [false, true] {
            let before = upstream.recorder().count();
            let (status, target, body) = send(&t, model, stream).await;
            assert_eq!((status, target.as_deref()), (200, Some(served)), "{model} stream={stream}: {body}");
            assert_eq!(upstream.recorder().count(), before + 1, "{model}");
            assert_eq!(upstream.recorder().last().unwrap().model.as_deref(), Some(upstream_model), "{model}");
            let text: String = match &body {
                Value::Array(lines) => {
                    lines.iter().filter_map(|l| l["choices"][0]["delta"]["content"].as_str()).collect()
                }
                whole => whole["choices"][0]["message"]["content"].as_str().unwrap().to_owned(),
            };
            assert_eq!(text, "You said: hello obs", "{model}");
        }
    }
    let (status, target, body) = send(&t, "b/", false).await;
    assert_eq!(
        (status, target, body),
        (
            400,
            None,
            error_body(
                "'b/' names the provider 'b' but no model: use 'b/<model-id>'.",
                "invalid_request_error",
                Some("model"),
                "invalid_value"
            )
        )
    );
    // Explicit ids name no group target: the group's counters are untouched.
    assert_eq!(
        targets(&t).await,
        vec![entry("g", "a/gpt-4o", 1, "healthy", 0, 0, 0, 0), entry("g", "b/gpt-4o", 1, "healthy", 0, 0, 0, 0)]
    );
}

#[tokio::test]
async fn models_lists_groups_and_aliases_owned_by_obs() {
    let (a, b) = (mock().await, mock().await);
    let toml = format!(
        "{}{}models = [\"listed-by-b\"]\n\
         [aliases]\nfast = \"a:gpt-4o-mini\"\n\
         [models.chat]\ntargets = [\"a/gpt-4o\", \"b/listed-by-b\"]\n\
         [models.claude-fast]\ntargets = [\"bedrock/anthropic.claude-3-haiku\"]\n",
        openai("a", &a.openai_base_url()),
        openai("b", &b.openai_base_url()),
    );
    let t = gateway(&toml).await;
    let (status, body) = status_json(t.get("/v1/models").await).await;
    assert_eq!(status, 200);
    assert_eq!(body["object"], "list");
    let data = body["data"].as_array().unwrap();
    let ids: Vec<&str> = data.iter().map(|m| m["id"].as_str().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(ids, sorted, "sorted, without duplicates");
    let owned_by = |owner: &str| -> Vec<Value> { data.iter().filter(|m| m["owned_by"] == owner).cloned().collect() };
    let obs = |id: &str| json!({"id": id, "object": "model", "created": 0, "owned_by": "obs"});
    assert_eq!(owned_by("obs"), vec![obs("chat"), obs("claude-fast"), obs("fast")]);
    // A provider with a `models` list lists it, bare; one without lists its upstream's, as `<name>/<id>`.
    assert_eq!(owned_by("b"), vec![json!({"id": "listed-by-b", "object": "model", "created": 0, "owned_by": "b"})]);
    let a_ids: Vec<Value> = owned_by("a").iter().map(|m| m["id"].clone()).collect();
    assert_eq!(a_ids, ["a/gpt-4o", "a/gpt-4o-mini", "a/o3-mini", "a/obs-mock-tool", "a/text-embedding-3-small"]);
    assert!(owned_by("openai").iter().any(|m| m["id"] == "gpt-4o"), "the built-in providers stay bare");
    assert_eq!(b.recorder().count(), 0, "a listed provider is not asked");
}

#[tokio::test]
async fn the_target_header_can_be_turned_off() {
    let (a, b) = (mock().await, mock().await);
    let toml = format!(
        "{}{}[models.g]\ntargets = [\"a/gpt-4o\", \"b/gpt-4o\"]\n",
        openai("a", &a.openai_base_url()),
        openai("b", &b.openai_base_url()),
    );
    let t = gateway_with(&toml, |c| c.server.expose_target_header = false).await;
    a.set_outage(Some(Scenario::Throttle));
    for (model, stream, expected) in [
        ("g", false, openai_completion("gpt-4o")),
        ("g", true, Value::Array(openai_stream("gpt-4o", 4))),
        ("anthropic.claude-3-haiku", false, bedrock_completion("anthropic.claude-3-haiku")),
        ("anthropic.claude-3-haiku", true, Value::Array(bedrock_stream("anthropic.claude-3-haiku", 4))),
    ] {
        assert_eq!(send(&t, model, stream).await, (200, None, expected), "{model} stream={stream}");
    }
    assert_eq!(b.recorder().count(), 2, "fallback still happened");
}

// ---------------------------------------------------------------------------------------------------------------
// /obs/targets and /metrics

#[tokio::test]
async fn targets_lists_every_group_target_sorted_and_needs_the_key() {
    let (a, b) = (mock().await, mock().await);
    let toml = format!(
        "{}{}\
         [aliases]\nfast = \"a:gpt-4o-mini\"\n\
         [models.zeta]\ntargets = [\"b/gpt-4o\", \"a/gpt-4o\"]\n\
         [models.inner]\ntargets = [{{ model = \"a/gpt-4o\", weight = 3 }}]\n\
         [models.outer]\ntargets = [{{ model = \"inner\", weight = 2 }}, \"b/gpt-4o\"]\nstrategy = \"weighted\"\n\
         [models.alpha]\ntargets = [\"bedrock/anthropic.claude-3-haiku\", \"gpt-4o\"]\n",
        openai("a", &a.openai_base_url()),
        openai("b", &b.openai_base_url()),
    );
    let t = gateway(&toml).await;

    let url = format!("{}/obs/targets", t.base);
    for (name, builder) in
        [("no key", t.client.get(&url)), ("wrong key", t.client.get(&url).bearer_auth("not-the-key"))]
    {
        let response = builder.send().await.unwrap();
        assert_eq!(response.headers()["www-authenticate"], "Bearer", "{name}");
        let (status, body) = status_json(response).await;
        let message = if name == "no key" { "Not authenticated" } else { "Invalid API key" };
        assert_eq!(
            (status, body),
            (401, error_body(message, "invalid_request_error", None, "invalid_api_key")),
            "{name}"
        );
    }
    let response = t.client.get(&url).header("x-api-key", KEY).send().await.unwrap();
    assert_eq!(response.status(), 200, "x-api-key is accepted as on the API");
    let response = t.client.post(&url).bearer_auth(KEY).send().await.unwrap();
    assert_eq!(response.headers()["allow"], "GET");
    let (status, body) = status_json(response).await;
    assert_eq!(
        (status, body),
        (
            405,
            error_body(
                "Method POST is not allowed on /obs/targets; use GET.",
                "invalid_request_error",
                None,
                "method_not_allowed"
            )
        )
    );

    // Groups by name, targets in the group's order; nested groups expanded (weights multiplied); aliases left out.
    assert_eq!(
        targets(&t).await,
        vec![
            entry("alpha", "bedrock/anthropic.claude-3-haiku", 1, "healthy", 0, 0, 0, 0),
            entry("alpha", "openai/gpt-4o", 1, "healthy", 0, 0, 0, 0),
            entry("inner", "a/gpt-4o", 3, "healthy", 0, 0, 0, 0),
            entry("outer", "a/gpt-4o", 6, "healthy", 0, 0, 0, 0),
            entry("outer", "b/gpt-4o", 1, "healthy", 0, 0, 0, 0),
            entry("zeta", "b/gpt-4o", 1, "healthy", 0, 0, 0, 0),
            entry("zeta", "a/gpt-4o", 1, "healthy", 0, 0, 0, 0),
        ]
    );

    // Each group keeps its own counters, even for the same upstream model.
    assert_eq!(send(&t, "zeta", false).await.1.as_deref(), Some("b/gpt-4o"));
    assert_eq!(send(&t, "inner", true).await.1.as_deref(), Some("a/gpt-4o"));
    let data = targets(&t).await;
    assert_eq!(find(&data, "zeta", "b/gpt-4o"), &entry("zeta", "b/gpt-4o", 1, "healthy", 0, 0, 1, 0));
    assert_eq!(find(&data, "inner", "a/gpt-4o"), &entry("inner", "a/gpt-4o", 3, "healthy", 0, 0, 1, 0));
    assert_eq!(find(&data, "outer", "a/gpt-4o"), &entry("outer", "a/gpt-4o", 6, "healthy", 0, 0, 0, 0));
}

#[tokio::test]
async fn metrics_show_each_group_targets_health_load_and_counters() {
    let (a, b) = (mock().await, mock().await);
    let toml = format!(
        "{}{}[models.g]\ntargets = [\"a/gpt-4o\", \"b/gpt-4o\"]\n[models.solo]\ntargets = [\"b/gpt-4o-mini\"]\n\
         [routing]\nfailure_threshold = 1\n",
        openai("a", &a.openai_base_url()),
        openai("b", &b.openai_base_url()),
    );
    let t = gateway(&toml).await;
    a.set_outage(Some(Scenario::Throttle));
    assert_eq!(send(&t, "g", false).await.1.as_deref(), Some("b/gpt-4o"));
    // a rests now (threshold 1): the next request goes straight to b.
    assert_eq!(send(&t, "g", true).await.1.as_deref(), Some("b/gpt-4o"));
    assert_eq!(a.recorder().count(), 1);
    let expected = "\
# HELP obs_target_healthy 1 while a group's target serves, 0 while it rests after failures.
# TYPE obs_target_healthy gauge
obs_target_healthy{group=\"g\",target=\"a/gpt-4o\"} 0
obs_target_healthy{group=\"g\",target=\"b/gpt-4o\"} 1
obs_target_healthy{group=\"solo\",target=\"b/gpt-4o-mini\"} 1
# HELP obs_target_in_flight Requests in flight on a group's target.
# TYPE obs_target_in_flight gauge
obs_target_in_flight{group=\"g\",target=\"a/gpt-4o\"} 0
obs_target_in_flight{group=\"g\",target=\"b/gpt-4o\"} 0
obs_target_in_flight{group=\"solo\",target=\"b/gpt-4o-mini\"} 0
# HELP obs_target_requests Attempts sent to a group's target.
# TYPE obs_target_requests counter
obs_target_requests_total{group=\"g\",target=\"a/gpt-4o\"} 1
obs_target_requests_total{group=\"g\",target=\"b/gpt-4o\"} 2
obs_target_requests_total{group=\"solo\",target=\"b/gpt-4o-mini\"} 0
# HELP obs_target_failures Attempts on a group's target that failed in a way another target might not.
# TYPE obs_target_failures counter
obs_target_failures_total{group=\"g\",target=\"a/gpt-4o\"} 1
obs_target_failures_total{group=\"g\",target=\"b/gpt-4o\"} 0
obs_target_failures_total{group=\"solo\",target=\"b/gpt-4o-mini\"} 0
# EOF
";
    assert_eq!(target_metrics(&t).await, expected);

    // A server without groups has no obs_target_* families at all.
    let plain = start(|_| {}).await;
    let text = plain.get("/metrics").await.text().await.unwrap();
    assert!(!text.contains("obs_target_"), "{text}");
}

// ---------------------------------------------------------------------------------------------------------------
// Target health

#[tokio::test]
async fn a_failing_target_rests_is_probed_alone_and_comes_back() {
    // a answers slowly once it is back, so its probe can be watched in flight.
    let a = obs_mock::spawn(MockConfig { first_byte_delay: Duration::from_millis(300), ..MockConfig::default() })
        .await
        .unwrap();
    let b = mock().await;
    let toml = format!(
        "{}{}[models.g]\ntargets = [\"a/gpt-4o\", \"b/gpt-4o\"]\n\
         [routing]\nfailure_threshold = 2\ncooldown_seconds = 0.5\nmax_cooldown_seconds = 1.0\n",
        openai("a", &a.openai_base_url()),
        openai("b", &b.openai_base_url()),
    );
    let t = gateway(&toml).await;
    let a_state = |data: &[Value]| find(data, "g", "a/gpt-4o").clone();
    let resting = |entry: &Value| entry["resting_seconds"].as_f64().unwrap();
    a.set_outage(Some(Scenario::Throttle));

    assert_eq!(send(&t, "g", false).await.1.as_deref(), Some("b/gpt-4o"));
    assert_eq!(a_state(&targets(&t).await), entry("g", "a/gpt-4o", 1, "healthy", 1, 0, 1, 1));

    // The second failure in a row: a rests for cooldown_seconds.
    assert_eq!(send(&t, "g", true).await.1.as_deref(), Some("b/gpt-4o"));
    let mut rest = a_state(&targets(&t).await);
    let seconds = resting(&rest);
    assert!(seconds > 0.0 && seconds <= 0.5, "{rest}");
    rest["resting_seconds"] = json!(0.0);
    assert_eq!(rest, entry("g", "a/gpt-4o", 1, "resting", 2, 0, 2, 2));
    assert!(target_metrics(&t).await.contains("obs_target_healthy{group=\"g\",target=\"a/gpt-4o\"} 0\n"));

    // While it rests it is skipped.
    assert_eq!(send(&t, "g", false).await.1.as_deref(), Some("b/gpt-4o"));
    assert_eq!(a.recorder().count(), 2);

    // The rest over, one request probes it; the probe fails, so the rest doubles (up to the cap).
    wait_for(&t, "g", "a/gpt-4o", |e| resting(e) == 0.0).await;
    assert_eq!(send(&t, "g", false).await.1.as_deref(), Some("b/gpt-4o"));
    assert_eq!(a.recorder().count(), 3, "the probe was sent to a");
    let mut rest = a_state(&targets(&t).await);
    let seconds = resting(&rest);
    assert!(seconds > 0.5 && seconds <= 1.0, "doubled: {rest}");
    rest["resting_seconds"] = json!(0.0);
    assert_eq!(rest, entry("g", "a/gpt-4o", 1, "resting", 3, 0, 3, 3));

    // a is back; the next probe is in flight for 300 ms: state "probing", and other requests keep skipping a.
    wait_for(&t, "g", "a/gpt-4o", |e| resting(e) == 0.0).await;
    a.set_outage(None);
    let probe = {
        let client = t.client.clone();
        let url = format!("{}/v1/chat/completions", t.base);
        tokio::spawn(async move { client.post(url).bearer_auth(KEY).json(&request("g", false)).send().await.unwrap() })
    };
    let probing = wait_for(&t, "g", "a/gpt-4o", |e| e["in_flight"] == 1).await;
    assert_eq!(probing, entry("g", "a/gpt-4o", 1, "probing", 3, 1, 4, 3));
    assert_eq!(send(&t, "g", true).await.1.as_deref(), Some("b/gpt-4o"));
    let probe = probe.await.unwrap();
    assert_eq!((probe.status().as_u16(), served_by(&probe).as_deref()), (200, Some("a/gpt-4o")));
    assert_eq!(normalise(probe.json().await.unwrap()), openai_completion("gpt-4o"));

    // The probe succeeded: the circuit is closed and a is first again.
    assert_eq!(a_state(&targets(&t).await), entry("g", "a/gpt-4o", 1, "healthy", 0, 0, 4, 3));
    assert_eq!(send(&t, "g", false).await.1.as_deref(), Some("a/gpt-4o"));
    assert_eq!(find(&targets(&t).await, "g", "b/gpt-4o"), &entry("g", "b/gpt-4o", 1, "healthy", 0, 0, 5, 0));
}

#[tokio::test]
async fn when_every_target_rests_they_are_tried_anyway() {
    let (a, b) = (mock().await, mock().await);
    let toml = format!(
        "{}{}[models.g]\ntargets = [\"a/gpt-4o\", \"b/gpt-4o\"]\n[routing]\nfailure_threshold = 1\n",
        openai("a", &a.openai_base_url()),
        openai("b", &b.openai_base_url()),
    );
    let t = gateway(&toml).await;
    a.set_outage(Some(Scenario::Unavailable));
    b.set_outage(Some(Scenario::Unavailable));
    assert_eq!(send(&t, "g", false).await.0, 503);
    let data = targets(&t).await;
    assert!(data.iter().all(|e| e["state"] == "resting"), "{data:?}");
    // Both rest (30 s by default), and both are back: the request is tried rather than refused untried.
    a.set_outage(None);
    b.set_outage(None);
    assert_eq!(send(&t, "g", false).await, (200, Some("a/gpt-4o".to_owned()), openai_completion("gpt-4o")));
    assert_eq!((a.recorder().count(), b.recorder().count()), (2, 1));
}

// ---------------------------------------------------------------------------------------------------------------
// Strategies and affinity

/// Who served each of `n` requests to `group` (streamed and not, alternately).
async fn sequence(t: &TestServer, group: &str, n: usize) -> Vec<String> {
    let mut served = Vec::new();
    for i in 0..n {
        served.push(send(t, group, i % 2 == 1).await.1.unwrap());
    }
    served
}

#[tokio::test]
async fn round_robin_and_weighted_choose_the_first_target_in_turn() {
    let (a, b) = (mock().await, mock().await);
    let toml = format!(
        "{}{}\
         [models.rr]\ntargets = [\"a/gpt-4o\", \"b/gpt-4o\"]\nstrategy = \"round_robin\"\n\
         [models.w]\ntargets = [{{ model = \"a/gpt-4o\", weight = 3 }}, \"b/gpt-4o\"]\nstrategy = \"weighted\"\n\
         [models.fb]\ntargets = [\"a/gpt-4o\", \"b/gpt-4o\"]\n",
        openai("a", &a.openai_base_url()),
        openai("b", &b.openai_base_url()),
    );
    let t = gateway(&toml).await;
    let sequence = |group: &'static str, n: usize| sequence(&t, group, n);
    assert_eq!(sequence("rr", 4).await, ["a/gpt-4o", "b/gpt-4o", "a/gpt-4o", "b/gpt-4o"]);
    // Smooth weighted round robin, 3:1: exact over each cycle of 4, interleaved.
    let w = ["a/gpt-4o", "a/gpt-4o", "b/gpt-4o", "a/gpt-4o"];
    assert_eq!(sequence("w", 8).await, [w, w].concat());
    assert_eq!(sequence("fb", 3).await, ["a/gpt-4o"; 3]);
    // Round robin's turn falls on a while it is down: a is tried, then b answers.
    a.set_outage(Some(Scenario::Throttle));
    let before = a.recorder().count();
    assert_eq!(sequence("rr", 2).await, ["b/gpt-4o", "b/gpt-4o"]);
    assert_eq!(a.recorder().count(), before + 1, "a is tried on its turn only: b's turn has a as its fallback");
}

/// A stream to `group`, its first event read and the rest left in flight.
async fn open(t: &TestServer, group: &str) -> reqwest::Response {
    let mut response = t.post("/v1/chat/completions", &request(group, true)).await;
    assert_eq!(response.status(), 200);
    let first = response.chunk().await.unwrap().unwrap();
    assert!(first.starts_with(b"data: "));
    response
}

#[tokio::test]
async fn least_busy_sends_to_the_target_with_fewer_streams_in_flight() {
    // Streams that take 5 s between chunks stay in flight until the client drops them.
    let slow = || obs_mock::spawn(MockConfig { chunk_delay: Duration::from_secs(5), ..MockConfig::default() });
    let (a, b) = (slow().await.unwrap(), slow().await.unwrap());
    let toml = format!(
        "{}{}[models.lb]\ntargets = [\"a/gpt-4o\", \"b/gpt-4o\"]\nstrategy = \"least_busy\"\n",
        openai("a", &a.openai_base_url()),
        openai("b", &b.openai_base_url()),
    );
    let t = gateway(&toml).await;
    let first = open(&t, "lb").await;
    assert_eq!(served_by(&first).as_deref(), Some("a/gpt-4o"), "idle: ties in turn, starting with the first");
    let second = open(&t, "lb").await;
    assert_eq!(served_by(&second).as_deref(), Some("b/gpt-4o"));
    assert_eq!(
        targets(&t).await,
        vec![entry("lb", "a/gpt-4o", 1, "healthy", 0, 1, 1, 0), entry("lb", "b/gpt-4o", 1, "healthy", 0, 1, 1, 0)]
    );
    let metrics = target_metrics(&t).await;
    assert!(metrics.contains("obs_target_in_flight{group=\"lb\",target=\"a/gpt-4o\"} 1\n"), "{metrics}");
    // The client leaving ends b's stream; a still streams. Turn order would now say a; least busy says b.
    drop(second);
    wait_for(&t, "lb", "b/gpt-4o", |e| e["in_flight"] == 0).await;
    let third = open(&t, "lb").await;
    assert_eq!(served_by(&third).as_deref(), Some("b/gpt-4o"));
    drop((first, third));
    wait_for(&t, "lb", "a/gpt-4o", |e| e["in_flight"] == 0).await;
    wait_for(&t, "lb", "b/gpt-4o", |e| e["in_flight"] == 0).await;
}

#[tokio::test]
async fn affinity_keeps_a_key_on_one_target_and_moves_it_when_that_target_rests() {
    let (a, b) = (mock().await, mock().await);
    let toml = format!(
        "{}{}\
         [models.by-user]\ntargets = [\"a/gpt-4o\", \"b/gpt-4o\"]\nstrategy = \"round_robin\"\naffinity = \"user\"\n\
         [models.by-tenant]\ntargets = [\"a/gpt-4o\", \"b/gpt-4o\"]\nstrategy = \"round_robin\"\naffinity = \"header:X-Tenant\"\n\
         [routing]\nfailure_threshold = 1\n",
        openai("a", &a.openai_base_url()),
        openai("b", &b.openai_base_url()),
    );
    let t = gateway(&toml).await;
    let url = format!("{}/v1/chat/completions", t.base);
    let ask = |group: &str, user: Option<&str>, tenant: Option<&str>| {
        let mut body = request(group, false);
        if let Some(user) = user {
            body["user"] = json!(user);
        }
        let mut builder = t.client.post(&url).bearer_auth(KEY).json(&body);
        if let Some(tenant) = tenant {
            builder = builder.header("x-tenant", tenant);
        }
        async move {
            let response = builder.send().await.unwrap();
            assert_eq!(response.status(), 200);
            served_by(&response).unwrap()
        }
    };
    for (group, by_user) in [("by-user", true), ("by-tenant", false)] {
        let key = |k: String| if by_user { (Some(k), None) } else { (None, Some(k)) };
        // Each key sticks to one target across requests, whatever round robin's turn.
        let mut seen = std::collections::BTreeSet::new();
        for k in 0..16 {
            let (user, tenant) = key(format!("key-{k}"));
            let first = ask(group, user.as_deref(), tenant.as_deref()).await;
            for _ in 0..3 {
                assert_eq!(ask(group, user.as_deref(), tenant.as_deref()).await, first, "{group} key-{k}");
            }
            seen.insert(first);
        }
        assert_eq!(seen.len(), 2, "{group}: keys spread over both targets");
        // Without a key: the strategy (round robin).
        let without = [ask(group, None, None).await, ask(group, None, None).await];
        assert_ne!(without[0], without[1], "{group}");
    }

    // A key whose target goes down moves to the other (a's failure makes it rest: threshold 1), and stays there.
    let mut on_a = None;
    for k in 0..16 {
        let user = format!("key-{k}");
        if ask("by-user", Some(&user), None).await == "a/gpt-4o" {
            on_a = Some(user);
            break;
        }
    }
    let user = on_a.unwrap();
    a.set_outage(Some(Scenario::Unavailable));
    assert_eq!(ask("by-user", Some(&user), None).await, "b/gpt-4o");
    let asked = a.recorder().count();
    assert_eq!(ask("by-user", Some(&user), None).await, "b/gpt-4o");
    assert_eq!(a.recorder().count(), asked, "a rests: not asked again");
}

// ---------------------------------------------------------------------------------------------------------------
// The request log

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn request_lines(&self) -> Vec<String> {
        let text = String::from_utf8(self.0.lock().unwrap().clone()).unwrap();
        text.lines().filter(|l| l.contains(" request ")).map(str::to_owned).collect()
    }
}

#[tokio::test]
async fn the_request_log_names_the_target_that_served() {
    // The test's runtime is single-threaded, so the server's tasks log to this thread's subscriber.
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .without_time()
        .with_target(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let (a, b) = (mock().await, mock().await);
    let toml = format!(
        "{}{}[models.g]\ntargets = [\"a/gpt-4o\", \"b/gpt-4o\"]\n",
        openai("a", &a.openai_base_url()),
        openai("b", &b.openai_base_url()),
    );
    let t = gateway(&toml).await;
    a.set_outage(Some(Scenario::Throttle));
    assert_eq!(send(&t, "g", false).await.0, 200);
    assert_eq!(send(&t, "g", true).await.0, 200);
    b.set_outage(Some(Scenario::Throttle));
    assert_eq!(send(&t, "g", false).await.0, 429);
    // A stream's line is written when its body is dropped, just after the client has read the end.
    for _ in 0..200 {
        if captured.request_lines().len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let lines = captured.request_lines();
    assert_eq!(lines.len(), 3, "{lines:#?}");
    for (line, fields) in lines.iter().zip([
        r#"status=200 model="g" provider="b" target="b/gpt-4o" retries=0 ingress="openai" outcome="completed" error="-""#,
        r#"status=200 model="g" provider="b" target="b/gpt-4o" retries=0 ingress="openai" outcome="completed" error="-""#,
        r#"status=429 model="g" provider="a" target="-" retries=0 ingress="openai" outcome="error" error="rate_limit_exceeded""#,
    ]) {
        assert!(line.contains(fields), "{line}\nshould contain\n{fields}");
    }
    // The fallback itself is logged at INFO, naming the target that failed.
    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains(r#"target failed; falling back to the next provider=a model="gpt-4o" code=rate_limit_exceeded"#),
        "{text}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn the_operator_reads_what_the_client_does_not() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .without_time()
        .with_target(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let t = gateway(&openai("down", "http://127.0.0.1:1/v1")).await;
    let (status, target, body) = send(&t, "down/gpt-4o", false).await;
    assert_eq!((status, target), (502, None));
    assert_eq!(body["error"]["message"], "Could not connect to the upstream.");
    for _ in 0..200 {
        if !captured.request_lines().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let lines = captured.request_lines();
    let line = lines.first().unwrap_or_else(|| panic!("no request line"));
    // The error chain (URL, address, OS error) is in the log line, with the request id beside it.
    assert!(line.contains("request_id=") && line.contains("error=\"upstream_unreachable\""), "{line}");
    let detail = line.split(" detail=").nth(1).unwrap_or_else(|| panic!("{line}"));
    assert!(detail.contains("127.0.0.1:1"), "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_s_own_limits_hold_for_every_key_together() {
    // One clock minute for the whole test.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    if now % 60 > 45 {
        tokio::time::sleep(Duration::from_secs(61 - now % 60)).await;
    }
    let t = gateway(
        "[models.limited]\ntargets = [\"openai/gpt-4o\"]\nrpm = 3\ntpm = 9000\n\n\
         [models.narrow]\ntargets = [\"openai/gpt-4o-slow\"]\nmax_parallel = 1\n",
    )
    .await;
    // tpm: a request whose estimate alone is over it is refused, and counted nowhere.
    let mut large = chat("limited");
    large["max_tokens"] = json!(10_000);
    let (status, body) = status_json(t.post("/v1/chat/completions", &large).await).await;
    assert_eq!((status, body["error"]["code"].clone()), (429, json!("rate_limit_exceeded")), "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Request too large for the 9000 tokens per minute of the model group 'limited'"),
        "{body}"
    );
    // rpm: three a minute, whoever asks (the refused one above counted: it passed the request limit).
    let answer = t.post("/v1/chat/completions", &chat("limited")).await;
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["x-ratelimit-limit-requests"], "3");
    assert_eq!(answer.headers()["x-ratelimit-limit-tokens"], "9000");
    assert_eq!(t.post("/v1/chat/completions", &chat("limited")).await.status(), 200);
    let (status, body) = status_json(t.post("/v1/chat/completions", &chat("limited")).await).await;
    assert_eq!(
        (status, body["error"]["message"].as_str().unwrap().split(" Retry").next().unwrap()),
        (429, "Rate limit reached for the model group 'limited': 3 requests per minute.")
    );
    // The same model asked for directly is not the group: not limited by it.
    assert_eq!(t.post("/v1/chat/completions", &chat("gpt-4o")).await.status(), 200);

    // max_parallel: a slow stream holds the group's one slot.
    let holding = t.post("/v1/chat/completions", &request("narrow", true)).await;
    assert_eq!(holding.status(), 200);
    let (status, body) = status_json(t.post("/v1/chat/completions", &chat("narrow")).await).await;
    assert_eq!(
        (status, body["error"]["message"].clone()),
        (429, json!("The model group 'narrow' already has 1 requests in flight (its max_parallel); retry shortly."))
    );
    drop(holding.text().await.unwrap());
}

#[test]
fn group_limits_below_one_are_refused_at_load() {
    let config = Config::from_toml("[models.g]\ntargets = [\"openai/gpt-4o\"]\nrpm = 0\n").unwrap();
    assert_eq!(config.validate().unwrap_err().to_string(), "configuration `models.g.rpm`: must be at least 1");
}
