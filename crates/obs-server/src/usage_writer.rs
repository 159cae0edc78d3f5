//! Usage records off the hot path (docs/reference/keys.md §8): a request's record is handed to a bounded queue when
//! its log closes (for streams, when the stream ends) and never waits — a full queue drops the record and counts it
//! (`obs_usage_records_dropped_total{reason="queue_full"}`). One background task writes what is queued in batches,
//! one transaction each (a batch that is not full waits 50 ms for more); a batch the store refuses is dropped and
//! counted (`reason="store_error"`), and logged once per outage. A graceful stop writes what is still queued before
//! the process ends ([`UsageWriter::finish`]); only a killed process loses queued records.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use obs_convert::token_counts::TokenCounts;
use obs_service::config::UsageSection;
use obs_service::prices::{Prices, Tokens};
use obs_store::{Store, UsageRow};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::metrics::Metrics;

/// How long a batch that is not full waits for more records before it is written.
const LINGER: Duration = Duration::from_millis(50);

/// A record as queued: the row, and a verbatim answer's `usage` object when its tokens are still to be read (the
/// writer reads them and prices the row).
type Queued = (UsageRow, Option<String>);

/// The queue's sending end, and the writer task to stop and wait for.
pub(crate) struct UsageWriter {
    queue: mpsc::Sender<Queued>,
    metrics: Arc<Metrics>,
    stop: watch::Sender<bool>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for UsageWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UsageWriter").field("capacity", &self.queue.max_capacity()).finish()
    }
}

impl UsageWriter {
    /// Starts the writer task over `store`.
    pub(crate) fn start(store: Store, section: &UsageSection, metrics: Arc<Metrics>, prices: Arc<Prices>) -> Arc<Self> {
        let (queue, mut queued) = mpsc::channel::<Queued>(section.queue_capacity);
        let (stop, mut stopping) = watch::channel(false);
        let batch_size = section.batch_size;
        let task_metrics = metrics.clone();
        let task = tokio::spawn(async move {
            let mut batch = Vec::with_capacity(batch_size);
            let mut failing = false;
            // Told to stop, the queue takes no more and the loop writes what it holds.
            let mut closed = false;
            // Ends when the queue is closed (or every sender is gone) and drained.
            loop {
                let received = if closed {
                    queued.recv_many(&mut batch, batch_size).await
                } else {
                    tokio::select! {
                        received = queued.recv_many(&mut batch, batch_size) => received,
                        _ = stopping.wait_for(|stop| *stop) => {
                            queued.close();
                            closed = true;
                            continue;
                        }
                    }
                };
                if received == 0 {
                    break;
                }
                // A quiet moment's records wait a little for company: one transaction (and one fsync) for many
                // rather than each (under load, batches fill on their own) — unless the server is stopping.
                if batch.len() < batch_size && !closed {
                    tokio::select! {
                        () = tokio::time::sleep(LINGER) => {}
                        _ = stopping.wait_for(|stop| *stop) => {
                            queued.close();
                            closed = true;
                        }
                    }
                }
                while batch.len() < batch_size {
                    match queued.try_recv() {
                        Ok(row) => batch.push(row),
                        Err(_) => break,
                    }
                }
                let count = u64::try_from(batch.len()).unwrap_or(u64::MAX);
                let full: Vec<UsageRow> = std::mem::replace(&mut batch, Vec::with_capacity(batch_size))
                    .into_iter()
                    .map(|(row, usage)| complete(row, usage.as_deref(), &prices))
                    .collect();
                match store.insert_usage(full).await {
                    Ok(()) => {
                        if failing {
                            tracing::info!("usage records: the store takes them again");
                        }
                        failing = false;
                        task_metrics.usage_written(count);
                    }
                    Err(error) => {
                        if !failing {
                            tracing::warn!(error = %error, records = count, "usage records: the store refused a batch; dropped");
                        }
                        failing = true;
                        task_metrics.usage_dropped("store_error", count);
                    }
                }
            }
        });
        Arc::new(UsageWriter { queue, metrics, stop, task: Mutex::new(Some(task)) })
    }

    /// Stops taking records, writes those still queued, and waits up to `within` for the writer to finish. Called
    /// once the server has stopped answering, so no request is left to record.
    pub(crate) async fn finish(&self, within: Duration) {
        let _ = self.stop.send(true);
        let task = self.task.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(task) = task
            && tokio::time::timeout(within, task).await.is_err()
        {
            tracing::warn!(
                seconds = within.as_secs(),
                "usage records: the writer did not finish in time; records still queued are lost"
            );
        }
    }

    /// Queues one record (with the `usage` object still to read, if any), or drops and counts it when the queue is
    /// full.
    pub(crate) fn record(&self, row: UsageRow, usage_json: Option<String>) {
        if self.queue.try_send((row, usage_json)).is_err() {
            self.metrics.usage_dropped("queue_full", 1);
        }
    }
}

/// A queued row with the tokens of its `usage` object (when it came without them) and their cost.
fn complete(row: UsageRow, usage_json: Option<&str>, prices: &Prices) -> UsageRow {
    let Some(tokens) = usage_json.and_then(|usage| TokenCounts::from_usage_json(usage.as_bytes())) else { return row };
    let mut row = with_tokens(row, tokens);
    row.cost_micro_usd =
        priced_model(row.target.as_deref(), row.model.as_deref()).map_or(0, |m| cost(prices, m, tokens));
    row
}

/// `row` with the token columns of `tokens`.
pub(crate) fn with_tokens(mut row: UsageRow, tokens: TokenCounts) -> UsageRow {
    let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    row.input_tokens = count(tokens.input);
    row.cache_read_tokens = count(tokens.cache_read);
    row.cache_write_tokens = count(tokens.cache_write);
    row.output_tokens = count(tokens.output);
    row.reasoning_tokens = count(tokens.reasoning);
    row
}

/// The model a record is priced by: the one that served (`<provider>/<model-id>`), else the one asked for.
pub(crate) fn priced_model<'a>(target: Option<&'a str>, model: Option<&'a str>) -> Option<&'a str> {
    target.and_then(|t| t.split_once('/')).map(|(_, served)| served).or(model)
}

/// What `tokens` of `model` cost by the price table, in millionths of a US dollar.
pub(crate) fn cost(prices: &Prices, model: &str, tokens: TokenCounts) -> i64 {
    prices.cost_micro_usd(
        model,
        Tokens {
            input: tokens.input,
            cache_read: tokens.cache_read,
            cache_write: tokens.cache_write,
            output: tokens.output,
        },
    )
}
