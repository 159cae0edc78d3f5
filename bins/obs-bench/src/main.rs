//! `obs-bench`: starts obs-mock and obs-server (release builds) — and LiteLLM when given — and measures, in one
//! run: direct-to-mock vs through-obs latency at concurrency 1/16/64 for each provider path, streaming time to
//! first byte and per-chunk cost, throughput, memory idle and with 1,000 open streams, and cold start.
//! Loopback only; every loop is bounded in count and time. Prints a markdown report.

mod bedrock;
mod floor;
mod load;
mod messages;
mod nginx;
mod procs;
mod responses;
mod routing;
mod sdk;
mod wrk;

use std::time::{Duration, Instant};

use anyhow::Context;
use bytes::Bytes;
use clap::Parser;
use load::{Stats, Target};
use serde_json::json;

#[derive(Parser)]
struct Args {
    /// obs-mock binary (release).
    #[arg(long, default_value = "target/release/obs-mock")]
    mock_bin: String,
    /// obs-server binary (release).
    #[arg(long, default_value = "target/release/obs-server")]
    obs_bin: String,
    /// litellm executable (from a virtualenv with `litellm[proxy]`); skipped when absent.
    #[arg(long)]
    litellm_bin: Option<String>,
    /// Text chunks per streamed reply.
    #[arg(long, default_value_t = 20)]
    chunks: usize,
    /// Seconds per throughput run.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Requests per concurrency-1 latency run.
    #[arg(long, default_value_t = 2000)]
    requests: u64,
    /// Only the non-streaming table (quick before/after comparisons while profiling).
    #[arg(long)]
    quick: bool,
    /// Only the static-nginx table (when nginx and wrk are installed).
    #[arg(long)]
    nginx_only: bool,
    /// Only the routing-cost table: today's configuration vs 50 providers and 1,000 model groups.
    #[arg(long)]
    routing_only: bool,
    /// Only the Anthropic Messages table: `/v1/messages` to Claude on Bedrock vs the emulator direct.
    #[arg(long)]
    messages_only: bool,
    /// Only the Bedrock runtime table: Converse and ConverseStream through obs (to Bedrock, and translated to an
    /// OpenAI-kind model) vs the emulator direct.
    #[arg(long)]
    bedrock_only: bool,
    /// Only the Responses table: `/v1/responses` to Claude vs the chat route, stateless and stored.
    #[arg(long)]
    responses_only: bool,
    /// Internal: run as the floor proxy in front of this upstream (the harness starts itself this way).
    #[arg(long, hide = true)]
    floor_proxy: Option<String>,
}

const KEY: &str = "bench-key";
const SIGV4: &str =
    "AWS4-HMAC-SHA256 Credential=AKIDBENCH/20260101/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=00";

struct Path {
    name: &'static str,
    direct: Target,
    obs: Target,
}

fn paths(mock: &str, obs: &str, stream: bool) -> Vec<Path> {
    let user = "hello benchmark";
    let obs_body = |model: &str| {
        let mut body = json!({"model": model, "messages": [{"role": "user", "content": user}]});
        if stream {
            body["stream"] = json!(true);
        }
        Bytes::from(body.to_string())
    };
    let obs_target = |model: &str| Target {
        url: format!("{obs}/v1/chat/completions"),
        headers: vec![("authorization", format!("Bearer {KEY}"))],
        body: obs_body(model),
    };
    let sigv4 = vec![("authorization", SIGV4.to_owned())];
    vec![
        Path {
            name: "OpenAI",
            direct: Target { url: format!("{mock}/v1/chat/completions"), headers: vec![("authorization", "Bearer sk-bench".to_owned())], body: obs_body("gpt-4o") },
            obs: obs_target("gpt-4o"),
        },
        Path {
            name: "Bedrock Claude (InvokeModel)",
            direct: Target {
                url: format!("{mock}/model/anthropic.claude-3-haiku-20240307-v1%3A0/{}", if stream { "invoke-with-response-stream" } else { "invoke" }),
                headers: sigv4.clone(),
                body: Bytes::from(json!({"anthropic_version":"bedrock-2023-05-31","max_tokens":4096,"messages":[{"role":"user","content":user}]}).to_string()),
            },
            obs: obs_target("anthropic.claude-3-haiku-20240307-v1:0"),
        },
        Path {
            name: "Bedrock Converse",
            direct: Target {
                url: format!("{mock}/model/amazon.nova-lite-v1%3A0/{}", if stream { "converse-stream" } else { "converse" }),
                headers: sigv4,
                body: Bytes::from(json!({"messages":[{"role":"user","content":[{"text":user}]}]}).to_string()),
            },
            obs: obs_target("amazon.nova-lite-v1:0"),
        },
    ]
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1000.0)
}

fn row(stats: &Stats) -> [Duration; 4] {
    [50.0, 90.0, 99.0, 100.0].map(|p| Stats::percentile(&stats.latencies, p))
}

/// A measured run after a warm-up: `requests` at concurrency 1, else as many as fit in `seconds`.
async fn measure(target: &Target, concurrency: usize, requests: u64, seconds: u64) -> Stats {
    // Warm the pool and both processes first.
    load::run(target, concurrency, (concurrency as u64) * 20, Duration::from_secs(2)).await;
    let requests = if concurrency == 1 { requests } else { u64::MAX };
    load::run(target, concurrency, requests, Duration::from_secs(seconds)).await
}

async fn ready(target: &Target) -> bool {
    load::once(target).await.is_some()
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Some(upstream) = &args.floor_proxy {
        return floor::serve(upstream);
    }
    // One thread for the load generator, as `wrk -t1`: the processes under test get the rest of the machine.
    tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(bench(args))
}

async fn bench(args: Args) -> anyhow::Result<()> {
    let chunks = args.chunks.to_string();
    let mock = procs::mock(&args.mock_bin, &["--chunks", &chunks])?;
    if args.nginx_only {
        return nginx_table(&args, &mock.base).await;
    }
    if args.routing_only {
        return routing::table(&args.obs_bin, &mock.base, args.requests, args.seconds).await;
    }
    if args.messages_only {
        return messages::table(&args.obs_bin, &mock.base, args.requests, args.seconds, args.chunks).await;
    }
    if args.bedrock_only {
        return bedrock::table(&args.obs_bin, &mock.base, args.requests, args.seconds, args.chunks).await;
    }
    if args.responses_only {
        return responses::table(&args.obs_bin, &mock.base, args.requests, args.seconds, args.chunks).await;
    }
    let obs = procs::obs(&args.obs_bin, &mock.base)?;
    let floor = procs::floor(&mock.base)?;
    let plain = paths(&mock.base, &obs.base, false);
    procs::wait_ready(Duration::from_secs(30), || ready(&plain[0].obs)).await?;
    let via_floor = |direct: &Target| Target { url: direct.url.replacen(&mock.base, &floor.base, 1), ..direct.clone() };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rss_idle = procs::rss_mib(obs.child.id());

    println!("## Non-streaming latency (ms) and throughput (req/s)\n");
    println!(
        "| path | conc. | direct p50 | p90 | p99 | max | obs p50 | p90 | p99 | max | added p50 | added p99 | direct req/s | obs req/s | errors |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    let mut floor_rows = Vec::new();
    for path in &plain {
        for concurrency in [1usize, 16, 64] {
            let direct = measure(&path.direct, concurrency, args.requests, args.seconds).await;
            let through = measure(&path.obs, concurrency, args.requests, args.seconds).await;
            let floored = measure(&via_floor(&path.direct), concurrency, args.requests, args.seconds).await;
            let (d, o, f) = (row(&direct), row(&through), row(&floored));
            floor_rows.push(format!(
                "| {} | {concurrency} | {} | {} | {:.0} | {} | {} | {:.0} | {} |",
                path.name,
                ms(f[0].saturating_sub(d[0])),
                ms(f[2].saturating_sub(d[2])),
                floored.rate(),
                ms(o[0].saturating_sub(d[0])),
                ms(o[2].saturating_sub(d[2])),
                through.rate(),
                floored.errors
            ));
            let added = |i: usize| ms(o[i].saturating_sub(d[i]));
            println!(
                "| {} | {concurrency} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.0} | {:.0} | {} |",
                path.name,
                ms(d[0]),
                ms(d[1]),
                ms(d[2]),
                ms(d[3]),
                ms(o[0]),
                ms(o[1]),
                ms(o[2]),
                ms(o[3]),
                added(0),
                added(2),
                direct.rate(),
                through.rate(),
                direct.errors + through.errors
            );
        }
    }

    println!("\n## The floor: a byte-forwarding hyper proxy, same run\n");
    println!(
        "| path | conc. | floor added p50 | floor added p99 | floor req/s | obs added p50 | obs added p99 | obs req/s | errors |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for line in floor_rows {
        println!("{line}");
    }
    wrk_table("Non-streaming", &plain, &via_floor, args.seconds);
    sdk_table(&plain, &mock.base, args.requests).await;
    if args.quick {
        return Ok(());
    }

    println!("\n## Streaming ({} chunks per reply)\n", args.chunks);
    println!(
        "| path | direct TTFB p50 | obs TTFB p50 | direct total p50 | obs total p50 | added per chunk (µs) | direct streams/s @64 | floor streams/s @64 | obs streams/s @64 | errors |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for path in paths(&mock.base, &obs.base, true) {
        let direct = measure(&path.direct, 1, args.requests / 4, args.seconds).await;
        let through = measure(&path.obs, 1, args.requests / 4, args.seconds).await;
        let direct_total = Stats::percentile(&direct.latencies, 50.0);
        let obs_total = Stats::percentile(&through.latencies, 50.0);
        let per_chunk = obs_total.saturating_sub(direct_total).as_secs_f64() * 1e6 / args.chunks as f64;
        let direct64 = measure(&path.direct, 64, args.requests, args.seconds).await;
        let through64 = measure(&path.obs, 64, args.requests, args.seconds).await;
        let floor64 = measure(&via_floor(&path.direct), 64, args.requests, args.seconds).await;
        println!(
            "| {} | {} | {} | {} | {} | {:.1} | {:.0} | {:.0} | {:.0} | {} |",
            path.name,
            ms(Stats::percentile(&direct.first_bytes, 50.0)),
            ms(Stats::percentile(&through.first_bytes, 50.0)),
            ms(direct_total),
            ms(obs_total),
            per_chunk,
            direct64.rate(),
            floor64.rate(),
            through64.rate(),
            direct.errors + through.errors + direct64.errors + through64.errors + floor64.errors
        );
    }
    wrk_table("Streaming", &paths(&mock.base, &obs.base, true), &via_floor, args.seconds);
    let rss_after_load = procs::rss_mib(obs.child.id());
    drop(obs);
    drop(floor);
    nginx_table(&args, &mock.base).await?;

    // 1,000 concurrent open streams against a slow upstream (300 ms between chunks, 40 chunks: ~12 s each).
    let slow_mock = procs::mock(&args.mock_bin, &["--chunks", "40", "--chunk-ms", "300"])?;
    let slow_obs = procs::obs(&args.obs_bin, &slow_mock.base)?;
    let slow_target = paths(&slow_mock.base, &slow_obs.base, true).remove(0).obs;
    let slow_probe = paths(&slow_mock.base, &slow_obs.base, false).remove(0).obs;
    procs::wait_ready(Duration::from_secs(30), || ready(&slow_probe)).await?;
    let rss_before_streams = procs::rss_mib(slow_obs.child.id());
    let mut streams = Vec::new();
    for _ in 0..1000 {
        let target = slow_target.clone();
        streams.push(tokio::spawn(async move { load::once(&target).await.is_some() }));
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    let rss_open_streams = procs::rss_mib(slow_obs.child.id());
    let mut completed = 0;
    for stream in streams {
        if stream.await.unwrap_or(false) {
            completed += 1;
        }
    }
    drop(slow_obs);
    drop(slow_mock);

    // Cold start: process spawn to the first answered chat completion.
    let mut cold = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let obs = procs::obs(&args.obs_bin, &mock.base)?;
        let target = paths(&mock.base, &obs.base, false).remove(0).obs;
        procs::wait_ready(Duration::from_secs(30), || ready(&target)).await?;
        cold.push(started.elapsed());
        drop(obs);
    }

    println!("\n## Memory and start-up\n");
    println!("| measure | obs |");
    println!("|---|---|");
    println!("| RSS idle (after the first request) | {rss_idle:.1} MiB |");
    println!("| RSS after the latency runs | {rss_after_load:.1} MiB |");
    println!("| RSS before the 1,000 streams | {rss_before_streams:.1} MiB |");
    println!(
        "| RSS with 1,000 concurrent open streams | {rss_open_streams:.1} MiB ({completed}/1000 streams completed) |"
    );
    println!("| cold start to first answered request (median of 5) | {} ms |", ms(Stats::percentile(&cold, 50.0)));

    if let Some(litellm_bin) = &args.litellm_bin {
        let dir = std::env::temp_dir().join(format!("obs-bench-litellm-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let started = Instant::now();
        let litellm = procs::litellm(litellm_bin, &mock.base, &dir)?;
        let target = Target {
            url: format!("{}/v1/chat/completions", litellm.base),
            headers: vec![("authorization", format!("Bearer {}", procs::LITELLM_KEY))],
            body: paths(&mock.base, "", false).remove(0).obs.body,
        };
        procs::wait_ready(Duration::from_secs(240), || ready(&target)).await?;
        let litellm_cold = started.elapsed();
        let litellm_idle = procs::rss_mib(litellm.child.id());
        let direct_target = paths(&mock.base, "", false).remove(0).direct;
        println!("\n## LiteLLM proxy {} (same mock, OpenAI path, same harness)\n", litellm_version(litellm_bin));
        println!("| conc. | direct p50 | LiteLLM p50 | p90 | p99 | max | added p50 | LiteLLM req/s | errors |");
        println!("|---|---|---|---|---|---|---|---|---|");
        for concurrency in [1usize, 16, 64] {
            let direct = measure(&direct_target, concurrency, 300, args.seconds).await;
            let through = measure(&target, concurrency, 300, args.seconds).await;
            let (d, o) = (row(&direct), row(&through));
            println!(
                "| {concurrency} | {} | {} | {} | {} | {} | {} | {:.0} | {} |",
                ms(d[0]),
                ms(o[0]),
                ms(o[1]),
                ms(o[2]),
                ms(o[3]),
                ms(o[0].saturating_sub(d[0])),
                through.rate(),
                through.errors
            );
        }
        let litellm_loaded = procs::rss_mib(litellm.child.id());
        println!("\n| measure | LiteLLM |\n|---|---|");
        println!("| RSS idle (after the first request) | {litellm_idle:.1} MiB |");
        println!("| RSS after the runs | {litellm_loaded:.1} MiB |");
        println!("| cold start to first answered request | {} ms |", ms(litellm_cold));
        drop(litellm);
        let _ = std::fs::remove_dir_all(&dir);
    }
    drop(mock);
    Ok(())
}

/// The Bedrock paths at concurrency 1: direct, through the official SDK alone, through obs — back to back, so that
/// obs's added latency can be set against what the SDK it must use adds by itself.
async fn sdk_table(plain: &[Path], mock_base: &str, requests: u64) {
    println!("\n## Bedrock through the official AWS SDK alone, concurrency 1\n");
    println!(
        "The load generator calls the emulator through `aws-sdk-bedrockruntime` itself, configured as obs's adapter \
         (retries off, static credentials): what the SDK adds to every Bedrock call in any gateway that uses it.\n"
    );
    println!(
        "| path | direct p50 | SDK p50 | SDK added p50 | SDK added p99 | obs added p50 | obs added p99 | obs added − SDK added, p50 |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let client = sdk::client(mock_base);
    for (path, call) in plain.iter().skip(1).zip([sdk::Call::ClaudeInvoke, sdk::Call::Converse]) {
        let direct = row(&measure(&path.direct, 1, requests, 5).await);
        let through_sdk = row(&sdk::sequential(&client, call, &plain[1].direct.body, requests).await);
        let through_obs = row(&measure(&path.obs, 1, requests, 5).await);
        let added = |r: &[Duration; 4], i: usize| r[i].saturating_sub(direct[i]);
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            path.name,
            ms(direct[0]),
            ms(through_sdk[0]),
            ms(added(&through_sdk, 0)),
            ms(added(&through_sdk, 2)),
            ms(added(&through_obs, 0)),
            ms(added(&through_obs, 2)),
            ms(added(&through_obs, 0).saturating_sub(added(&through_sdk, 0)))
        );
    }
}

/// Every path against a static nginx upstream (the reference setup), plain and streamed: wrk saturation
/// direct / through the floor / through obs, and the harness's added latency at concurrency 1.
async fn nginx_table(args: &Args, mock_base: &str) -> anyhow::Result<()> {
    let Some(nginx_bin) = nginx::binary() else {
        println!("\n(nginx is not installed: no static-upstream table)");
        return Ok(());
    };
    if !wrk::available() {
        println!("\n(wrk is not installed: no static-upstream table)");
        return Ok(());
    }
    let dir = std::env::temp_dir().join(format!("obs-bench-nginx-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let nginx = nginx::start(nginx_bin, &upstream_answers(mock_base).await?, &dir)?;
    let floor = procs::floor(&nginx.base)?;
    println!("\n## Every path against a static nginx upstream\n");
    println!(
        "nginx answers each request with the emulator's own answer to it ({} chunks when streamed, the whole stream in \
         one response) from a file: the upstream costs almost nothing, so the proxies get more of the two cores than \
         in the tables above. The AWS SDK in obs reads nginx's Claude, Converse and event-stream answers as it reads \
         Bedrock's.\n",
        args.chunks
    );
    println!(
        "| path | mode | nginx direct (wrk req/s) | floor (wrk req/s) | obs (wrk req/s) | obs / floor | floor added p50 @1 | obs added p50 @1 | obs added p99 @1 |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for (mode, stream) in [("non-streaming", false), ("streamed", true)] {
        let upstream = format!("{}/{}", nginx.base, if stream { "stream" } else { "plain" });
        let obs = procs::obs(&args.obs_bin, &upstream)?;
        let list = paths(&upstream, &obs.base, stream);
        procs::wait_ready(Duration::from_secs(30), || ready(&list[0].obs)).await?;
        for path in &list {
            let via_floor =
                Target { url: path.direct.url.replacen(&nginx.base, &floor.base, 1), ..path.direct.clone() };
            let rate = |target: &Target| wrk::saturation(target, args.seconds);
            let (direct, floored, through) = (rate(&path.direct), rate(&via_floor), rate(&path.obs));
            let ratio = wrk::ratio(through, floored);
            let d = row(&measure(&path.direct, 1, args.requests, args.seconds).await);
            let f = row(&measure(&via_floor, 1, args.requests, args.seconds).await);
            let o = row(&measure(&path.obs, 1, args.requests, args.seconds).await);
            println!(
                "| {} | {mode} | {} | {} | {} | {ratio} | {} | {} | {} |",
                path.name,
                wrk::show(direct),
                wrk::show(floored),
                wrk::show(through),
                ms(f[0].saturating_sub(d[0])),
                ms(o[0].saturating_sub(d[0])),
                ms(o[2].saturating_sub(d[2]))
            );
        }
    }
    drop(floor);
    drop(nginx);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// The emulator's answer to each path's request, filed under `/plain` and `/stream` as obs-server will ask for it
/// with the upstream base URL naming the mode. Streams come as obs always asks OpenAI for them: with usage.
async fn upstream_answers(mock_base: &str) -> anyhow::Result<Vec<nginx::Answer>> {
    let mut answers = Vec::new();
    for (mode, stream) in [("plain", false), ("stream", true)] {
        for path in paths(mock_base, "", stream) {
            let mut ask = path.direct;
            let openai = path.name == "OpenAI";
            if openai && stream {
                let mut body: serde_json::Value = serde_json::from_slice(&ask.body)?;
                body["stream_options"] = json!({"include_usage": true});
                ask.body = Bytes::from(body.to_string());
            }
            let body = load::body(&ask).await.with_context(|| format!("the emulator's answer for {}", path.name))?;
            let content_type = match (openai, stream) {
                (_, false) => "application/json",
                (true, true) => "text/event-stream",
                (false, true) => "application/vnd.amazon.eventstream",
            };
            let request_path = ask.url.trim_start_matches(mock_base);
            answers.push(nginx::Answer { path: format!("/{mode}{request_path}"), body: body.to_vec(), content_type });
        }
    }
    Ok(answers)
}

/// Saturation at 64 connections with wrk (when installed): direct, through the floor proxy, through obs.
fn wrk_table(kind: &str, paths: &[Path], via_floor: &dyn Fn(&Target) -> Target, seconds: u64) {
    if !wrk::available() {
        println!("\n(wrk is not installed: no wrk saturation table for {kind})");
        return;
    }
    println!("\n## {kind} saturation with wrk -t1 -c64 (req/s)\n");
    println!("| path | direct | floor | obs | obs / floor |");
    println!("|---|---|---|---|---|");
    let rate = |target: &Target| wrk::saturation(target, seconds);
    for path in paths {
        let (direct, floor, obs) = (rate(&path.direct), rate(&via_floor(&path.direct)), rate(&path.obs));
        let ratio = wrk::ratio(obs, floor);
        println!("| {} | {} | {} | {} | {ratio} |", path.name, wrk::show(direct), wrk::show(floor), wrk::show(obs));
    }
}

fn litellm_version(binary: &str) -> String {
    let pip = std::path::Path::new(binary).with_file_name("pip");
    std::process::Command::new(pip)
        .args(["show", "litellm"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|text| text.lines().find_map(|l| l.strip_prefix("Version: ").map(str::to_owned)))
        .unwrap_or_default()
}
