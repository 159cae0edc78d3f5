//! obs-limits: rate-limit counters shared by several obs replicas, in Redis or Valkey (docs/reference/keys.md §4).
//! Two counters, each one atomic script on the server, timed by the server's own clock (`TIME`) so replicas whose
//! clocks differ still share one window:
//!
//! - [`SharedLimits::count_request`]: requests in the current clock minute (`INCR` on a key that expires with the
//!   minute), for `rpm`;
//! - [`SharedLimits::take_slot`]: a lease in a sorted set scored by its expiry, for `max_parallel`; released when
//!   the returned [`Slot`] is dropped, or by expiry if the replica holding it died;
//! - [`SharedLimits::reserve_tokens`] and [`SharedLimits::settle_tokens`]: tokens per minute, reserved before an
//!   answer from its estimate and corrected once its real count is known, for `tpm`.
//!
//! Every call is bounded by a timeout; a Redis that cannot be reached is reported as [`LimitError`] and the caller
//! decides (fail open or closed). The connection is made lazily and remade after a failure, at most once a second.
//!
//! Owns: the Redis connection and the counting scripts. Must not import: any other obs crate (it counts by an
//! opaque key id; the caller owns keys, limits and answers). Start at [`SharedLimits::new`].
#![forbid(unsafe_code)]

use std::sync::Arc;
use std::time::{Duration, Instant};

#[cfg(feature = "test-redis")]
pub mod test_redis;

use redis::Script;
use redis::aio::ConnectionManager;

/// Why the shared counters could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    /// The URL is not a Redis URL.
    #[error("the Redis URL is not valid (redis://host:port[/db])")]
    BadUrl,
    /// Redis did not answer in time, refused, or is not connected yet.
    #[error("Redis unavailable: {0}")]
    Unavailable(String),
}

/// Requests in the current minute, this one included, and the seconds until the minute ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MinuteCount {
    /// Requests counted in this minute, this one included.
    pub count: i64,
    /// Seconds until the window resets (1–60).
    pub reset_seconds: u64,
}

/// Counters in one Redis. Cheap to clone.
#[derive(Clone)]
pub struct SharedLimits {
    inner: Arc<Inner>,
}

struct Inner {
    client: redis::Client,
    connection: tokio::sync::Mutex<Connection>,
    timeout: Duration,
    minute: Script,
    take_slot: Script,
    reserve_tokens: Script,
    settle_tokens: Script,
}

/// A token reservation's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenWindow {
    /// Whether the tokens were reserved.
    pub reserved: bool,
    /// Tokens counted in the minute (with these, when reserved).
    pub used: i64,
    /// Seconds until the window resets (1–60).
    pub reset_seconds: u64,
    /// The minute (since the epoch, by Redis's clock) the tokens were counted in, for [`SharedLimits::settle_tokens`].
    pub minute: i64,
}

struct Connection {
    manager: Option<ConnectionManager>,
    last_attempt: Option<Instant>,
}

impl std::fmt::Debug for SharedLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold a password: never shown.
        f.debug_struct("SharedLimits").field("timeout", &self.inner.timeout).finish_non_exhaustive()
    }
}

/// `INCR` the key of the current minute (by the server's clock); the key expires with its minute.
const MINUTE_SCRIPT: &str = r"
local now = redis.call('TIME')
local seconds = tonumber(now[1])
local minute = math.floor(seconds / 60)
local key = KEYS[1] .. ':' .. minute
local count = redis.call('INCR', key)
if count == 1 then redis.call('EXPIRE', key, 120) end
return {count, 60 - (seconds % 60)}
";

/// Reserves ARGV[1] tokens in the current minute unless that would pass ARGV[2]: {taken, used, reset, minute}.
const RESERVE_TOKENS_SCRIPT: &str = r"
local now = redis.call('TIME')
local seconds = tonumber(now[1])
local minute = math.floor(seconds / 60)
local key = KEYS[1] .. ':' .. minute
local used = tonumber(redis.call('GET', key) or '0')
if used + tonumber(ARGV[1]) > tonumber(ARGV[2]) then return {0, used, 60 - (seconds % 60), minute} end
local total = redis.call('INCRBY', key, ARGV[1])
redis.call('EXPIRE', key, 120)
return {1, total, 60 - (seconds % 60), minute}
";

/// Adds ARGV[1] (negative to give back) to a minute's tokens, if that minute is still kept.
const SETTLE_TOKENS_SCRIPT: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCRBY', KEYS[1], ARGV[1]) end
return 0
";

/// Drops expired leases, then adds one unless `limit` are held. Returns 1 when taken.
const TAKE_SLOT_SCRIPT: &str = r"
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now_ms + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
return 1
";

impl SharedLimits {
    /// Counters in the Redis at `url` (`redis://[:password@]host:port[/db]`), each call bounded by `timeout`. Does
    /// not connect yet.
    pub fn new(url: &str, timeout: Duration) -> Result<Self, LimitError> {
        let client = redis::Client::open(url).map_err(|_| LimitError::BadUrl)?;
        Ok(SharedLimits {
            inner: Arc::new(Inner {
                client,
                connection: tokio::sync::Mutex::new(Connection { manager: None, last_attempt: None }),
                timeout,
                minute: Script::new(MINUTE_SCRIPT),
                take_slot: Script::new(TAKE_SLOT_SCRIPT),
                reserve_tokens: Script::new(RESERVE_TOKENS_SCRIPT),
                settle_tokens: Script::new(SETTLE_TOKENS_SCRIPT),
            }),
        })
    }

    /// Counts one request of `key` in the current minute.
    pub async fn count_request(&self, key: &str) -> Result<MinuteCount, LimitError> {
        let mut connection = self.connection().await?;
        let invocation = self.inner.minute.key(format!("obs:rpm:{key}"));
        let (count, reset) = self.bounded(invocation.invoke_async::<(i64, i64)>(&mut connection)).await?;
        Ok(MinuteCount { count, reset_seconds: u64::try_from(reset.clamp(1, 60)).unwrap_or(60) })
    }

    /// Takes one of `limit` parallel slots of `key`, leased for `lease` (released earlier when the [`Slot`] is
    /// dropped); `None` when all are taken.
    pub async fn take_slot(&self, key: &str, limit: i64, lease: Duration) -> Result<Option<Slot>, LimitError> {
        let mut connection = self.connection().await?;
        let set = format!("obs:parallel:{key}");
        let member = lease_id();
        let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX).max(1);
        let mut invocation = self.inner.take_slot.key(&set);
        invocation.arg(limit).arg(lease_ms).arg(&member);
        let taken = self.bounded(invocation.invoke_async::<i64>(&mut connection)).await?;
        Ok((taken == 1).then(|| Slot { limits: self.clone(), set, member: Some(member) }))
    }

    /// Reserves `tokens` of `key`'s `limit` per minute, unless that would pass it.
    pub async fn reserve_tokens(&self, key: &str, tokens: i64, limit: i64) -> Result<TokenWindow, LimitError> {
        let mut connection = self.connection().await?;
        let mut invocation = self.inner.reserve_tokens.key(format!("obs:tpm:{key}"));
        invocation.arg(tokens).arg(limit);
        let (taken, used, reset, minute) =
            self.bounded(invocation.invoke_async::<(i64, i64, i64, i64)>(&mut connection)).await?;
        Ok(TokenWindow {
            reserved: taken == 1,
            used,
            reset_seconds: u64::try_from(reset.clamp(1, 60)).unwrap_or(60),
            minute,
        })
    }

    /// Corrects a reservation made in `minute` by `delta` tokens once the answer's real count is known.
    pub async fn settle_tokens(&self, key: &str, minute: i64, delta: i64) -> Result<(), LimitError> {
        let mut connection = self.connection().await?;
        let mut invocation = self.inner.settle_tokens.key(format!("obs:tpm:{key}:{minute}"));
        invocation.arg(delta);
        self.bounded(invocation.invoke_async::<i64>(&mut connection)).await.map(drop)
    }

    /// Whether Redis answers now (a `PING` within the timeout).
    pub async fn ping(&self) -> Result<(), LimitError> {
        let mut connection = self.connection().await?;
        let ping = redis::cmd("PING");
        self.bounded(ping.query_async::<String>(&mut connection)).await.map(drop)
    }

    async fn bounded<T>(
        &self,
        call: impl std::future::Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, LimitError> {
        match tokio::time::timeout(self.inner.timeout, call).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => {
                if error.is_io_error() || error.is_connection_dropped() || error.is_connection_refusal() {
                    // Remade on a later call (the manager also reconnects by itself; this covers a manager that
                    // gave up).
                    self.forget().await;
                }
                Err(LimitError::Unavailable(error.category().to_owned()))
            }
            Err(_) => Err(LimitError::Unavailable("timed out".to_owned())),
        }
    }

    async fn forget(&self) {
        self.inner.connection.lock().await.manager = None;
    }

    /// The connection, made now if there is none and the last attempt was over a second ago.
    async fn connection(&self) -> Result<ConnectionManager, LimitError> {
        let mut connection = self.inner.connection.lock().await;
        if let Some(manager) = &connection.manager {
            return Ok(manager.clone());
        }
        if connection.last_attempt.is_some_and(|at| at.elapsed() < Duration::from_secs(1)) {
            return Err(LimitError::Unavailable("not connected".to_owned()));
        }
        connection.last_attempt = Some(Instant::now());
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.inner.timeout))
            .set_response_timeout(Some(self.inner.timeout))
            .set_number_of_retries(1);
        let attempt = ConnectionManager::new_with_config(self.inner.client.clone(), config);
        match tokio::time::timeout(self.inner.timeout, attempt).await {
            Ok(Ok(manager)) => {
                connection.manager = Some(manager.clone());
                Ok(manager)
            }
            Ok(Err(error)) => Err(LimitError::Unavailable(error.category().to_owned())),
            Err(_) => Err(LimitError::Unavailable("connect timed out".to_owned())),
        }
    }
}

/// A held parallel slot; dropping it releases the lease (in the background, bounded by the timeout).
pub struct Slot {
    limits: SharedLimits,
    set: String,
    member: Option<String>,
}

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slot").field("set", &self.set).finish_non_exhaustive()
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let Some(member) = self.member.take() else { return };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let limits = self.limits.clone();
        let set = std::mem::take(&mut self.set);
        runtime.spawn(async move {
            let Ok(mut connection) = limits.connection().await else { return };
            let mut release = redis::cmd("ZREM");
            release.arg(&set).arg(&member);
            if limits.bounded(release.query_async::<i64>(&mut connection)).await.is_err() {
                tracing::debug!("a parallel slot could not be released; its lease expires on its own");
            }
        });
    }
}

/// A unique lease member: time and a process-wide counter, so two replicas' leases never collide.
fn lease_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{nanos:x}-{}-{:x}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}
