//! Managed gateway keys in memory (docs/reference/keys.md): a snapshot of every key by the SHA-256 of its secret,
//! swapped whole when the store changes, so the hot path is one hash-map lookup on a lock-free read and never waits
//! on the database. A background task polls the store's key generation every `keys.refresh_seconds`; a change made
//! through this replica reloads at once. When the store cannot be read the last snapshot stays in force (logged
//! once per outage): keys keep working, changes made elsewhere wait.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use obs_store::{KeyRow, Store, StoreError};
use tokio::sync::Semaphore;

/// One managed key, as the hot path needs it.
#[derive(Debug)]
pub(crate) struct ManagedKey {
    pub(crate) row: KeyRow,
    /// Allowed model ids (an entry ending in `*` allows every id it prefixes); `None`: all.
    pub(crate) models: Option<Vec<String>>,
    /// Counters that outlive snapshots (a reload must not reset a key's minute or free its parallel slots).
    pub(crate) counters: Arc<Counters>,
    /// `row.team`, shared: every request of the key carries it to the providers (team sessions).
    pub(crate) team: Option<Arc<str>>,
}

/// A key's in-process limit counters.
#[derive(Debug)]
pub(crate) struct Counters {
    /// `max_parallel` permits; `None` without that limit. Replaced (not resized) when the limit changes: requests
    /// holding the old one finish on it.
    pub(crate) parallel: Option<(i64, Arc<Semaphore>)>,
    /// Requests in the current minute: (minute since the epoch, count).
    pub(crate) minute: std::sync::Mutex<(u64, i64)>,
    /// Spend in the current budget period.
    pub(crate) spend: std::sync::Mutex<Spend>,
    /// Tokens in the current minute, reservations included: (minute since the epoch, tokens).
    pub(crate) tokens: std::sync::Mutex<(i64, i64)>,
}

/// A key's spend in its budget period, in millionths of a US dollar: what the store's usage records said at the
/// last refresh, plus what this replica recorded since.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Spend {
    /// Unix seconds the period began; another period starts from zero.
    pub(crate) period_start: i64,
    pub(crate) from_store: i64,
    pub(crate) local: i64,
}

impl Counters {
    pub(crate) fn new(max_parallel: Option<i64>) -> Self {
        Counters {
            parallel: max_parallel.map(new_parallel),
            minute: std::sync::Mutex::new((0, 0)),
            spend: std::sync::Mutex::new(Spend::default()),
            tokens: std::sync::Mutex::new((0, 0)),
        }
    }

    /// Adds a finished request's cost.
    pub(crate) fn add_spend(&self, period_start: i64, cost: i64) {
        let mut spend = self.spend.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if spend.period_start != period_start {
            *spend = Spend { period_start, from_store: 0, local: 0 };
        }
        spend.local = spend.local.saturating_add(cost);
    }

    /// The spend so far in the period starting at `period_start`.
    pub(crate) fn spent(&self, period_start: i64) -> i64 {
        let spend = self.spend.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if spend.period_start == period_start { spend.from_store.saturating_add(spend.local) } else { 0 }
    }
}

impl ManagedKey {
    /// Whether the key may call `model` (the id as the client sent it).
    pub(crate) fn allows(&self, model: &str) -> bool {
        let Some(models) = &self.models else { return true };
        models.iter().any(|allowed| match allowed.strip_suffix('*') {
            Some(prefix) => model.starts_with(prefix),
            None => allowed == model,
        })
    }

    /// Why the key is refused now, if it is.
    pub(crate) fn refusal(&self, now: i64) -> Option<&'static str> {
        if self.row.revoked_at.is_some() {
            Some("This API key has been revoked.")
        } else if self.row.expires_at.is_some_and(|at| at <= now) {
            Some("This API key has expired.")
        } else {
            None
        }
    }
}

struct Snapshot {
    generation: i64,
    by_digest: HashMap<[u8; 32], Arc<ManagedKey>>,
}

/// The managed keys: the store and its in-memory snapshot.
pub(crate) struct KeyRing {
    store: Store,
    snapshot: ArcSwap<Snapshot>,
    /// Serialises reloads, so two never race to install an older snapshot over a newer one.
    reload: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let snapshot = self.snapshot.load();
        f.debug_struct("KeyRing")
            .field("generation", &snapshot.generation)
            .field("keys", &snapshot.by_digest.len())
            .finish()
    }
}

impl KeyRing {
    /// Loads every key from `store`.
    pub(crate) async fn open(store: Store) -> Result<Arc<Self>, StoreError> {
        let ring = KeyRing {
            store,
            snapshot: ArcSwap::from_pointee(Snapshot { generation: -1, by_digest: HashMap::new() }),
            reload: tokio::sync::Mutex::new(()),
        };
        ring.reload().await?;
        ring.refresh_spend().await?;
        Ok(Arc::new(ring))
    }

    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    /// The key whose secret has this digest.
    pub(crate) fn find(&self, digest: &[u8; 32]) -> Option<Arc<ManagedKey>> {
        self.snapshot.load().by_digest.get(digest).cloned()
    }

    /// Rereads the store when its generation moved (or always, after a change made here).
    pub(crate) async fn reload(&self) -> Result<(), StoreError> {
        let _one_at_a_time = self.reload.lock().await;
        let (generation, rows) = self.store.keys_at_generation().await?;
        let previous = self.snapshot.load_full();
        if generation == previous.generation {
            return Ok(());
        }
        let old_counters: HashMap<&str, &Arc<Counters>> =
            previous.by_digest.values().map(|key| (key.row.id.as_str(), &key.counters)).collect();
        let mut by_digest = HashMap::with_capacity(rows.len());
        for row in rows {
            let Some(digest) = parse_digest(&row.secret_digest) else {
                tracing::warn!(key = %row.id, "managed key skipped: its stored digest is malformed");
                continue;
            };
            let models = match row.models.as_deref().map(serde_json::from_str::<Vec<String>>) {
                None => None,
                Some(Ok(models)) => Some(models),
                Some(Err(_)) => {
                    tracing::warn!(key = %row.id, "managed key skipped: its stored model list is malformed");
                    continue;
                }
            };
            let counters = match old_counters.get(row.id.as_str()) {
                Some(counters) if counters.parallel.as_ref().map(|(n, _)| *n) == row.max_parallel => {
                    Arc::clone(counters)
                }
                Some(counters) => Arc::new(Counters {
                    parallel: row.max_parallel.map(new_parallel),
                    minute: std::sync::Mutex::new(counters.minute.lock().map_or((0, 0), |m| *m)),
                    spend: std::sync::Mutex::new(counters.spend.lock().map_or(Spend::default(), |s| *s)),
                    tokens: std::sync::Mutex::new(counters.tokens.lock().map_or((0, 0), |t| *t)),
                }),
                None => Arc::new(Counters::new(row.max_parallel)),
            };
            let team = row.team.as_deref().map(Arc::from);
            by_digest.insert(digest, Arc::new(ManagedKey { row, models, counters, team }));
        }
        tracing::debug!(generation, keys = by_digest.len(), "managed keys loaded");
        self.snapshot.store(Arc::new(Snapshot { generation, by_digest }));
        Ok(())
    }

    /// Reads budgeted keys' spend in their current period from the usage records (the daily totals): one query per
    /// kind of period in use.
    pub(crate) async fn refresh_spend(&self) -> Result<(), StoreError> {
        let snapshot = self.snapshot.load_full();
        let now = crate::periods::now();
        let mut spend_by_start: HashMap<i64, HashMap<String, i64>> = HashMap::new();
        for key in snapshot.by_digest.values() {
            let (Some(_), Some(period)) = (key.row.budget_micro_usd, key.row.budget_period.as_deref()) else {
                continue;
            };
            let (start, _) = crate::periods::bounds(period, now);
            let spend_in_period = match spend_by_start.entry(start) {
                std::collections::hash_map::Entry::Occupied(known) => known.into_mut(),
                std::collections::hash_map::Entry::Vacant(slot) => {
                    let spend = self.store.spend_since(start.saturating_mul(1000)).await?;
                    slot.insert(spend.into_iter().collect())
                }
            };
            let from_store = spend_in_period.get(&key.row.id).copied().unwrap_or(0);
            let mut spend = key.counters.spend.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            // This replica's records may still be queued, not yet in the store's figure: the larger of the two
            // never counts a request twice nor loses one (the store's covers every replica's written records,
            // ours covers our own queued ones).
            let ours = if spend.period_start == start { spend.from_store.saturating_add(spend.local) } else { 0 };
            *spend = Spend { period_start: start, from_store: from_store.max(ours), local: 0 };
        }
        Ok(())
    }

    /// Polls the store every `every` until the ring is dropped.
    pub(crate) fn spawn_refresh(ring: &Arc<Self>, every: Duration) {
        let weak = Arc::downgrade(ring);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            let mut failing = false;
            loop {
                tick.tick().await;
                let Some(ring) = weak.upgrade() else { return };
                let moved = match ring.store.key_generation().await {
                    Ok(generation) => generation != ring.snapshot.load().generation,
                    Err(error) => {
                        note_failure(&mut failing, &error);
                        continue;
                    }
                };
                let mut result = if moved { ring.reload().await } else { Ok(()) };
                if result.is_ok() {
                    result = ring.refresh_spend().await;
                }
                match result {
                    Ok(()) => {
                        if failing {
                            tracing::info!("managed key store readable again");
                        }
                        failing = false;
                    }
                    Err(error) => note_failure(&mut failing, &error),
                }
            }
        });
    }
}

fn note_failure(failing: &mut bool, error: &StoreError) {
    if !*failing {
        tracing::warn!(error = %error, "managed key store unreadable: the last keys read stay in force");
    }
    *failing = true;
}

fn new_parallel(limit: i64) -> (i64, Arc<Semaphore>) {
    let permits = usize::try_from(limit.max(0)).unwrap_or(usize::MAX).min(Semaphore::MAX_PERMITS);
    (limit, Arc::new(Semaphore::new(permits)))
}

/// The 32 bytes of a 64-digit hex digest.
fn parse_digest(hex: &str) -> Option<[u8; 32]> {
    let bytes = hex.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut digest = [0u8; 32];
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        let high = char::from(pair[0]).to_digit(16)?;
        let low = char::from(pair[1]).to_digit(16)?;
        digest[i] = u8::try_from(high * 16 + low).ok()?;
    }
    Some(digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_round_trip_through_hex() {
        let digest: [u8; 32] = std::array::from_fn(|i| u8::try_from(i * 7 % 256).unwrap_or(0));
        assert_eq!(parse_digest(&crate::hex::encode(&digest)), Some(digest));
        assert_eq!(parse_digest("zz"), None);
        assert_eq!(parse_digest(&"g".repeat(64)), None);
    }
}
