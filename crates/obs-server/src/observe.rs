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
    /// Upstream calls repeated after retryable failures (`x-obs-retries`).
    pub(crate) retries: u32,
    pub(crate) ingress: Option<&'static str>,
    /// Time spent in obs itself (parsing, converting, encoding), upstream waits excluded.
    pub(crate) overhead: Duration,
    pub(crate) outcome: &'static str,
    pub(crate) error_code: Option<&'static str>,
    /// An error's detail for the operator (never sent to the client).
    pub(crate) error_detail: Option<String>,
    /// Held for the whole request (streams included) when a concurrency limit is set.
    pub(crate) permit: Option<OwnedSemaphorePermit>,
    /// Who the request is (set once its key is checked).
    pub(crate) caller: crate::auth::Caller,
    /// A managed key's `max_parallel` slot, held like `permit` (in this process, or in Redis).
    pub(crate) key_permit: Option<OwnedSemaphorePermit>,
    pub(crate) key_slot: Option<obs_limits::Slot>,
    /// A managed key's per-minute window, for the answer's `x-ratelimit-*` headers.
    pub(crate) rate_limit: Option<crate::admission::RateLimitState>,
    /// A `tpm` key's estimate of this request's tokens (input from the body's size, output from its maximum).
    pub(crate) token_estimate: Option<i64>,
    /// The tokens reserved against the key's `tpm`, settled to the real count when the request ends.
    pub(crate) tpm_reservation: Option<crate::admission::TpmReservation>,
    /// A `tpm` key's token window, for the answer's `x-ratelimit-*-tokens` headers.
    pub(crate) token_limit: Option<crate::admission::RateLimitState>,
    /// The model group's `max_parallel` slot (in this process, or in Redis) and `tpm` reservation.
    pub(crate) group_permit: Option<OwnedSemaphorePermit>,
    pub(crate) group_slot: Option<obs_limits::Slot>,
    pub(crate) group_tpm: Option<(std::sync::Arc<crate::group_limits::GroupLimits>, crate::admission::TpmReservation)>,
    /// The answer's tokens, noted where usage records are kept (see [`RequestLog::records_usage`]).
    pub(crate) tokens: Option<obs_convert::token_counts::TokenCounts>,
    /// A verbatim OpenAI answer's `usage` object, kept as text for the usage writer to read when nothing on the
    /// request path needs the count (see [`RequestLog::note_verbatim`]).
    usage_json: Option<String>,
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
            retries: 0,
            ingress: None,
            overhead: Duration::ZERO,
            outcome: "client_closed",
            error_code: None,
            error_detail: None,
            permit: None,
            caller: crate::auth::Caller::Anonymous,
            key_permit: None,
            key_slot: None,
            rate_limit: None,
            tokens: None,
            usage_json: None,
            token_estimate: None,
            tpm_reservation: None,
            token_limit: None,
            group_permit: None,
            group_slot: None,
            group_tpm: None,
        }
    }

    /// Whether some model group counts tokens (then every request's tokens are estimated).
    pub(crate) fn any_group_tpm(&self) -> bool {
        self.app.group_limits.values().any(|g| g.tpm.is_some())
    }

    /// Whether the answer's tokens are wanted: for its usage record, or to settle a `tpm` reservation.
    pub(crate) fn records_usage(&self) -> bool {
        self.app.usage.is_some() || self.token_estimate.is_some()
    }

    /// Notes tokens read from one report of the answer (a stream reports several times).
    pub(crate) fn note_tokens(&mut self, tokens: Option<obs_convert::token_counts::TokenCounts>) {
        if let Some(tokens) = tokens {
            match &mut self.tokens {
                Some(noted) => noted.merge(tokens),
                None => self.tokens = Some(tokens),
            }
        }
    }

    /// Notes the tokens of a whole answer's JSON.
    pub(crate) fn note_answer(&mut self, json: &[u8]) {
        if self.records_usage() {
            self.note_tokens(obs_convert::token_counts::TokenCounts::from_answer(json));
        }
    }

    /// Notes the tokens of an OpenAI answer relayed as it came, from its `usage` object alone (found when the answer
    /// was checked). Read here only when the request path needs the count — a `tpm` reservation to settle, a budget
    /// to charge; otherwise the object's text goes to the usage writer, which reads it there. Reading it here sat
    /// between the upstream's answer and the client's, and at one connection on 2 vCPUs cost 10-15 µs p50 against
    /// its ~6,300 instructions (docs/benchmarks.md).
    pub(crate) fn note_verbatim(&mut self, answer: &obs_models::openai::verbatim::VerbatimCompletion) {
        if !self.records_usage() {
            return;
        }
        let Some(usage) = answer.usage_json() else { return };
        if self.counts_tokens_now() {
            self.note_tokens(obs_convert::token_counts::TokenCounts::from_usage_json(usage.as_bytes()));
        } else {
            self.usage_json = Some(usage.to_owned());
        }
    }

    /// Whether this request's tokens are needed before it ends: to settle a `tpm` reservation, or to charge a
    /// managed key's budget.
    fn counts_tokens_now(&self) -> bool {
        self.token_estimate.is_some()
            || self.group_tpm.is_some()
            || matches!(&self.caller, crate::auth::Caller::Managed(key) if key.row.budget_period.is_some())
    }

    /// Notes the tokens of an OpenAI-shaped usage object (typed answers and chunks).
    pub(crate) fn note_usage(&mut self, usage: &obs_models::openai::Usage) {
        if self.records_usage() {
            let value = serde_json::to_value(usage).unwrap_or_default();
            self.note_tokens(obs_convert::token_counts::TokenCounts::from_usage(&value));
        }
    }

    /// The team of the managed key the request came with.
    pub(crate) fn team(&self) -> Option<&Arc<str>> {
        match &self.caller {
            crate::auth::Caller::Managed(key) => key.team.as_ref(),
            _ => None,
        }
    }

    /// The record of this request (docs/reference/keys.md §8).
    fn usage_row(&self, duration: Duration) -> obs_store::UsageRow {
        use crate::auth::Caller;
        let (key_id, team) = match &self.caller {
            Caller::Managed(key) => (key.row.id.clone(), key.row.team.clone()),
            Caller::Static => ("static".to_owned(), None),
            Caller::Anonymous => ("anonymous".to_owned(), None),
        };
        // No tokens noted (none reported, or left for the writer to read): nothing to price here.
        let cost = match self.tokens {
            Some(tokens) => crate::usage_writer::priced_model(self.target.as_deref(), self.model.as_deref())
                .map_or(0, |model| crate::usage_writer::cost(&self.app.prices, model, tokens)),
            None => 0,
        };
        if let Caller::Managed(key) = &self.caller
            && let Some(period) = key.row.budget_period.as_deref()
            && cost > 0
        {
            let (start, _) = crate::periods::bounds(period, crate::periods::now());
            key.counters.add_spend(start, cost);
        }
        let micros = |d: Duration| i64::try_from(d.as_micros()).unwrap_or(i64::MAX);
        let at_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        let row = obs_store::UsageRow {
            at_ms,
            request_id: self.request_id.clone(),
            key_id,
            team,
            route: self.route.to_owned(),
            model: self.model.clone(),
            provider: self.provider.as_deref().map(str::to_owned),
            target: self.target.clone(),
            status: i64::from(self.status),
            duration_us: micros(duration),
            overhead_us: micros(self.overhead),
            cost_micro_usd: cost,
            ..obs_store::UsageRow::default()
        };
        crate::usage_writer::with_tokens(row, self.tokens.unwrap_or_default())
    }
}

impl Drop for RequestLog {
    fn drop(&mut self) {
        let duration = self.started.elapsed();
        self.app.metrics.request(self.route, self.status, self.provider.as_deref());
        let used = self.tokens.map(|t| i64::try_from(t.input.saturating_add(t.output)).unwrap_or(i64::MAX));
        if let (Some(reservation), crate::auth::Caller::Managed(key)) = (self.tpm_reservation.take(), &self.caller) {
            crate::admission::settle_tokens(&self.app, &key.row.id, &key.counters, reservation, used);
        }
        if let Some((group, reservation)) = self.group_tpm.take() {
            let id = format!("group:{}", group.name);
            crate::admission::settle_tokens(&self.app, &id, &group.counters, reservation, used);
        }
        // A model request (its model was read; token counts are not model requests) gets a usage record.
        if let Some(writer) = &self.app.usage
            && self.model.is_some()
            && !matches!(self.route, "count_tokens" | "bedrock_count_tokens")
        {
            let row = self.usage_row(duration);
            writer.record(row, self.usage_json.take());
        }
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
            retries = self.retries,
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
