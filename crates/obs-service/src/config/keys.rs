//! `[keys]`: where managed gateway keys live and how soon a replica sees a change (docs/reference/keys.md).

use serde::Deserialize;

/// `[keys]`. Managed keys are on when `server.admin_keys` is set.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KeysSection {
    /// `KEYS_STORE_URL`: `sqlite://<path>` or `postgres://…`; unset, the Responses store (`responses.store_url`) is
    /// used, so one database holds both.
    pub store_url: Option<String>,
    /// `KEYS_REFRESH_SECONDS`: how often a replica checks the store for key changes made elsewhere (default 2): the
    /// bound on how long a revocation takes to reach every replica. Changes made through this replica apply at once.
    pub refresh_seconds: u64,
    /// `REDIS_URL`: a Redis or Valkey (`redis://[:password@]host:port[/db]`) whose counters every replica shares
    /// for `rpm` and `max_parallel`; unset, each replica counts its own.
    pub redis_url: Option<secrecy::SecretString>,
    /// `REDIS_FAILURE`: what a request gets when Redis cannot be reached in time — `open` (the default: served,
    /// uncounted) or `closed` (503 `service_unavailable`).
    pub redis_failure: RedisFailure,
    /// `REDIS_TIMEOUT_MS`: how long a counter call may take before Redis counts as unreachable (default 250).
    pub redis_timeout_ms: u64,
    /// How long a `max_parallel` slot held in Redis lives if its replica dies before releasing it (default 900 s;
    /// a request that runs longer stops counting against the limit).
    pub parallel_lease_seconds: u64,
}

/// `keys.redis_failure`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RedisFailure {
    /// Serve the request without counting it.
    #[default]
    Open,
    /// Refuse it with 503.
    Closed,
}

impl Default for KeysSection {
    fn default() -> Self {
        KeysSection {
            store_url: None,
            refresh_seconds: 2,
            redis_url: None,
            redis_failure: RedisFailure::Open,
            redis_timeout_ms: 250,
            parallel_lease_seconds: 900,
        }
    }
}
