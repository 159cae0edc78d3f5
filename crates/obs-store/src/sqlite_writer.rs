//! Usage batches into a SQLite file through a connection of their own (rusqlite, on a blocking thread): one prepared
//! `INSERT` executed per record, 17 values bound straight into SQLite, one transaction per batch. Through sqlx every
//! statement is a round trip to its worker thread and every bound value is converted twice, so a batch went in as
//! one encoded parameter that SQLite then took apart column by column (`sqlite_batch.rs`, still used for in-memory
//! stores, whose database only the pool's own connection can see); this way costs less than half the writer's
//! instructions per record (docs/benchmarks.md), which on a small machine are taken from the requests being answered.
//!
//! The connection opens on the first batch, after [`crate::Store::open`] created and migrated the file, and commits
//! with `synchronous = NORMAL`: a batch is durable once the WAL is checkpointed, and a power loss can take the last
//! batches (docs/reference/keys.md §8). The pool's connections, which write keys and stored responses, keep `FULL`.
//! A connection that failed a batch is closed and the next batch opens a new one.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior, params};

use crate::StoreError;
use crate::usage::{COLUMNS, Column, UsageRow, daily_spend};

/// Adds a batch's cost per key and UTC day.
const ADD_DAILY_SPEND: &str = "INSERT INTO obs_daily_spend (key_id, day, cost_micro_usd) VALUES (?1, ?2, ?3) \
     ON CONFLICT (key_id, day) DO UPDATE SET cost_micro_usd = obs_daily_spend.cost_micro_usd + excluded.cost_micro_usd";

/// The store file's usage connection, shared by the store's clones; `None` until the first batch (or after one
/// failed).
#[derive(Debug, Clone)]
pub(crate) struct UsageConnection {
    path: Arc<PathBuf>,
    connection: Arc<Mutex<Option<Connection>>>,
}

impl UsageConnection {
    /// The usage connection to the SQLite file at `path` (not opened yet).
    pub(crate) fn new(path: PathBuf) -> Self {
        UsageConnection { path: Arc::new(path), connection: Arc::new(Mutex::new(None)) }
    }

    /// Writes `rows` in one transaction, on a blocking thread.
    pub(crate) async fn insert(&self, rows: Vec<UsageRow>) -> Result<(), StoreError> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.insert_now(&rows))
            .await
            .map_err(|error| StoreError::Writer(error.to_string()))?
    }

    /// Closes the connection (the last one to a WAL file checkpoints it).
    pub(crate) async fn close(&self) {
        let this = self.clone();
        let _ = tokio::task::spawn_blocking(move || drop(this.lock().take())).await;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Connection>> {
        // A panic while it was held left nothing half-done that the next batch would see: a transaction not
        // committed is rolled back when it is dropped.
        self.connection.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn insert_now(&self, rows: &[UsageRow]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut slot = self.lock();
        let connection = match slot.as_mut() {
            Some(connection) => connection,
            None => slot.insert(open(&self.path)?),
        };
        let written = write(connection, rows);
        if written.is_err() {
            *slot = None;
        }
        Ok(written?)
    }
}

fn open(path: &Path) -> rusqlite::Result<Connection> {
    let connection =
        Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    // As the pool's connections: wait for another writer (a key being created, another replica) rather than fail.
    connection.busy_timeout(Duration::from_secs(5))?;
    connection.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(connection)
}

/// `INSERT INTO obs_usage (<COLUMNS>) VALUES (?1, …, ?17)`, built once.
fn insert_statement() -> &'static str {
    static STATEMENT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    STATEMENT.get_or_init(|| {
        let placeholders: Vec<String> = (1..=COLUMNS.len()).map(|i| format!("?{i}")).collect();
        format!("INSERT INTO obs_usage ({}) VALUES ({})", COLUMNS.join(", "), placeholders.join(", "))
    })
}

fn write(connection: &mut Connection, rows: &[UsageRow]) -> rusqlite::Result<()> {
    let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    {
        let mut insert = transaction.prepare_cached(insert_statement())?;
        for row in rows {
            insert.execute(rusqlite::params_from_iter(row.columns()))?;
        }
        let mut add_spend = transaction.prepare_cached(ADD_DAILY_SPEND)?;
        for ((key_id, day), cost) in daily_spend(rows) {
            add_spend.execute(params![key_id, day, cost])?;
        }
    }
    transaction.commit()
}

impl rusqlite::ToSql for Column<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(match *self {
            Column::Integer(value) => value.into(),
            Column::Text(Some(value)) => value.into(),
            Column::Text(None) => rusqlite::types::Null.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;

    #[test]
    fn the_statement_names_every_column_once() {
        assert_eq!(COLUMNS.len(), 17);
        assert!(insert_statement().ends_with(
            "cost_micro_usd) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"
        ));
    }

    #[tokio::test]
    async fn the_usage_connection_commits_without_waiting_for_the_disk_and_reopens_after_a_failure() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("usage.db");
        let store = Store::open(&format!("sqlite://{}", path.display())).await.unwrap();
        let writer = UsageConnection::new(path.clone());
        let row =
            UsageRow { at_ms: 1, request_id: "r".into(), key_id: "k".into(), cost_micro_usd: 5, ..UsageRow::default() };
        writer.insert(vec![row.clone()]).await.unwrap();
        {
            let slot = writer.lock();
            let level: i64 = slot.as_ref().unwrap().query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap();
            assert_eq!(level, 1, "NORMAL");
        }
        // A batch the database refuses (here: its table is gone) fails whole; the connection is dropped, and the
        // next batch opens another.
        sqlx::query("ALTER TABLE obs_usage RENAME TO obs_usage_away").execute(store.pool()).await.unwrap();
        let refused = writer.insert(vec![UsageRow { request_id: "s".into(), ..row.clone() }]).await;
        assert!(matches!(refused, Err(StoreError::Sqlite(_))), "{refused:?}");
        assert!(writer.lock().is_none());
        sqlx::query("ALTER TABLE obs_usage_away RENAME TO obs_usage").execute(store.pool()).await.unwrap();
        writer.insert(vec![UsageRow { request_id: "s".into(), ..row.clone() }]).await.unwrap();
        assert_eq!(store.usage_count().await.unwrap(), 2);
        assert_eq!(store.spend_since(0).await.unwrap(), [("k".to_owned(), 10)]);
        writer.close().await;
        assert!(writer.lock().is_none());
    }
}
