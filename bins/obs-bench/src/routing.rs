//! What a large routing table costs: obs with today's configuration next to obs with 50 providers and 1,000 model
//! groups, on the OpenAI path — a bare id in both, then a group and an explicit `provider/model` id in the large
//! one. Rounds alternate between the processes so machine noise falls on both alike.

use std::time::Duration;

use bytes::Bytes;
use serde_json::json;

use crate::load::{Stats, Target};
use crate::{measure, ms, procs, row};

/// 48 named OpenAI-kind providers (50 with the built-in two) and 1,000 two-target groups, every strategy.
fn large_config(mock: &str) -> String {
    let mut text = String::new();
    for p in 0..48 {
        text.push_str(&format!(
            "[providers.p{p:02}]\nkind = \"openai\"\nbase_url = \"{mock}/v1\"\napi_key = \"sk-bench\"\n\n"
        ));
    }
    for g in 0..1000 {
        let strategy = ["fallback", "round_robin", "weighted", "least_busy"][g % 4];
        text.push_str(&format!(
            "[models.g{g:04}]\ntargets = [\"p{:02}/gpt-4o\", \"openai/gpt-4o\"]\nstrategy = \"{strategy}\"\n\n",
            g % 48
        ));
    }
    text
}

fn chat(base: &str, model: &str) -> Target {
    Target {
        url: format!("{base}/v1/chat/completions"),
        headers: vec![("authorization", "Bearer bench-key".to_owned())],
        body: Bytes::from(
            json!({"model": model, "messages": [{"role": "user", "content": "hello benchmark"}]}).to_string(),
        ),
    }
}

pub async fn table(obs_bin: &str, mock: &str, requests: u64, seconds: u64) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("obs-bench-routing-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let config = dir.join("large.toml");
    std::fs::write(&config, large_config(mock))?;

    let small = procs::obs_with(obs_bin, mock, &[])?;
    let small_probe = chat(&small.base, "gpt-4o");
    let small_ready = procs::wait_ready(Duration::from_secs(30), || crate::ready(&small_probe)).await?;
    let large = procs::obs_with(obs_bin, mock, &[("OBS_CONFIG", config.display().to_string())])?;
    let large_probe = chat(&large.base, "gpt-4o");
    let large_ready = procs::wait_ready(Duration::from_secs(30), || crate::ready(&large_probe)).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (small_rss, large_rss) = (procs::rss_mib(small.child.id()), procs::rss_mib(large.child.id()));

    let direct = Target {
        url: format!("{mock}/v1/chat/completions"),
        headers: vec![("authorization", "Bearer sk-bench".to_owned())],
        ..chat(mock, "gpt-4o")
    };
    let rows = [
        ("today's config, gpt-4o", chat(&small.base, "gpt-4o")),
        ("50 providers + 1,000 groups, gpt-4o", chat(&large.base, "gpt-4o")),
        ("50 providers + 1,000 groups, group g0500", chat(&large.base, "g0500")),
        ("50 providers + 1,000 groups, p07/gpt-4o", chat(&large.base, "p07/gpt-4o")),
    ];
    println!("## Routing cost: today's configuration vs 50 providers and 1,000 model groups (OpenAI path)\n");
    println!(
        "Ready after start: today's config {} ms, large {} ms; RSS idle {small_rss:.1} / {large_rss:.1} MiB.\n",
        ms(small_ready),
        ms(large_ready)
    );
    println!(
        "| round | configuration, model | direct p50 | added p50 (c=1) | added p99 (c=1) | req/s (c=16) | errors |"
    );
    println!("|---|---|---|---|---|---|---|");
    for round in 1..=3 {
        for (name, target) in &rows {
            let base = measure(&direct, 1, requests, seconds).await;
            let one: Stats = measure(target, 1, requests, seconds).await;
            let many = measure(target, 16, requests, seconds).await;
            let (d, o) = (row(&base), row(&one));
            println!(
                "| {round} | {name} | {} | {} | {} | {:.0} | {} |",
                ms(d[0]),
                ms(o[0].saturating_sub(d[0])),
                ms(o[2].saturating_sub(d[2])),
                many.rate(),
                one.errors + many.errors
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
