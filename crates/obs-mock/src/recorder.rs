use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::Notify;

/// One request the mock received.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// Sequence number since the mock started (0-based).
    pub seq: u64,
    /// HTTP method.
    pub method: String,
    /// Request path, percent-encoded as sent.
    pub path: String,
    /// The model id: percent-decoded from a Bedrock path, or the OpenAI body's `model`.
    pub model: Option<String>,
    /// Headers, lower-case names.
    pub headers: Vec<(String, String)>,
    /// The raw body.
    pub body: Bytes,
}

impl RecordedRequest {
    /// The first header with this (lower-case) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// How a streamed answer ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamOutcome {
    /// Every event was delivered.
    Completed,
    /// The client went away before the end (the mock saw the connection close).
    ClientGone,
}

#[derive(Debug, Default)]
struct Inner {
    requests: VecDeque<RecordedRequest>,
    outcomes: Vec<(u64, StreamOutcome)>,
    next_seq: u64,
}

/// The last requests the mock received and how its streams ended. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    inner: Arc<Mutex<Inner>>,
    limit: usize,
    changed: Arc<Notify>,
}

impl Recorder {
    pub(crate) fn new(limit: usize) -> Self {
        Recorder { inner: Arc::default(), limit: limit.max(1), changed: Arc::new(Notify::new()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn record(
        &self,
        method: String,
        path: String,
        model: Option<String>,
        headers: Vec<(String, String)>,
        body: Bytes,
    ) -> u64 {
        let seq = {
            let mut inner = self.lock();
            let seq = inner.next_seq;
            inner.next_seq += 1;
            inner.requests.push_back(RecordedRequest { seq, method, path, model, headers, body });
            while inner.requests.len() > self.limit {
                inner.requests.pop_front();
            }
            seq
        };
        self.changed.notify_waiters();
        seq
    }

    pub(crate) fn stream_ended(&self, seq: u64, outcome: StreamOutcome) {
        {
            let mut inner = self.lock();
            inner.outcomes.push((seq, outcome));
            let excess = inner.outcomes.len().saturating_sub(self.limit);
            inner.outcomes.drain(..excess);
        }
        self.changed.notify_waiters();
    }

    /// The kept requests, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.iter().cloned().collect()
    }

    /// The most recent request.
    pub fn last(&self) -> Option<RecordedRequest> {
        self.lock().requests.back().cloned()
    }

    /// How many requests arrived since the mock started.
    pub fn count(&self) -> u64 {
        self.lock().next_seq
    }

    /// How the stream answering request `seq` ended, if it has.
    pub fn outcome(&self, seq: u64) -> Option<StreamOutcome> {
        self.lock().outcomes.iter().find(|(s, _)| *s == seq).map(|(_, o)| *o)
    }

    /// Waits up to `timeout` for the stream answering request `seq` to end.
    pub async fn wait_for_outcome(&self, seq: u64, timeout: Duration) -> Option<StreamOutcome> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.changed.notified();
            if let Some(outcome) = self.outcome(seq) {
                return Some(outcome);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.outcome(seq);
            }
        }
    }

    /// Waits up to `timeout` until at least `n` requests have arrived.
    pub async fn wait_for_count(&self, n: u64, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.changed.notified();
            if self.count() >= n {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.count() >= n;
            }
        }
    }
}
