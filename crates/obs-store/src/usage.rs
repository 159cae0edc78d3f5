//! `obs_usage`: one row per model request (docs/reference/keys.md §8) — who asked (key id, team), for what (model as
//! sent, provider and upstream model that served), what it took (tokens, duration, obs's own overhead), how it ended
//! (status, request id). Written in batches by the caller's background writer; read as grouped totals. Each batch
//! also adds its cost to `obs_daily_spend` (key, UTC day), so a key's spend in a budget period — periods start at
//! midnight UTC — is a sum over at most 31 rows, however many requests it made.

use sqlx::Row;

use crate::{Store, StoreError};

/// One request's record.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UsageRow {
    /// Unix milliseconds when the request ended.
    pub at_ms: i64,
    /// The request's `x-request-id`.
    pub request_id: String,
    /// The managed key's id, `static` for a configured key, `anonymous` with auth off.
    pub key_id: String,
    /// The managed key's team.
    pub team: Option<String>,
    /// The route (`chat_completions`, `messages`, …).
    pub route: String,
    /// The model as the client sent it.
    pub model: Option<String>,
    /// The provider that served (or was tried last).
    pub provider: Option<String>,
    /// `<provider>/<model-id>` that served.
    pub target: Option<String>,
    /// HTTP status.
    pub status: i64,
    /// Input tokens, cached ones included.
    pub input_tokens: i64,
    /// Input tokens read from the prompt cache.
    pub cache_read_tokens: i64,
    /// Input tokens written to the prompt cache.
    pub cache_write_tokens: i64,
    /// Output tokens.
    pub output_tokens: i64,
    /// Output tokens spent reasoning.
    pub reasoning_tokens: i64,
    /// Microseconds from request to the answer's end.
    pub duration_us: i64,
    /// Microseconds obs itself spent (upstream waits excluded).
    pub overhead_us: i64,
    /// What it cost by the price table, in millionths of a US dollar.
    pub cost_micro_usd: i64,
}

pub(crate) const COLUMNS: [&str; 17] = [
    "at_ms",
    "request_id",
    "key_id",
    "team",
    "route",
    "model",
    "provider",
    "target",
    "status",
    "input_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "output_tokens",
    "reasoning_tokens",
    "duration_us",
    "overhead_us",
    "cost_micro_usd",
];

/// One column's value of a record, as the writers bind or encode it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Column<'a> {
    /// A `BIGINT`.
    Integer(i64),
    /// A `TEXT`, or `NULL`.
    Text(Option<&'a str>),
}

impl UsageRow {
    /// The record's values in the order of [`COLUMNS`]: the one place that order is spelled out for writing
    /// (PostgreSQL's binds, SQLite's JSONB batch and its prepared insert).
    pub(crate) fn columns(&self) -> [Column<'_>; 17] {
        use Column::{Integer, Text};
        [
            Integer(self.at_ms),
            Text(Some(&self.request_id)),
            Text(Some(&self.key_id)),
            Text(self.team.as_deref()),
            Text(Some(&self.route)),
            Text(self.model.as_deref()),
            Text(self.provider.as_deref()),
            Text(self.target.as_deref()),
            Integer(self.status),
            Integer(self.input_tokens),
            Integer(self.cache_read_tokens),
            Integer(self.cache_write_tokens),
            Integer(self.output_tokens),
            Integer(self.reasoning_tokens),
            Integer(self.duration_us),
            Integer(self.overhead_us),
            Integer(self.cost_micro_usd),
        ]
    }
}

/// Rows per `INSERT` on PostgreSQL: long statements mean fewer round trips, and 200 rows of 17 parameters stay far
/// below its limit. SQLite files take usage through their own connection (`sqlite_writer.rs`), in-memory SQLite as
/// one JSONB parameter (`sqlite_batch.rs`).
const POSTGRES_ROWS_PER_INSERT: usize = 200;

/// What to total and how to group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UsageQuery {
    /// Only this key id.
    pub key_id: Option<String>,
    /// Only this team.
    pub team: Option<String>,
    /// Only this model (as sent).
    pub model: Option<String>,
    /// From this Unix millisecond (inclusive).
    pub from_ms: Option<i64>,
    /// Before this Unix millisecond.
    pub to_ms: Option<i64>,
    /// Group totals by this column; `None`: one total.
    pub group_by: Option<UsageGroup>,
}

/// A grouping of usage totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsageGroup {
    /// By key id.
    Key,
    /// By team.
    Team,
    /// By model as sent.
    Model,
    /// By serving provider.
    Provider,
    /// By UTC day (Unix day number).
    Day,
}

/// One group's totals.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UsageTotals {
    /// The group's value (a key id, team, model, provider, or the day's first Unix second); `None` for one total
    /// or a missing value.
    pub group: Option<String>,
    /// Requests.
    pub requests: i64,
    /// Requests answered with a status of 400 or more.
    pub errors: i64,
    /// Sums of the token columns.
    pub input_tokens: i64,
    /// Cache reads.
    pub cache_read_tokens: i64,
    /// Cache writes.
    pub cache_write_tokens: i64,
    /// Output tokens.
    pub output_tokens: i64,
    /// Reasoning tokens.
    pub reasoning_tokens: i64,
    /// Cost, in millionths of a US dollar.
    pub cost_micro_usd: i64,
}

impl Store {
    /// Stores `rows` in one transaction.
    ///
    /// Into a SQLite file, through the store's usage connection (`sqlite_writer`), which commits with
    /// `synchronous = NORMAL` — without waiting for the disk, which on a small machine cost more than everything
    /// else the writer does (the fsync's kernel work, 20 times a second under load). A crash of the process loses
    /// nothing committed; a power loss or OS crash can lose the last batches, as a killed process loses the records
    /// still queued (docs/reference/keys.md §8). Every other write (keys, stored responses) goes through the pool,
    /// whose connections keep `synchronous = FULL`. In memory, through the pool as one encoded batch
    /// (`sqlite_batch`).
    pub async fn insert_usage(&self, rows: Vec<UsageRow>) -> Result<(), StoreError> {
        if let Some(usage) = &self.usage_connection {
            return usage.insert(rows).await;
        }
        let mut transaction = self.begin_write().await?;
        if self.backend() == crate::Backend::Sqlite {
            crate::sqlite_batch::insert_usage(&mut transaction, &rows).await?;
            let daily = daily_spend(&rows);
            if !daily.is_empty() {
                crate::sqlite_batch::add_daily_spend(&mut transaction, &daily).await?;
            }
        } else {
            insert_values(&mut transaction, &rows).await?;
            add_daily_spend_values(&mut transaction, &daily_spend(&rows)).await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    /// Totals of the rows `query` selects, one per group (largest input first), or one row without grouping.
    pub async fn usage_totals(&self, query: &UsageQuery) -> Result<Vec<UsageTotals>, StoreError> {
        let group = match query.group_by {
            None => "NULL",
            Some(UsageGroup::Key) => "key_id",
            Some(UsageGroup::Team) => "team",
            Some(UsageGroup::Model) => "model",
            Some(UsageGroup::Provider) => "provider",
            // Integer division: the same in SQLite and PostgreSQL for BIGINT; the day's first second, as text.
            Some(UsageGroup::Day) => "CAST((at_ms / 86400000) * 86400 AS TEXT)",
        };
        let mut conditions = Vec::new();
        let mut texts = Vec::new();
        let mut numbers = Vec::new();
        for (column, value) in [("key_id", &query.key_id), ("team", &query.team), ("model", &query.model)] {
            if let Some(value) = value {
                texts.push(value.clone());
                conditions.push(format!("{column} = ${}", texts.len()));
            }
        }
        for (condition, value) in [("at_ms >= ", query.from_ms), ("at_ms < ", query.to_ms)] {
            if let Some(value) = value {
                numbers.push(value);
                conditions.push(format!("{condition}${}", texts.len() + numbers.len()));
            }
        }
        let filter = if conditions.is_empty() { String::new() } else { format!("WHERE {}", conditions.join(" AND ")) };
        let statement = format!(
            "SELECT {group} AS grp, COUNT(*),
                 CAST(COALESCE(SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END), 0) AS BIGINT),
                 CAST(COALESCE(SUM(input_tokens), 0) AS BIGINT), CAST(COALESCE(SUM(cache_read_tokens), 0) AS BIGINT),
                 CAST(COALESCE(SUM(cache_write_tokens), 0) AS BIGINT),
                 CAST(COALESCE(SUM(output_tokens), 0) AS BIGINT),
                 CAST(COALESCE(SUM(reasoning_tokens), 0) AS BIGINT),
                 CAST(COALESCE(SUM(cost_micro_usd), 0) AS BIGINT)
             FROM obs_usage {filter} GROUP BY grp ORDER BY 4 DESC, grp"
        );
        let mut sql = sqlx::query(&statement);
        for text in &texts {
            sql = sql.bind(text);
        }
        for number in &numbers {
            sql = sql.bind(*number);
        }
        let rows = sql.fetch_all(self.pool()).await?;
        rows.iter()
            .map(|row| {
                Ok(UsageTotals {
                    group: row.try_get(0)?,
                    requests: row.try_get(1)?,
                    errors: row.try_get(2)?,
                    input_tokens: row.try_get(3)?,
                    cache_read_tokens: row.try_get(4)?,
                    cache_write_tokens: row.try_get(5)?,
                    output_tokens: row.try_get(6)?,
                    reasoning_tokens: row.try_get(7)?,
                    cost_micro_usd: row.try_get(8)?,
                })
            })
            .filter(|totals: &Result<UsageTotals, StoreError>| totals.as_ref().map_or(true, |t| t.requests > 0))
            .collect()
    }

    /// The latest `limit` records, newest first.
    pub async fn recent_usage(&self, limit: i64) -> Result<Vec<UsageRow>, StoreError> {
        let statement = format!("SELECT {} FROM obs_usage ORDER BY at_ms DESC LIMIT $1", COLUMNS.join(", "));
        let rows = sqlx::query(&statement).bind(limit).fetch_all(self.pool()).await?;
        rows.iter()
            .map(|row| {
                Ok(UsageRow {
                    at_ms: row.try_get(0)?,
                    request_id: row.try_get(1)?,
                    key_id: row.try_get(2)?,
                    team: row.try_get(3)?,
                    route: row.try_get(4)?,
                    model: row.try_get(5)?,
                    provider: row.try_get(6)?,
                    target: row.try_get(7)?,
                    status: row.try_get(8)?,
                    input_tokens: row.try_get(9)?,
                    cache_read_tokens: row.try_get(10)?,
                    cache_write_tokens: row.try_get(11)?,
                    output_tokens: row.try_get(12)?,
                    reasoning_tokens: row.try_get(13)?,
                    duration_us: row.try_get(14)?,
                    overhead_us: row.try_get(15)?,
                    cost_micro_usd: row.try_get(16)?,
                })
            })
            .collect()
    }

    /// Each key's spend since the UTC day holding `from_ms`, in millionths of a US dollar (keys without records are
    /// absent).
    pub async fn spend_since(&self, from_ms: i64) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT key_id, CAST(COALESCE(SUM(cost_micro_usd), 0) AS BIGINT) FROM obs_daily_spend WHERE day >= $1
             GROUP BY key_id",
        )
        .bind(from_ms.div_euclid(86_400_000))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|row| Ok((row.try_get(0)?, row.try_get(1)?))).collect()
    }

    /// Rows in the table (a test's check that a burst was written whole).
    pub async fn usage_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query("SELECT COUNT(*) FROM obs_usage").fetch_one(self.pool()).await?.try_get(0)?)
    }
}

/// PostgreSQL: multi-row `INSERT … VALUES` of [`POSTGRES_ROWS_PER_INSERT`] rows.
async fn insert_values(
    transaction: &mut sqlx::Transaction<'static, sqlx::Any>,
    rows: &[UsageRow],
) -> Result<(), StoreError> {
    for batch in rows.chunks(POSTGRES_ROWS_PER_INSERT) {
        let placeholders: Vec<String> = (0..batch.len())
            .map(|r| {
                let params: Vec<String> = (1..=COLUMNS.len()).map(|c| format!("${}", r * COLUMNS.len() + c)).collect();
                format!("({})", params.join(", "))
            })
            .collect();
        let statement = format!("INSERT INTO obs_usage ({}) VALUES {}", COLUMNS.join(", "), placeholders.join(", "));
        let mut query = sqlx::query(&statement);
        for row in batch {
            for column in row.columns() {
                query = match column {
                    Column::Integer(value) => query.bind(value),
                    Column::Text(value) => query.bind(value),
                };
            }
        }
        query.execute(&mut **transaction).await?;
    }
    Ok(())
}

/// PostgreSQL: each `(key id, UTC day, cost)` added to `obs_daily_spend`, a few hundred per statement.
async fn add_daily_spend_values(
    transaction: &mut sqlx::Transaction<'_, sqlx::Any>,
    daily: &[((&str, i64), i64)],
) -> Result<(), StoreError> {
    // One statement per few hundred (key, day) totals: a batch can touch a row per key it saw.
    for chunk in daily.chunks(POSTGRES_ROWS_PER_INSERT) {
        let values: Vec<String> =
            (0..chunk.len()).map(|i| format!("(${}, ${}, ${})", i * 3 + 1, i * 3 + 2, i * 3 + 3)).collect();
        let statement = format!(
            "INSERT INTO obs_daily_spend (key_id, day, cost_micro_usd) VALUES {}
             ON CONFLICT (key_id, day) DO UPDATE SET cost_micro_usd = obs_daily_spend.cost_micro_usd + excluded.cost_micro_usd",
            values.join(", ")
        );
        let mut query = sqlx::query(&statement);
        for ((key_id, day), cost) in chunk {
            query = query.bind(*key_id).bind(*day).bind(*cost);
        }
        query.execute(&mut **transaction).await?;
    }
    Ok(())
}

/// Each `(key id, UTC day)`'s cost in `rows`, for `obs_daily_spend`.
pub(crate) fn daily_spend(rows: &[UsageRow]) -> Vec<((&str, i64), i64)> {
    let mut daily: std::collections::BTreeMap<(&str, i64), i64> = std::collections::BTreeMap::new();
    for row in rows.iter().filter(|row| row.cost_micro_usd != 0) {
        *daily.entry((row.key_id.as_str(), row.at_ms.div_euclid(86_400_000))).or_default() += row.cost_micro_usd;
    }
    daily.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use sqlx::Row;

    use super::UsageRow;
    use crate::Store;

    #[tokio::test]
    async fn usage_batches_leave_the_pools_connections_at_full_synchronous() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&format!("sqlite://{}", dir.path().join("usage.db").display())).await.unwrap();
        let row = UsageRow { at_ms: 1, request_id: "r".to_owned(), key_id: "k".to_owned(), ..UsageRow::default() };
        store.insert_usage(vec![row]).await.unwrap();
        // Every connection the pool has, held at once.
        for _ in 0..200 {
            if store.pool().num_idle() == store.pool().size() as usize {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let mut connections = Vec::new();
        for _ in 0..store.pool().size() {
            connections.push(store.pool().acquire().await.unwrap());
        }
        for connection in &mut connections {
            let level: i64 =
                sqlx::query("PRAGMA synchronous").fetch_one(&mut **connection).await.unwrap().try_get(0).unwrap();
            assert_eq!(level, 2, "FULL");
        }
        drop(connections);
        assert_eq!(store.usage_count().await.unwrap(), 1);
    }
}
