//! The load generator: a closed loop of `concurrency` workers over one pooled hyper client, recording latency,
//! time to first byte and errors.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

pub type HttpClient = Client<HttpConnector, Full<Bytes>>;

pub fn client() -> HttpClient {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    Client::builder(TokioExecutor::new()).pool_max_idle_per_host(1024).build(connector)
}

/// One kind of request, sent again and again.
#[derive(Clone)]
pub struct Target {
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Bytes,
}

#[derive(Default)]
pub struct Stats {
    pub latencies: Vec<Duration>,
    pub first_bytes: Vec<Duration>,
    pub errors: u64,
    pub elapsed: Duration,
}

impl Stats {
    pub fn percentile(values: &[Duration], p: f64) -> Duration {
        if values.is_empty() {
            return Duration::ZERO;
        }
        let mut sorted = values.to_vec();
        sorted.sort_unstable();
        let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
        sorted[rank.min(sorted.len() - 1)]
    }

    pub fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Sends one request and reads the whole body; (latency, time to first body byte) or None on failure.
pub async fn once(client: &HttpClient, target: &Target) -> Option<(Duration, Duration)> {
    let mut request = http::Request::post(&target.url).header("content-type", "application/json");
    for (name, value) in &target.headers {
        request = request.header(*name, value);
    }
    let request = request.body(Full::new(target.body.clone())).ok()?;
    let started = Instant::now();
    let response = client.request(request).await.ok()?;
    if !response.status().is_success() {
        return None;
    }
    let mut body = response.into_body();
    let mut first = None;
    while let Some(frame) = body.frame().await {
        let frame = frame.ok()?;
        if first.is_none() && frame.data_ref().is_some_and(|d| !d.is_empty()) {
            first = Some(started.elapsed());
        }
    }
    let total = started.elapsed();
    Some((total, first.unwrap_or(total)))
}

/// `concurrency` workers; stops after `requests` in total or when `duration` is over, whichever comes first.
pub async fn run(client: &HttpClient, target: &Target, concurrency: usize, requests: u64, duration: Duration) -> Stats {
    let remaining = Arc::new(std::sync::atomic::AtomicU64::new(requests));
    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let client = client.clone();
        let target = target.clone();
        let remaining = remaining.clone();
        workers.push(tokio::spawn(async move {
            let mut stats = Stats::default();
            loop {
                let left = remaining.fetch_update(
                    std::sync::atomic::Ordering::Relaxed,
                    std::sync::atomic::Ordering::Relaxed,
                    |n| n.checked_sub(1),
                );
                if left.is_err() || Instant::now() >= deadline {
                    break;
                }
                match once(&client, &target).await {
                    Some((latency, first)) => {
                        stats.latencies.push(latency);
                        stats.first_bytes.push(first);
                    }
                    None => stats.errors += 1,
                }
            }
            stats
        }));
    }
    let mut total = Stats::default();
    for worker in workers {
        if let Ok(stats) = worker.await {
            total.latencies.extend(stats.latencies);
            total.first_bytes.extend(stats.first_bytes);
            total.errors += stats.errors;
        }
    }
    total.elapsed = started.elapsed();
    total
}
