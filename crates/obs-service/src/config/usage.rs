//! `[usage]`: usage records, one per model request (docs/reference/keys.md §8).

use serde::Deserialize;

/// `[usage]`. Records are written to the key store, so they are kept when managed keys are on.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UsageSection {
    /// `USAGE_RECORDS`: write usage records (default true; only with managed keys, whose store holds them).
    pub records: bool,
    /// Records waiting to be written (default 10,000); beyond it new ones are dropped and counted, never waited for.
    pub queue_capacity: usize,
    /// Most records written in one transaction (default 500).
    pub batch_size: usize,
}

impl Default for UsageSection {
    fn default() -> Self {
        UsageSection { records: true, queue_capacity: 10_000, batch_size: 500 }
    }
}
