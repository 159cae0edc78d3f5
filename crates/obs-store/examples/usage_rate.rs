//! How many usage records per second the store takes in batches, as obs-server's usage writer sends them (one
//! transaction per batch): the writer's sustained rate before its queue fills and it starts dropping records
//! (docs/benchmarks.md). SQLite in a temporary file; PostgreSQL too when `OBS_TEST_POSTGRES_URL` is set.
//!
//! `cargo run --release -p obs-store --example usage_rate [-- <records> <batch size> <keys>]` (default 100,000,
//! 500 and 100 keys sending the requests).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use obs_store::{Store, UsageRow};

fn row(i: usize, keys: usize) -> UsageRow {
    UsageRow {
        at_ms: 1_764_547_200_000 + i64::try_from(i).unwrap(),
        request_id: format!("{i:024x}"),
        key_id: format!("key_bench{:019}", i % keys),
        team: Some("bench".to_owned()),
        route: "chat_completions".to_owned(),
        model: Some("gpt-4o".to_owned()),
        provider: Some("openai".to_owned()),
        target: Some("openai/gpt-4o".to_owned()),
        status: 200,
        input_tokens: 120,
        cache_read_tokens: 0,
        cache_write_tokens: 0,
        output_tokens: 40,
        reasoning_tokens: 0,
        duration_us: 1_500,
        overhead_us: 60,
        cost_micro_usd: 700,
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let records: usize = args.next().map_or(100_000, |a| a.parse().unwrap());
    let batch: usize = args.next().map_or(500, |a| a.parse().unwrap());
    let keys: usize = args.next().map_or(100, |a| a.parse().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let mut stores = vec![("SQLite (file, WAL)", format!("sqlite://{}", dir.path().join("usage.db").display()))];
    if let Ok(url) = std::env::var("OBS_TEST_POSTGRES_URL") {
        stores.push(("PostgreSQL (loopback)", url));
    }
    println!("| store | records | batch | keys | seconds | records/s |");
    println!("|---|---|---|---|---|---|");
    for (name, url) in stores {
        let store = Store::open(&url).await.unwrap();
        let rows: Vec<UsageRow> = (0..records).map(|i| row(i, keys)).collect();
        let started = Instant::now();
        for chunk in rows.chunks(batch) {
            store.insert_usage(chunk.to_vec()).await.unwrap();
        }
        let seconds = started.elapsed().as_secs_f64();
        #[allow(clippy::cast_precision_loss)]
        let rate = records as f64 / seconds;
        println!("| {name} | {records} | {batch} | {keys} | {seconds:.2} | {rate:.0} |");
    }
}
