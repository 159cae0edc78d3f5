//! The Bedrock runtime ingress's cost (`--bedrock-only`, issue 21 item 7): Converse and ConverseStream through obs
//! to Amazon Nova on Bedrock (the passthrough: the client's body to the emulator's Converse, its JSON and frames
//! relayed) against the emulator asked directly with the same body; and Converse to an OpenAI-kind model (the
//! translation: Converse → chat completion → Converse JSON / event-stream frames) against the emulator's chat
//! completions asked directly with the body obs sends it. Rounds alternate the sides so machine noise falls on all
//! alike.

use std::time::Duration;

use bytes::Bytes;
use serde_json::json;

use crate::load::Target;
use crate::{SIGV4, measure, ms, procs, row};

const NOVA: &str = "amazon.nova-lite-v1%3A0";

/// (direct, through obs) for one path: `openai` picks the translated path, `stream` the streamed operation.
fn targets(mock: &str, obs: &str, openai: bool, stream: bool) -> (Target, Target) {
    let converse = json!({"messages": [{"role": "user", "content": [{"text": "hello benchmark"}]}]});
    let operation = if stream { "converse-stream" } else { "converse" };
    let model = if openai { "gpt-4o" } else { NOVA };
    let through = Target {
        url: format!("{obs}/model/{model}/{operation}"),
        headers: vec![("authorization", format!("Bearer {}", crate::KEY))],
        body: Bytes::from(converse.to_string()),
    };
    let direct = if openai {
        let mut chat = json!({"model": "gpt-4o",
            "messages": [{"role": "user", "content": [{"type": "text", "text": "hello benchmark"}]}]});
        if stream {
            chat["stream"] = json!(true);
            chat["stream_options"] = json!({"include_usage": true});
        }
        Target {
            url: format!("{mock}/v1/chat/completions"),
            headers: vec![("authorization", "Bearer sk-bench".to_owned())],
            body: Bytes::from(chat.to_string()),
        }
    } else {
        Target {
            url: format!("{mock}/model/{NOVA}/{operation}"),
            headers: vec![("authorization", SIGV4.to_owned())],
            body: Bytes::from(converse.to_string()),
        }
    };
    (direct, through)
}

pub async fn table(obs_bin: &str, mock: &str, requests: u64, seconds: u64, chunks: usize) -> anyhow::Result<()> {
    let obs = procs::obs(obs_bin, mock)?;
    let (_, probe) = targets(mock, &obs.base, false, false);
    procs::wait_ready(Duration::from_secs(30), || crate::ready(&probe)).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;

    println!("## Bedrock runtime ingress (Converse), {chunks} chunks per streamed reply\n");
    println!(
        "| round | path | kind | direct p50 | obs p50 | added p50 (c=1) | added p99 (c=1) | added per chunk (µs) | direct /s @64 | obs /s @64 | errors |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for round in 1..=3 {
        for (path, openai) in
            [("Converse → Nova on Bedrock (passthrough)", false), ("Converse → OpenAI-kind (translated)", true)]
        {
            for (kind, stream) in [("whole", false), ("streamed", true)] {
                let (direct, through) = targets(mock, &obs.base, openai, stream);
                let one_direct = measure(&direct, 1, requests, seconds).await;
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
                    "| {round} | {path} | {kind} | {} | {} | {} | {} | {per_chunk} | {:.0} | {:.0} | {} |",
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
    }
    Ok(())
}
