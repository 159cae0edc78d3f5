use std::time::Duration;

/// Upstream time limits (docs/reference/routes.md §12): connect, time to the first byte of the answer, and idle time
/// between stream events. There is deliberately no total limit on streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// TCP (and TLS) connect.
    pub connect: Duration,
    /// From sending the request to the response headers (and, for non-streams, between body reads).
    pub first_byte: Duration,
    /// Longest silence between two stream events.
    pub idle: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            first_byte: Duration::from_secs(120),
            idle: Duration::from_secs(120),
        }
    }
}
