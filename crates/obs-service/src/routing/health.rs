//! The health of one group target: closed (serving), resting after failures in a row, and one probe — a real
//! request — when the rest is over. A failed probe doubles the rest, up to a cap; a success closes the circuit.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// When a target rests and for how long (`[routing]`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct HealthPolicy {
    /// Failures in a row that start a rest.
    pub(crate) threshold: u32,
    /// The first rest.
    pub(crate) cooldown: Duration,
    /// The longest rest.
    pub(crate) max_cooldown: Duration,
}

/// What a target may do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Availability {
    /// Serving normally.
    Healthy,
    /// Resting (or another request is probing it): skipped while anything else can serve.
    Resting,
    /// The rest is over and this request is the probe.
    Probe,
}

#[derive(Debug)]
struct State {
    failures_in_row: u32,
    resting_until: Option<Instant>,
    rest: Duration,
    probe_since: Option<Instant>,
}

/// One target's health, shared by every request planning it.
#[derive(Debug)]
pub(crate) struct Health {
    policy: HealthPolicy,
    state: Mutex<State>,
}

/// A point-in-time view for `/obs/targets` and `/metrics`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthSnapshot {
    /// Not resting.
    pub healthy: bool,
    /// `healthy`, `resting` or `probing`.
    pub state: &'static str,
    /// Failures since the last success.
    pub consecutive_failures: u32,
    /// How much longer the rest lasts (zero when not resting, or when a probe is due).
    pub resting_for: Duration,
}

impl Health {
    pub(crate) fn new(policy: HealthPolicy) -> Self {
        Health {
            policy,
            state: Mutex::new(State {
                failures_in_row: 0,
                resting_until: None,
                rest: policy.cooldown,
                probe_since: None,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether this request may use the target; claims the probe when the rest is over and nobody holds it. A
    /// probe whose request vanished (the client left) is given up after one rest.
    pub(crate) fn availability(&self, now: Instant) -> Availability {
        let mut state = self.lock();
        let Some(until) = state.resting_until else { return Availability::Healthy };
        if now < until {
            return Availability::Resting;
        }
        if state.probe_since.is_some_and(|since| now.duration_since(since) < state.rest) {
            return Availability::Resting;
        }
        state.probe_since = Some(now);
        Availability::Probe
    }

    /// The target answered (even with an error the client caused: it is alive).
    pub(crate) fn succeeded(&self) {
        let mut state = self.lock();
        state.failures_in_row = 0;
        state.resting_until = None;
        state.probe_since = None;
        state.rest = self.policy.cooldown;
    }

    /// The probe was never sent (obs refused the request first): the next request may probe.
    pub(crate) fn release_probe(&self) {
        self.lock().probe_since = None;
    }

    /// The target failed in a way another target might not. Only the probe's failure lengthens a rest: requests
    /// that were already in flight when the rest began do not.
    pub(crate) fn failed(&self, probe: bool, now: Instant) {
        let mut state = self.lock();
        state.failures_in_row = state.failures_in_row.saturating_add(1);
        if probe {
            state.rest = state.rest.saturating_mul(2).min(self.policy.max_cooldown);
            state.resting_until = Some(now + state.rest);
            state.probe_since = None;
        } else if state.resting_until.is_none() && state.failures_in_row >= self.policy.threshold {
            state.rest = self.policy.cooldown;
            state.resting_until = Some(now + state.rest);
        }
    }

    pub(crate) fn snapshot(&self, now: Instant) -> HealthSnapshot {
        let state = self.lock();
        let (healthy, label, resting_for) = match state.resting_until {
            None => (true, "healthy", Duration::ZERO),
            Some(_) if state.probe_since.is_some() => (false, "probing", Duration::ZERO),
            Some(until) => (false, "resting", until.saturating_duration_since(now)),
        };
        HealthSnapshot { healthy, state: label, consecutive_failures: state.failures_in_row, resting_for }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn health() -> Health {
        Health::new(HealthPolicy {
            threshold: 3,
            cooldown: Duration::from_secs(30),
            max_cooldown: Duration::from_secs(100),
        })
    }

    #[test]
    fn rests_after_the_threshold_then_probes_once() {
        let health = health();
        let t0 = Instant::now();
        for _ in 0..2 {
            health.failed(false, t0);
            assert_eq!(health.availability(t0), Availability::Healthy);
        }
        health.failed(false, t0);
        assert_eq!(health.availability(t0), Availability::Resting);
        assert_eq!(health.snapshot(t0).resting_for, Duration::from_secs(30));
        // Late failures of requests already in flight do not lengthen the rest.
        health.failed(false, t0);
        assert_eq!(health.snapshot(t0).resting_for, Duration::from_secs(30));
        let after = t0 + Duration::from_secs(31);
        assert_eq!(health.availability(after), Availability::Probe);
        assert_eq!(health.availability(after), Availability::Resting, "one probe at a time");
        assert_eq!(health.snapshot(after).state, "probing");
        health.succeeded();
        assert_eq!(health.availability(after), Availability::Healthy);
        assert_eq!(health.snapshot(after).consecutive_failures, 0);
    }

    #[test]
    fn failed_probes_double_the_rest_up_to_the_cap() {
        let health = health();
        let mut now = Instant::now();
        for _ in 0..3 {
            health.failed(false, now);
        }
        for expected in [60, 100, 100] {
            now += Duration::from_secs(200);
            assert_eq!(health.availability(now), Availability::Probe);
            health.failed(true, now);
            assert_eq!(health.snapshot(now).resting_for, Duration::from_secs(expected));
        }
        // A probe whose request vanished is given up after one rest.
        now += Duration::from_secs(101);
        assert_eq!(health.availability(now), Availability::Probe);
        assert_eq!(health.availability(now + Duration::from_secs(99)), Availability::Resting);
        assert_eq!(health.availability(now + Duration::from_secs(101)), Availability::Probe);
    }
}
