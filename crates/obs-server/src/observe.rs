//! One INFO line and the metrics of one request, written when the request is over — for streams, when the stream
//! ends or the client goes away. Never a body, never a key.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::OwnedSemaphorePermit;

use crate::app::App;

pub(crate) struct RequestLog {
    app: Arc<App>,
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) route: &'static str,
    pub(crate) request_id: String,
    started: Instant,
    pub(crate) status: u16,
    pub(crate) model: Option<String>,
    /// The provider planned first, then the one that served.
    pub(crate) provider: Option<std::sync::Arc<str>>,
    /// `<provider>/<model-id>` that served the answer.
    pub(crate) target: Option<String>,
    pub(crate) ingress: Option<&'static str>,
    /// Time spent in obs itself (parsing, converting, encoding), upstream waits excluded.
    pub(crate) overhead: Duration,
    pub(crate) outcome: &'static str,
    pub(crate) error_code: Option<&'static str>,
    /// An error's detail for the operator (never sent to the client).
    pub(crate) error_detail: Option<String>,
    /// Held for the whole request (streams included) when a concurrency limit is set.
    pub(crate) permit: Option<OwnedSemaphorePermit>,
}

impl RequestLog {
    pub(crate) fn new(app: Arc<App>, method: String, path: String, route: &'static str, request_id: String) -> Self {
        RequestLog {
            app,
            method,
            path,
            route,
            request_id,
            started: Instant::now(),
            // Until the handler says otherwise: a request whose client leaves before the answer never gets a status
            // of its own, and is counted as nginx counts it.
            status: 499,
            model: None,
            provider: None,
            target: None,
            ingress: None,
            overhead: Duration::ZERO,
            outcome: "client_closed",
            error_code: None,
            error_detail: None,
            permit: None,
        }
    }
}

impl Drop for RequestLog {
    fn drop(&mut self) {
        let duration = self.started.elapsed();
        self.app.metrics.request(self.route, self.status, self.provider.as_deref());
        if self.route == "chat_completions" && self.status == 200 {
            self.app.metrics.overhead(self.overhead.as_secs_f64());
        }
        tracing::info!(
            request_id = %self.request_id,
            method = %self.method,
            path = %self.path,
            status = self.status,
            model = self.model.as_deref().unwrap_or("-"),
            provider = self.provider.as_deref().unwrap_or("-"),
            target = self.target.as_deref().unwrap_or("-"),
            ingress = self.ingress.unwrap_or("-"),
            outcome = self.outcome,
            error = self.error_code.unwrap_or("-"),
            duration_ms = millis(duration),
            overhead_ms = millis(self.overhead),
            detail = self.error_detail.as_deref().unwrap_or("-"),
            "request"
        );
    }
}

/// Milliseconds with microsecond resolution: `12.300569`, not `as_secs_f64() * 1000.0`'s `12.300569000000001`.
fn millis(duration: Duration) -> f64 {
    duration.as_micros() as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milliseconds_print_without_float_noise() {
        assert_eq!(format!("{:?}", millis(Duration::from_nanos(12_300_569_400))), "12300.569");
        assert_eq!(format!("{:?}", millis(Duration::from_nanos(12_300_569))), "12.3");
        assert_eq!(format!("{:?}", millis(Duration::from_micros(62_175))), "62.175");
        assert_eq!(format!("{:?}", millis(Duration::ZERO)), "0.0");
    }
}
