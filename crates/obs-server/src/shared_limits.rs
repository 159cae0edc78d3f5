//! Managed keys' `rpm` and `max_parallel` counted in Redis/Valkey (`keys.redis_url`) so that every replica shares
//! them (docs/reference/keys.md §4), with the configured answer when Redis cannot be reached in time: `open` serves
//! the request uncounted, `closed` refuses it with 503. Either way the failure is logged once per outage and
//! counted in `obs_shared_limit_failures_total`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use obs_limits::{LimitError, MinuteCount, SharedLimits, Slot};
use obs_models::Error;
use obs_models::error::ErrorCode;
use obs_service::config::{KeysSection, RedisFailure};
use secrecy::ExposeSecret;

use crate::metrics::Metrics;

/// The shared counters and what to do without them.
pub(crate) struct Shared {
    limits: SharedLimits,
    failure: RedisFailure,
    lease: Duration,
    failing: AtomicBool,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared").field("failure", &self.failure).finish_non_exhaustive()
    }
}

/// What a shared counter said.
pub(crate) enum Counted<T> {
    /// Counted.
    Yes(T),
    /// Redis was unreachable and the policy is `open`: serve uncounted.
    Uncounted,
}

impl Shared {
    /// From `[keys]`; `None` without `redis_url`. Connects on first use.
    pub(crate) fn from_config(keys: &KeysSection) -> Result<Option<Self>, String> {
        let Some(url) = &keys.redis_url else { return Ok(None) };
        let limits = SharedLimits::new(url.expose_secret(), Duration::from_millis(keys.redis_timeout_ms))
            .map_err(|e| format!("keys.redis_url: {e}"))?;
        Ok(Some(Shared {
            limits,
            failure: keys.redis_failure,
            lease: Duration::from_secs(keys.parallel_lease_seconds),
            failing: AtomicBool::new(false),
        }))
    }

    /// Counts one request of `key` in this minute.
    pub(crate) async fn count_request(&self, key: &str, metrics: &Metrics) -> Result<Counted<MinuteCount>, Error> {
        let result = self.limits.count_request(key).await;
        self.settle(result, metrics)
    }

    /// Takes one of `limit` parallel slots of `key`; `Yes(None)` when all are taken.
    pub(crate) async fn take_slot(
        &self,
        key: &str,
        limit: i64,
        metrics: &Metrics,
    ) -> Result<Counted<Option<Slot>>, Error> {
        let result = self.limits.take_slot(key, limit, self.lease).await;
        self.settle(result, metrics)
    }

    /// Reserves `tokens` of `key`'s `limit` per minute.
    pub(crate) async fn reserve_tokens(
        &self,
        key: &str,
        tokens: i64,
        limit: i64,
        metrics: &Metrics,
    ) -> Result<Counted<obs_limits::TokenWindow>, Error> {
        let result = self.limits.reserve_tokens(key, tokens, limit).await;
        self.settle(result, metrics)
    }

    /// Corrects a reservation (best effort: an unreachable Redis leaves the estimate counted).
    pub(crate) async fn settle_tokens(&self, key: &str, minute: i64, delta: i64) {
        if self.limits.settle_tokens(key, minute, delta).await.is_err() {
            tracing::debug!("a token reservation could not be corrected; its estimate stays counted this minute");
        }
    }

    fn settle<T>(&self, result: Result<T, LimitError>, metrics: &Metrics) -> Result<Counted<T>, Error> {
        match result {
            Ok(value) => {
                if self.failing.swap(false, Ordering::Relaxed) {
                    tracing::info!("shared rate limits: Redis answers again");
                }
                Ok(Counted::Yes(value))
            }
            Err(error) => {
                let policy = match self.failure {
                    RedisFailure::Open => "open",
                    RedisFailure::Closed => "closed",
                };
                metrics.shared_limit_failure(policy);
                if !self.failing.swap(true, Ordering::Relaxed) {
                    tracing::warn!(error = %error, policy, "shared rate limits: Redis unreachable");
                }
                match self.failure {
                    RedisFailure::Open => Ok(Counted::Uncounted),
                    RedisFailure::Closed => {
                        let mut refusal = Error::new(
                            ErrorCode::ServiceUnavailable,
                            "Rate limits cannot be checked right now; retry shortly.",
                        )
                        .with_detail(error.to_string());
                        refusal.retry_after = Some("1".to_owned());
                        Err(refusal)
                    }
                }
            }
        }
    }
}
