//! Admission shared by every model route (chat, Messages, Responses, embeddings, the Bedrock runtime routes): the
//! concurrency permit and a managed key's own limits, held by the request's log for the whole request, streams
//! included; and a managed key's model list, once the model is known.

use std::borrow::Cow;

use obs_models::Error;
use obs_models::error::ErrorCode;

use crate::app::App;
use crate::auth::Caller;
use crate::observe::RequestLog;
use crate::shared_limits::Counted;

/// Takes a permit when `server.max_concurrent_requests` is set (503 with `retry-after: 1` when none is left), then
/// the key's own ([`hold_key_limits`]).
pub(crate) async fn hold_concurrency_permit(app: &App, log: &mut RequestLog) -> Result<(), Error> {
    if let Some(limiter) = &app.limiter {
        let permit = limiter.clone().try_acquire_owned().map_err(|_| {
            let mut error =
                Error::new(ErrorCode::ServiceUnavailable, "The gateway is at its concurrency limit; retry shortly.");
            error.retry_after = Some("1".to_owned());
            error
        })?;
        log.permit = Some(permit);
    }
    hold_key_limits(app, log).await
}

/// A managed key's own limits, after the gateway's: its budget (§5), `rpm` and `max_parallel`
/// ([`take_request_limits`]).
pub(crate) async fn hold_key_limits(app: &App, log: &mut RequestLog) -> Result<(), Error> {
    let Caller::Managed(key) = &log.caller else { return Ok(()) };
    let key = key.clone();
    check_budget(&key)?;
    let held = take_request_limits(app, &Subject::key(&key), &mut log.rate_limit).await?;
    log.key_permit = held.permit;
    log.key_slot = held.slot;
    Ok(())
}

/// What is limited: a managed key or a model group, with its counters.
pub(crate) struct Subject<'a> {
    /// Its name in Redis (`key_…`, `group:<name>`).
    pub(crate) id: Cow<'a, str>,
    /// How an error names it (`this key`, `the model group 'x'`).
    pub(crate) what: Cow<'a, str>,
    pub(crate) rpm: Option<i64>,
    pub(crate) tpm: Option<i64>,
    pub(crate) max_parallel: Option<i64>,
    pub(crate) counters: &'a crate::keyring::Counters,
}

impl<'a> Subject<'a> {
    fn key(key: &'a crate::keyring::ManagedKey) -> Self {
        Subject {
            // Borrowed: a key's limits are checked on every request it makes.
            id: Cow::Borrowed(&key.row.id),
            what: Cow::Borrowed("this key"),
            rpm: key.row.rpm,
            tpm: key.row.tpm,
            max_parallel: key.row.max_parallel,
            counters: &key.counters,
        }
    }

    /// `what` at the start of a sentence.
    fn what_capitalised(&self) -> String {
        let mut chars = self.what.chars();
        chars.next().map_or_else(String::new, |first| first.to_uppercase().chain(chars).collect())
    }
}

/// What a request holds against a subject's limits until it ends.
#[derive(Default)]
pub(crate) struct Held {
    /// A `max_parallel` slot in this process.
    pub(crate) permit: Option<tokio::sync::OwnedSemaphorePermit>,
    /// A `max_parallel` slot in Redis.
    pub(crate) slot: Option<obs_limits::Slot>,
}

/// `rpm` (requests in the current clock minute) and `max_parallel` (a slot held for the whole request) — counted in
/// Redis when `keys.redis_url` is set, so every replica shares them, else in this process (docs/reference/keys.md
/// §4). Over either: 429 `rate_limit_exceeded` with `retry-after`. The `rpm` window goes to `window` (for the answer's
/// headers, the refusal's too) unless one is there already.
pub(crate) async fn take_request_limits(
    app: &App,
    subject: &Subject<'_>,
    window_out: &mut Option<RateLimitState>,
) -> Result<Held, Error> {
    let mut held = Held::default();
    if let Some(rpm) = subject.rpm {
        let window = match &app.shared_limits {
            Some(shared) => match shared.count_request(&subject.id, &app.metrics).await? {
                Counted::Yes(minute) => Some((minute.count, minute.reset_seconds)),
                Counted::Uncounted => None,
            },
            None => Some(count_locally(subject.counters, rpm)),
        };
        if let Some((count, reset)) = window {
            let state = RateLimitState { limit: rpm, remaining: (rpm - count).max(0), reset_seconds: reset };
            window_out.get_or_insert(state);
            if count > rpm {
                let mut error = Error::new(
                    ErrorCode::RateLimitExceeded,
                    format!("Rate limit reached for {}: {rpm} requests per minute. Retry in {reset}s.", subject.what),
                );
                error.retry_after = Some(reset.to_string());
                return Err(error);
            }
        }
    }
    if let Some(limit) = subject.max_parallel {
        let busy = || {
            let mut error = Error::new(
                ErrorCode::RateLimitExceeded,
                format!(
                    "{} already has {limit} requests in flight (its max_parallel); retry shortly.",
                    subject.what_capitalised()
                ),
            );
            error.retry_after = Some("1".to_owned());
            error
        };
        match (&app.shared_limits, &subject.counters.parallel) {
            (Some(shared), _) => match shared.take_slot(&subject.id, limit, &app.metrics).await? {
                Counted::Yes(Some(slot)) => held.slot = Some(slot),
                Counted::Yes(None) => return Err(busy()),
                Counted::Uncounted => {}
            },
            (None, Some((_, parallel))) => {
                held.permit = Some(parallel.clone().try_acquire_owned().map_err(|_| busy())?);
            }
            (None, None) => {}
        }
    }
    Ok(held)
}

/// A key whose spend in its budget period reached its budget: 429 `insufficient_quota` until the period ends
/// (docs/reference/keys.md §5).
fn check_budget(key: &crate::keyring::ManagedKey) -> Result<(), Error> {
    let (Some(budget), Some(period)) = (key.row.budget_micro_usd, key.row.budget_period.as_deref()) else {
        return Ok(());
    };
    let now = crate::periods::now();
    let (start, end) = crate::periods::bounds(period, now);
    let spent = key.counters.spent(start);
    if spent < budget {
        return Ok(());
    }
    let dollars = |micro: i64| format!("${}.{:02}", micro / 1_000_000, (micro % 1_000_000) / 10_000);
    let mut error = Error::new(
        ErrorCode::InsufficientQuota,
        format!(
            "This key's budget of {} per {period} is spent ({} used); it resets at {}.",
            dollars(budget),
            dollars(spent),
            crate::periods::rfc3339(end)
        ),
    );
    error.retry_after = Some((end - now).max(1).to_string());
    Err(error)
}

/// This process's count of the key's requests in the current clock minute, this one included (a refused request is
/// not counted), and the seconds to the minute's end.
fn count_locally(counters: &crate::keyring::Counters, rpm: i64) -> (i64, u64) {
    let now = u64::try_from(crate::periods::now()).unwrap_or(0);
    let (minute, reset) = (now / 60, 60 - now % 60);
    let mut window = counters.minute.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if window.0 != minute {
        *window = (minute, 0);
    }
    if window.1 >= rpm {
        return (rpm + 1, reset);
    }
    window.1 += 1;
    (window.1, reset)
}

/// What a rate-limited key's answer reports in `x-ratelimit-limit-requests`, `x-ratelimit-remaining-requests` and
/// `x-ratelimit-reset-requests`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RateLimitState {
    pub(crate) limit: i64,
    pub(crate) remaining: i64,
    pub(crate) reset_seconds: u64,
}

impl RateLimitState {
    /// `x-ratelimit-*-requests`.
    pub(crate) fn decorate(self, headers: &mut http::HeaderMap) {
        self.decorate_as(headers, "requests");
    }

    /// `x-ratelimit-limit-<what>`, `-remaining-<what>`, `-reset-<what>`.
    pub(crate) fn decorate_as(self, headers: &mut http::HeaderMap, what: &str) {
        let pairs = [
            (format!("x-ratelimit-limit-{what}"), self.limit.to_string()),
            (format!("x-ratelimit-remaining-{what}"), self.remaining.to_string()),
            (format!("x-ratelimit-reset-{what}"), format!("{}s", self.reset_seconds)),
        ];
        for (name, value) in pairs {
            if let (Ok(name), Ok(value)) = (http::HeaderName::try_from(name), http::HeaderValue::from_str(&value)) {
                headers.insert(name, value);
            }
        }
    }
}

/// A `tpm` key's estimate of a request's tokens, from its body while it is at hand: a quarter of its bytes for the
/// input, plus the most output it asks for (`max_completion_tokens`, `max_tokens`, `max_output_tokens`, Converse's
/// `inferenceConfig.maxTokens`, Titan's `textGenerationConfig.maxTokenCount`), or [`DEFAULT_OUTPUT_RESERVATION`].
pub(crate) fn note_request_body(log: &mut RequestLog, body: &[u8]) {
    let key_tpm = matches!(&log.caller, Caller::Managed(key) if key.row.tpm.is_some());
    if !key_tpm && !log.any_group_tpm() {
        return;
    }
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Inference {
        max_tokens: Option<u64>,
        max_token_count: Option<u64>,
    }
    #[derive(serde::Deserialize)]
    struct Maximums {
        max_completion_tokens: Option<u64>,
        max_tokens: Option<u64>,
        max_output_tokens: Option<u64>,
        #[serde(rename = "inferenceConfig")]
        inference_config: Option<Inference>,
        #[serde(rename = "textGenerationConfig")]
        text_generation_config: Option<Inference>,
    }
    let output = serde_json::from_slice::<Maximums>(body).ok().and_then(|m| {
        m.max_completion_tokens
            .or(m.max_tokens)
            .or(m.max_output_tokens)
            .or(m.inference_config.and_then(|c| c.max_tokens))
            .or(m.text_generation_config.and_then(|c| c.max_token_count))
    });
    let input = u64::try_from(body.len() / 4).unwrap_or(u64::MAX);
    let estimate = input.saturating_add(output.unwrap_or(DEFAULT_OUTPUT_RESERVATION));
    log.token_estimate = Some(i64::try_from(estimate).unwrap_or(i64::MAX));
}

/// Output tokens reserved for a request that names no maximum.
pub(crate) const DEFAULT_OUTPUT_RESERVATION: u64 = 4096;

/// Tokens reserved against a key's `tpm`: in this process's minute window or Redis's.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TpmReservation {
    /// The minute (since the epoch) they were counted in.
    minute: i64,
    tokens: i64,
    shared: bool,
}

/// Once the request's model is known: a managed key with a `models` list may call only those ids (as sent), else
/// 403 `permission_denied`; a key with `tpm` reserves the request's estimated tokens in the current minute, else
/// 429 `rate_limit_exceeded` with `retry-after` (docs/reference/keys.md §4).
pub(crate) async fn permit_model(app: &App, log: &mut RequestLog) -> Result<(), Error> {
    let (Caller::Managed(key), Some(model)) = (&log.caller, &log.model) else { return Ok(()) };
    if !key.allows(model) {
        return Err(Error::new(
            ErrorCode::PermissionDenied,
            format!("This API key is not allowed to use the model '{model}'."),
        )
        .with_param("model"));
    }
    let (Some(_), Some(estimate)) = (key.row.tpm, log.token_estimate) else { return Ok(()) };
    let key = key.clone();
    log.tpm_reservation = reserve(app, &Subject::key(&key), estimate, &mut log.token_limit).await?;
    Ok(())
}

/// Reserves `estimate` tokens of the subject's `tpm` in the current minute (docs/reference/keys.md §4): the
/// reservation to settle when the request ends; the window goes to `window_out` for the answer's headers unless
/// one is there already.
pub(crate) async fn reserve(
    app: &App,
    subject: &Subject<'_>,
    estimate: i64,
    window_out: &mut Option<RateLimitState>,
) -> Result<Option<TpmReservation>, Error> {
    let Some(tpm) = subject.tpm else { return Ok(None) };
    let window = match &app.shared_limits {
        Some(shared) => match shared.reserve_tokens(&subject.id, estimate, tpm, &app.metrics).await? {
            Counted::Yes(window) => Some((window.reserved, window.used, window.reset_seconds, window.minute, true)),
            Counted::Uncounted => None,
        },
        None => Some(reserve_locally(subject.counters, estimate, tpm)),
    };
    let Some((reserved, used, reset, minute, shared)) = window else { return Ok(None) };
    window_out.get_or_insert(RateLimitState { limit: tpm, remaining: (tpm - used).max(0), reset_seconds: reset });
    if !reserved {
        let message = if estimate > tpm {
            format!(
                "Request too large for the {tpm} tokens per minute of {}: about {estimate} tokens (its input and \
                 the most output it asks for).",
                subject.what
            )
        } else {
            format!("Rate limit reached for {}: {tpm} tokens per minute. Retry in {reset}s.", subject.what)
        };
        let mut error = Error::new(ErrorCode::RateLimitExceeded, message);
        error.retry_after = Some(reset.to_string());
        return Err(error);
    }
    Ok(Some(TpmReservation { minute, tokens: estimate, shared }))
}

/// Reserves `tokens` in this process's current minute for `key`, unless that passes `tpm`:
/// (reserved, used, reset seconds, minute, shared = false).
fn reserve_locally(counters: &crate::keyring::Counters, tokens: i64, tpm: i64) -> (bool, i64, u64, i64, bool) {
    let now = crate::periods::now();
    let (minute, reset) = (now.div_euclid(60), u64::try_from(60 - now.rem_euclid(60)).unwrap_or(60));
    let mut window = counters.tokens.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if window.0 != minute {
        *window = (minute, 0);
    }
    if window.1.saturating_add(tokens) > tpm {
        return (false, window.1, reset, minute, false);
    }
    window.1 += tokens;
    (true, window.1, reset, minute, false)
}

/// Corrects a request's reservation against `id`'s counters to the tokens its answer reported (`used`; unknown
/// keeps the estimate), in the minute it was made — in the background for Redis.
pub(crate) fn settle_tokens(
    app: &std::sync::Arc<App>,
    id: &str,
    counters: &crate::keyring::Counters,
    reservation: TpmReservation,
    used: Option<i64>,
) {
    let delta = used.map_or(0, |used| used - reservation.tokens);
    if delta == 0 {
        return;
    }
    if reservation.shared {
        let (Some(shared), Ok(runtime)) = (app.shared_limits.clone(), tokio::runtime::Handle::try_current()) else {
            return;
        };
        let id = id.to_owned();
        runtime.spawn(async move { shared.settle_tokens(&id, reservation.minute, delta).await });
        return;
    }
    let mut window = counters.tokens.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if window.0 == reservation.minute {
        window.1 = window.1.saturating_add(delta).max(0);
    }
}
