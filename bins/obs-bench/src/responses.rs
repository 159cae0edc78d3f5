//! The Responses API's cost (`--responses-only`, issue 22 item 7): `/v1/responses` translated to Claude on Bedrock
//! (Responses → internal chat → InvokeModel; chunks → the typed Responses events) against the same conversation on
//! `/v1/chat/completions` (the chat path's conversion), both through obs in the same run, whole and streamed,
//! stateless (`store: false`) and stored (`store: true`, the default: a SQLite file in a temporary directory) —
//! and the emulator asked directly with the InvokeModel body, for the floor. Rounds alternate the sides.

use std::time::Duration;

use bytes::Bytes;
use serde_json::json;

use crate::load::Target;
use crate::{SIGV4, measure, ms, procs, row};

const MODEL: &str = "anthropic.claude-3-haiku-20240307-v1:0";

fn through(obs: &str, path: &str, body: serde_json::Value) -> Target {
    Target {
        url: format!("{obs}{path}"),
        headers: vec![("authorization", format!("Bearer {}", crate::KEY))],
        body: Bytes::from(body.to_string()),
    }
}

/// (direct to the emulator, chat route, Responses route) for one kind.
fn targets(mock: &str, obs: &str, stream: bool, store: bool) -> (Target, Target, Target) {
    let direct = Target {
        url: format!(
            "{mock}/model/{}/{}",
            MODEL.replace(':', "%3A"),
            if stream { "invoke-with-response-stream" } else { "invoke" }
        ),
        headers: vec![("authorization", SIGV4.to_owned())],
        body: Bytes::from(
            json!({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 1024,
                   "messages": [{"role": "user", "content": [{"type": "text", "text": "hello benchmark"}]}]})
            .to_string(),
        ),
    };
    let chat = through(
        obs,
        "/v1/chat/completions",
        json!({"model": MODEL, "max_tokens": 1024, "stream": stream,
               "messages": [{"role": "user", "content": "hello benchmark"}]}),
    );
    let responses = through(
        obs,
        "/v1/responses",
        json!({"model": MODEL, "max_output_tokens": 1024, "stream": stream, "store": store, "input": "hello benchmark"}),
    );
    (direct, chat, responses)
}

pub async fn table(obs_bin: &str, mock: &str, requests: u64, seconds: u64, chunks: usize) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("obs-bench-responses-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let store = format!("sqlite://{}", dir.join("responses.db").display());
    let obs = procs::obs_with(obs_bin, mock, &[("RESPONSES_STORE_URL", store)])?;
    let (_, probe, _) = targets(mock, &obs.base, false, false);
    procs::wait_ready(Duration::from_secs(30), || crate::ready(&probe)).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;

    println!("## OpenAI Responses → Claude on Bedrock vs the chat route, {chunks} chunks per streamed reply\n");
    println!(
        "| round | kind | direct p50 | chat p50 | responses p50 | responses − chat p50 | responses − chat p99 | chat /s @64 | responses /s @64 | errors |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for round in 1..=3 {
        for (kind, stream, store) in [
            ("whole, store: false", false, false),
            ("whole, stored", false, true),
            ("streamed, store: false", true, false),
            ("streamed, stored", true, true),
        ] {
            let (direct, chat, responses) = targets(mock, &obs.base, stream, store);
            let one_direct = measure(&direct, 1, requests, seconds).await;
            let one_chat = measure(&chat, 1, requests, seconds).await;
            let one_responses = measure(&responses, 1, requests, seconds).await;
            let many_chat = measure(&chat, 64, requests, seconds).await;
            let many_responses = measure(&responses, 64, requests, seconds).await;
            let (d, c, r) = (row(&one_direct), row(&one_chat), row(&one_responses));
            let signed = |a: Duration, b: Duration| {
                if a >= b { ms(a - b) } else { format!("−{}", ms(b - a)) }
            };
            println!(
                "| {round} | {kind} | {} | {} | {} | {} | {} | {:.0} | {:.0} | {} |",
                ms(d[0]),
                ms(c[0]),
                ms(r[0]),
                signed(r[0], c[0]),
                signed(r[2], c[2]),
                many_chat.rate(),
                many_responses.rate(),
                one_direct.errors + one_chat.errors + one_responses.errors + many_chat.errors + many_responses.errors
            );
        }
    }
    drop(obs);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
