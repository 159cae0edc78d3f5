//! The accept loop's defences: a cap on open connections sized from the descriptor limit, a small overflow that
//! is served one request and closed, and beyond both, shedding: a connection whose request has already arrived is
//! served and closed, one that has sent nothing is closed at once — so the listen backlog never fills with idle
//! sockets, and `/health` answers while they hold the cap. And backoff when `accept` itself fails (EMFILE and
//! friends) instead of retrying at once and burning a core.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Descriptors kept free for upstream sockets, log files and the like beyond what connections may take.
const RESERVED_DESCRIPTORS: u64 = 32;

/// What a newly accepted connection may do.
pub(crate) enum Admission {
    /// Under the cap: a normal keep-alive connection.
    Normal(OwnedSemaphorePermit),
    /// Over the cap but within the overflow: one request, then closed.
    Overflow(OwnedSemaphorePermit),
    /// Beyond the overflow: served one request only if it has already arrived, else closed at once.
    Shed,
}

/// Connection slots: `max_connections` normal ones, then an overflow an eighth of that size (at least 8).
pub(crate) struct ConnectionLimits {
    normal: Arc<Semaphore>,
    overflow: Arc<Semaphore>,
    /// The configured or derived cap, for the start-up log.
    pub(crate) max: usize,
}

impl ConnectionLimits {
    /// `configured` connections (0 = derived from the descriptor limit: half of it, the other half left for one
    /// upstream socket per client connection).
    pub(crate) fn new(configured: usize) -> Self {
        let max = if configured > 0 { configured } else { derived_cap(descriptor_limit()) };
        let overflow = (max / 8).max(8);
        ConnectionLimits { normal: Arc::new(Semaphore::new(max)), overflow: Arc::new(Semaphore::new(overflow)), max }
    }

    /// What the next accepted connection may do: a normal slot, else an overflow slot, else shedding.
    pub(crate) fn admit(&self) -> Admission {
        if let Ok(permit) = self.normal.clone().try_acquire_owned() {
            return Admission::Normal(permit);
        }
        match self.overflow.clone().try_acquire_owned() {
            Ok(permit) => Admission::Overflow(permit),
            Err(_) => Admission::Shed,
        }
    }
}

fn descriptor_limit() -> u64 {
    rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(1024, |(soft, _)| soft)
}

fn derived_cap(descriptors: u64) -> usize {
    let usable = descriptors.saturating_sub(RESERVED_DESCRIPTORS) / 2;
    usize::try_from(usable.clamp(16, 1_000_000)).unwrap_or(1_000_000)
}

/// Backoff after a failed `accept`: 5 ms doubling to 1 s while failures continue; one WARN line per burst.
pub(crate) struct AcceptBackoff {
    next: Duration,
    burst_started: Option<Instant>,
    failures: u64,
}

impl AcceptBackoff {
    pub(crate) fn new() -> Self {
        AcceptBackoff { next: Duration::from_millis(5), burst_started: None, failures: 0 }
    }

    /// A failed accept: logs the first of a burst, then sleeps.
    pub(crate) async fn failed(&mut self, error: &std::io::Error) {
        self.failures += 1;
        if self.burst_started.is_none() {
            self.burst_started = Some(Instant::now());
            tracing::warn!(error = %error, "accept failed; backing off (descriptors exhausted?)");
        }
        tokio::time::sleep(self.next).await;
        self.next = (self.next * 2).min(Duration::from_secs(1));
    }

    /// A successful accept ends a burst.
    pub(crate) fn succeeded(&mut self) {
        if let Some(started) = self.burst_started.take() {
            tracing::info!(
                failures = self.failures,
                lasted_ms = started.elapsed().as_millis() as u64,
                "accepting again"
            );
        }
        self.failures = 0;
        self.next = Duration::from_millis(5);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_leaves_room_for_upstream_sockets() {
        assert_eq!(derived_cap(256), 112);
        assert_eq!(derived_cap(1024), 496);
        assert_eq!(derived_cap(10), 16);
    }

    #[test]
    fn over_the_cap_comes_the_overflow_then_shedding() {
        let limits = ConnectionLimits::new(2);
        let mut normal = Vec::new();
        for _ in 0..2 {
            match limits.admit() {
                Admission::Normal(permit) => normal.push(permit),
                _ => panic!("a normal slot is free"),
            }
        }
        let mut overflow = Vec::new();
        for _ in 0..8 {
            match limits.admit() {
                Admission::Overflow(permit) => overflow.push(permit),
                _ => panic!("overflow slots are free"),
            }
        }
        assert!(matches!(limits.admit(), Admission::Shed), "with every slot taken, connections are shed");
        drop(overflow.pop());
        assert!(matches!(limits.admit(), Admission::Overflow(_)));
        drop(normal.pop());
        assert!(matches!(limits.admit(), Admission::Normal(_)), "a freed normal slot is taken first");
    }
}
