//! Streaming behaviour over a real listener: mid-stream errors per target, client disconnect cancelling the
//! upstream, keep-alive comments, graceful shutdown with a stream in flight, 1,000 concurrent streams.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::{KEY, chat, data_lines, start};
use futures::StreamExt;
use obs_mock::{MockConfig, StreamOutcome};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

fn streaming(model: &str) -> Value {
    let mut body = chat(model);
    body["stream"] = json!(true);
    body
}

#[tokio::test]
async fn mid_stream_failures_become_one_error_event_per_target() {
    let t = start(|_| {}).await;
    for model in ["gpt-midstream-error", "anthropic.claude-midstream-error", "meta.llama-midstream-error"] {
        let openai = t.post("/v1/chat/completions", &streaming(model)).await.text().await.unwrap();
        let last: Value = serde_json::from_str(data_lines(&openai).last().unwrap()).unwrap();
        assert_eq!(last["error"]["code"], "upstream_error", "{model}");
        assert_eq!(last["error"]["type"], "api_error");
        assert!(last["error"].as_object().unwrap().contains_key("param"));
        assert!(!openai.contains("[DONE]"), "{model}");
        assert!(data_lines(&openai).len() >= 2, "some output came first");

        let claude =
            t.post("/v1/chat/completions?target_format=bedrock_claude", &streaming(model)).await.text().await.unwrap();
        assert!(
            claude.ends_with("\n\n")
                && claude
                    .contains("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":"),
            "{claude}"
        );
        assert!(!claude.contains("message_stop"));

        let titan =
            t.post("/v1/chat/completions?target_format=bedrock_titan", &streaming(model)).await.text().await.unwrap();
        let last: Value = serde_json::from_str(data_lines(&titan).last().unwrap()).unwrap();
        assert_eq!(last["error"]["code"], "upstream_error", "{model}");
    }
}

#[tokio::test]
async fn a_client_disconnect_cancels_the_upstream_at_once() {
    let t = start(|_| {}).await;
    for model in ["gpt-slow", "anthropic.claude-slow", "meta.llama-slow"] {
        let mut response = t.post("/v1/chat/completions", &streaming(model)).await;
        assert_eq!(response.status(), 200);
        let first = response.chunk().await.unwrap().unwrap();
        assert!(first.starts_with(b"data: "));
        let upstream = t.mock().recorder().last().unwrap();
        drop(response);
        assert_eq!(
            t.mock().recorder().wait_for_outcome(upstream.seq, Duration::from_secs(5)).await,
            Some(StreamOutcome::ClientGone),
            "{model}: the upstream stream must be dropped when the client goes"
        );
    }
}

#[tokio::test]
async fn keep_alive_comments_while_the_upstream_is_silent() {
    let mock = obs_mock::spawn(MockConfig {
        chunk_delay: Duration::from_millis(1300),
        chunks: Some(3),
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let mut config = obs_service::config::Config::default();
    config.server.port = 0;
    config.server.keep_alive_seconds = 1;
    config.openai.base_url = mock.openai_base_url();
    config.openai.api_key = Some(secrecy::SecretString::from("sk".to_owned()));
    // Not demo mode: the store would be a file in the working directory.
    config.responses.store_url = Some("sqlite::memory:".to_owned());
    let server = obs_server::start(obs_server::ServeOptions { config, no_auth: true, demo: false }).await.unwrap();
    let transcript = reqwest::Client::new()
        .post(format!("http://{}/v1/chat/completions", server.local_addr()))
        .json(&streaming("gpt-4o"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(transcript.matches(": keep-alive\n\n").count() >= 2, "{transcript}");
    let text: String = data_lines(&transcript)
        .iter()
        .filter(|d| *d != "[DONE]")
        .filter_map(|d| {
            serde_json::from_str::<Value>(d).unwrap()["choices"][0]["delta"]["content"].as_str().map(str::to_owned)
        })
        .collect();
    assert_eq!(text, "lorem ipsum dolor");
    assert!(transcript.ends_with("data: [DONE]\n\n"));
}

#[tokio::test]
async fn graceful_shutdown_lets_a_stream_in_flight_finish() {
    let t = start(|c| c.server.shutdown_grace_seconds = 10).await;
    let mut response = t.post("/v1/chat/completions", &streaming("anthropic.claude-slow")).await;
    let mut transcript = String::from_utf8(response.chunk().await.unwrap().unwrap().to_vec()).unwrap();
    t.server.shutdown();
    while let Some(bytes) = response.chunk().await.unwrap() {
        transcript.push_str(std::str::from_utf8(&bytes).unwrap());
    }
    assert!(transcript.ends_with("data: [DONE]\n\n"), "{transcript}");
    let refused = reqwest::Client::new().get(format!("{}/health", t.base)).send().await;
    assert!(refused.is_err(), "no new connections after shutdown");
    tokio::time::timeout(Duration::from_secs(5), t.server.wait()).await.unwrap();
}

#[tokio::test]
async fn a_thousand_concurrent_streams_complete_with_none_lost() {
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let t = start(|c| c.server.shutdown_grace_seconds = 5).await;
    let client = reqwest::Client::new();
    let url = format!("{}/v1/chat/completions", t.base);
    let complete = futures::stream::iter(0..1000)
        .map(|i| {
            let client = client.clone();
            let url = url.clone();
            async move {
                let model = ["gpt-4o", "anthropic.claude-v2", "meta.llama3"][i % 3];
                let response = client.post(&url).bearer_auth(KEY).json(&streaming(model)).send().await.ok()?;
                let text = response.text().await.ok()?;
                let content: String = data_lines(&text)
                    .iter()
                    .filter(|d| *d != "[DONE]")
                    .filter_map(|d| {
                        serde_json::from_str::<Value>(d).ok()?["choices"][0]["delta"]["content"]
                            .as_str()
                            .map(str::to_owned)
                    })
                    .collect();
                (text.ends_with("data: [DONE]\n\n") && content == "You said: hello obs").then_some(())
            }
        })
        .buffer_unordered(1000)
        .filter(|done| futures::future::ready(done.is_some()))
        .count()
        .await;
    assert_eq!(complete, 1000);
    let metrics = t.client.get(format!("{}/metrics", t.base)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("obs_active_streams 0"), "{metrics}");
    assert!(metrics.contains("route=\"chat_completions\",status=\"200\",provider=\"bedrock\"} 666"), "{metrics}");
}
