//! The load generator: a closed loop of `concurrency` workers, each on its own keep-alive HTTP/1.1 connection
//! (hyper's connection-level client: no pool, no per-request URL handling), recording latency, time to first byte
//! and errors. It runs on the harness's single-threaded runtime, so it takes at most one core — like `wrk -t1` —
//! and leaves as much of the machine as possible to the processes under test.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;

/// One kind of request, sent again and again.
#[derive(Clone)]
pub struct Target {
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Bytes,
}

impl Target {
    /// `host:port` and path of `http://host:port/path`.
    fn split(&self) -> Option<(&str, &str)> {
        let rest = self.url.strip_prefix("http://")?;
        Some(rest.find('/').map_or((rest, "/"), |slash| rest.split_at(slash)))
    }

    fn request(&self) -> Option<http::Request<Full<Bytes>>> {
        let (authority, path) = self.split()?;
        let mut request = http::Request::post(path)
            .header(http::header::HOST, authority)
            .header(http::header::CONTENT_TYPE, "application/json");
        for (name, value) in &self.headers {
            request = request.header(*name, value);
        }
        request.body(Full::new(self.body.clone())).ok()
    }
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

type Connection = SendRequest<Full<Bytes>>;

/// Opens one HTTP/1.1 connection to the target's host; its driver runs as a task.
async fn connect(target: &Target) -> Option<Connection> {
    let (authority, _) = target.split()?;
    let stream = tokio::net::TcpStream::connect(authority).await.ok()?;
    stream.set_nodelay(true).ok()?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.ok()?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Some(sender)
}

/// Sends one request once `connection` is ready: a 2xx answer's response and the instant it was sent, or None.
async fn send(connection: &mut Connection, target: &Target) -> Option<(http::Response<Incoming>, Instant)> {
    let request = target.request()?;
    connection.ready().await.ok()?;
    let started = Instant::now();
    let response = connection.send_request(request).await.ok()?;
    response.status().is_success().then_some((response, started))
}

/// Sends one request on `connection` and reads the whole body: (latency, time to first body byte), or None.
async fn exchange(connection: &mut Connection, target: &Target) -> Option<(Duration, Duration)> {
    let (response, started) = send(connection, target).await?;
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

/// One request on a fresh connection (readiness probes, the open-streams test).
pub async fn once(target: &Target) -> Option<(Duration, Duration)> {
    let mut connection = connect(target).await?;
    exchange(&mut connection, target).await
}

/// One request on a fresh connection; the whole body of a 2xx answer.
pub async fn body(target: &Target) -> Option<Bytes> {
    let mut connection = connect(target).await?;
    let (response, _) = send(&mut connection, target).await?;
    Some(response.into_body().collect().await.ok()?.to_bytes())
}

/// `concurrency` workers; stops after `requests` in total or when `duration` is over, whichever comes first. A
/// worker whose request fails counts an error and reconnects.
pub async fn run(target: &Target, concurrency: usize, requests: u64, duration: Duration) -> Stats {
    let remaining = Arc::new(AtomicU64::new(requests));
    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let target = target.clone();
        let remaining = remaining.clone();
        workers.push(tokio::spawn(async move {
            let mut stats = Stats::default();
            let mut connection = None;
            while remaining.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1)).is_ok()
                && Instant::now() < deadline
            {
                if connection.is_none() {
                    connection = connect(&target).await;
                }
                let outcome = match connection.as_mut() {
                    Some(open) => exchange(open, &target).await,
                    None => None,
                };
                match outcome {
                    Some((latency, first)) => {
                        stats.latencies.push(latency);
                        stats.first_bytes.push(first);
                    }
                    None => {
                        stats.errors += 1;
                        connection = None;
                    }
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
