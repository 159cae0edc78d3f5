//! Retries, decided once for every provider: connect failures, 429 and 503, with exponential backoff and jitter,
//! honouring `retry-after` — and only before any output reached the client.

use std::time::Duration;

use obs_models::Error;
use rand::Rng;

use crate::config::RetriesSection;

/// How failed upstream calls are retried.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// First backoff; doubled per retry.
    pub initial_backoff: Duration,
    /// Longest backoff; a longer `retry-after` is not waited for.
    pub max_backoff: Duration,
}

impl From<&RetriesSection> for RetryPolicy {
    fn from(section: &RetriesSection) -> Self {
        RetryPolicy {
            max_retries: section.max_retries,
            initial_backoff: Duration::from_millis(section.initial_backoff_ms),
            max_backoff: Duration::from_millis(section.max_backoff_ms),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (0-based) after `error`, or `None` when it should not be retried.
    pub fn delay(&self, retry: u32, error: &Error) -> Option<Duration> {
        if retry >= self.max_retries || !error.is_retryable() {
            return None;
        }
        let exponential = self.initial_backoff.saturating_mul(2u32.saturating_pow(retry)).min(self.max_backoff);
        // Equal jitter: half fixed, half random, so concurrent clients spread out but never retry instantly.
        let half = exponential / 2;
        let jittered = half + half.mul_f64(rand::rng().random::<f64>());
        match error.retry_after.as_deref().and_then(parse_retry_after) {
            Some(wait) if wait > self.max_backoff => None,
            Some(wait) => Some(wait.max(jittered)),
            None => Some(jittered),
        }
    }
}

/// `retry-after` in seconds (HTTP dates are rare from LLM APIs and are not waited for). The upstream writes it:
/// a number too large for a `Duration` is "longer than any backoff", not a panic.
fn parse_retry_after(value: &str) -> Option<Duration> {
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| Duration::try_from_secs_f64(s).unwrap_or(Duration::MAX))
}

#[cfg(test)]
mod tests {
    use obs_models::error::ErrorCode;

    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy { max_retries: 3, initial_backoff: Duration::from_millis(100), max_backoff: Duration::from_secs(2) }
    }

    #[test]
    fn only_retryable_errors_within_the_count() {
        let throttled = Error::new(ErrorCode::RateLimitExceeded, "slow down");
        let invalid = Error::new(ErrorCode::UpstreamValidationError, "bad");
        assert!(policy().delay(0, &throttled).is_some());
        assert!(policy().delay(3, &throttled).is_none());
        assert!(policy().delay(0, &invalid).is_none());
        for retry in 0..3 {
            let wait = policy().delay(retry, &throttled).unwrap();
            let full = Duration::from_millis(100 * 2u64.pow(retry));
            assert!(wait >= full / 2 && wait <= full, "{retry}: {wait:?}");
        }
    }

    #[test]
    fn retry_after_is_honoured_or_given_up() {
        let mut error = Error::new(ErrorCode::RateLimitExceeded, "slow down");
        error.retry_after = Some("1".into());
        assert!(policy().delay(0, &error).unwrap() >= Duration::from_secs(1));
        error.retry_after = Some("30".into());
        assert_eq!(policy().delay(0, &error), None);
        error.retry_after = Some("1e300".into());
        assert_eq!(policy().delay(0, &error), None, "too large for a Duration: not waited for, no panic");
    }
}
