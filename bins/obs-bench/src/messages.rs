//! The Anthropic Messages route's cost (`--messages-only`): `/v1/messages` to Claude on Bedrock (the passthrough:
//! the client's body to InvokeModel, the events relayed) against the emulator asked directly with the body obs
//! sends it, whole and streamed — added latency, per-chunk cost and streams/s — and, for comparison in the same
//! run, the same conversation streamed through the chat route (which converts every event). Rounds alternate the
//! sides so machine noise falls on all alike.

use std::time::Duration;

use bytes::Bytes;
use serde_json::json;

use crate::load::{Stats, Target};
use crate::{SIGV4, measure, ms, procs, row};

const MODEL: &str = "anthropic.claude-3-haiku-20240307-v1:0";

fn targets(mock: &str, obs: &str, stream: bool) -> (Target, Target) {
    let messages = json!([{"role": "user", "content": "hello benchmark"}]);
    let direct = Target {
        url: format!(
            "{mock}/model/{}/{}",
            MODEL.replace(':', "%3A"),
            if stream { "invoke-with-response-stream" } else { "invoke" }
        ),
        headers: vec![("authorization", SIGV4.to_owned())],
        body: Bytes::from(
            json!({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 1024, "messages": messages}).to_string(),
        ),
    };
    let mut body = json!({"model": MODEL, "max_tokens": 1024, "messages": messages});
    if stream {
        body["stream"] = json!(true);
    }
    let through = Target {
        url: format!("{obs}/v1/messages"),
        headers: vec![("x-api-key", crate::KEY.to_owned()), ("anthropic-version", "2023-06-01".to_owned())],
        body: Bytes::from(body.to_string()),
    };
    (direct, through)
}

/// The same conversation streamed through the chat route (Claude body in, OpenAI chunks out): the converting path,
/// for comparison in the same run.
fn chat_stream(obs: &str) -> Target {
    Target {
        url: format!("{obs}/v1/chat/completions"),
        headers: vec![("authorization", format!("Bearer {}", crate::KEY))],
        body: Bytes::from(
            json!({"model": MODEL, "max_tokens": 1024, "stream": true,
                   "messages": [{"role": "user", "content": "hello benchmark"}]})
            .to_string(),
        ),
    }
}

pub async fn table(obs_bin: &str, mock: &str, requests: u64, seconds: u64, chunks: usize) -> anyhow::Result<()> {
    let obs = procs::obs(obs_bin, mock)?;
    let (_, probe) = targets(mock, &obs.base, false);
    procs::wait_ready(Duration::from_secs(30), || crate::ready(&probe)).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;

    println!("## Anthropic Messages → Claude on Bedrock (passthrough), {chunks} chunks per streamed reply\n");
    println!(
        "| round | kind | direct p50 | obs p50 | added p50 (c=1) | added p99 (c=1) | added per chunk (µs) | direct /s @64 | obs /s @64 | errors |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for round in 1..=3 {
        for (kind, stream) in [("whole", false), ("streamed", true), ("streamed, chat route", true)] {
            let (direct, mut through) = targets(mock, &obs.base, stream);
            if kind == "streamed, chat route" {
                through = chat_stream(&obs.base);
            }
            let one_direct: Stats = measure(&direct, 1, requests, seconds).await;
            let one_obs = measure(&through, 1, requests, seconds).await;
            let many_direct = measure(&direct, 64, requests, seconds).await;
            let many_obs = measure(&through, 64, requests, seconds).await;
            let (d, o) = (row(&one_direct), row(&one_obs));
            let per_chunk = if stream {
                format!("{:.1}", o[0].saturating_sub(d[0]).as_secs_f64() * 1e6 / chunks as f64)
            } else {
                "—".to_owned()
            };
            println!(
                "| {round} | {kind} | {} | {} | {} | {} | {per_chunk} | {:.0} | {:.0} | {} |",
                ms(d[0]),
                ms(o[0]),
                ms(o[0].saturating_sub(d[0])),
                ms(o[2].saturating_sub(d[2])),
                many_direct.rate(),
                many_obs.rate(),
                one_direct.errors + one_obs.errors + many_direct.errors + many_obs.errors
            );
        }
    }
    Ok(())
}
