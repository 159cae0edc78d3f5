//! obs-store: obs's database. SQLite in a file by default (WAL, created on first use), PostgreSQL by URL for several
//! replicas — one code path and the same SQL for both, through sqlx's `Any` driver (the queries use only what both
//! dialects share: `$n` parameters, `TEXT` and `BIGINT` columns, no `RETURNING`), so a table added for one backend is
//! added for both. Migrations are embedded and kept per table ([`migrations`]), recorded in `obs_migrations`. The
//! one exception is the write that runs most often: usage batches into a SQLite file go through a connection of
//! their own (`sqlite_writer`, rusqlite), because sqlx's per-statement cost would be most of the writer's work.
//!
//! Owns: the connection pool, the migrations, and one module per table — [`responses`] (stored Responses API
//! answers, their input items and their conversation, by gateway key), [`keys`] (managed gateway keys, as
//! digests, with the generation counter replicas poll) and [`usage`] (one record per model request, totalled by
//! key, team, model, provider or day).
//!
//! Must not import: any other obs crate (it stores JSON text and ids; the callers own the shapes). Start at
//! [`Store::open`].
#![forbid(unsafe_code)]

pub mod keys;
mod migrations;
pub mod responses;
mod sqlite_batch;
mod sqlite_writer;
pub mod usage;

use std::time::Duration;

use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;

pub use keys::{KeyRow, KeyWrite};
pub use responses::StoredResponse;
pub use usage::{UsageGroup, UsageQuery, UsageRow, UsageTotals};

/// A store failure; its message never holds a secret (URLs are not repeated, only their kind).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL names no backend obs has.
    #[error("the store URL must start with sqlite: or postgres:")]
    UnknownBackend,
    /// The database refused or failed.
    #[error("store: {0}")]
    Database(#[from] sqlx::Error),
    /// A stored value is not what obs wrote.
    #[error("store: a stored row is malformed: {0}")]
    Malformed(String),
    /// A batch could not be encoded for the database.
    #[error("store: {0}")]
    Encode(String),
    /// The SQLite usage connection refused or failed.
    #[error("store: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The thread writing usage batches failed.
    #[error("store: the usage writer thread failed: {0}")]
    Writer(String),
}

/// Which database a store is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite, one file (or memory).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// The database: a pool and its backend (and a SQLite file's usage connection). Cheap to clone (both are shared).
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    usage_connection: Option<sqlite_writer::UsageConnection>,
}

impl Store {
    /// Opens (creating a SQLite file if needed) and migrates the store at `url`: `sqlite://<path>` (or
    /// `sqlite::memory:`), or `postgres://user:password@host:port/db`.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnknownBackend);
        };
        let url = match backend {
            // Created on first use.
            Backend::Sqlite if !url.contains("mode=") && !url.contains(":memory:") => {
                format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' })
            }
            _ => url.to_owned(),
        };
        let mut options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(10));
        if backend == Backend::Sqlite {
            // SQLite takes one writer at a time; readers wait for it rather than fail.
            options = options.after_connect(|connection, _| {
                Box::pin(async move {
                    sqlx::query("PRAGMA busy_timeout = 5000").execute(&mut *connection).await?;
                    Ok(())
                })
            });
            if url.contains(":memory:") {
                // Every connection to :memory: is its own database: keep one.
                options = options.max_connections(1).idle_timeout(None).max_lifetime(None);
            }
        }
        let pool = options.connect(&url).await?;
        if backend == Backend::Sqlite && !url.contains(":memory:") {
            // Persistent in the file: readers do not block the writer, nor it them.
            sqlx::query("PRAGMA journal_mode = WAL").execute(&pool).await?;
        }
        // An in-memory database is seen only through the pool's own connection.
        let usage_connection = match backend {
            Backend::Sqlite if !url.contains(":memory:") && !url.contains("mode=memory") => {
                let options: sqlx::sqlite::SqliteConnectOptions = url.parse()?;
                Some(sqlite_writer::UsageConnection::new(options.get_filename().to_owned()))
            }
            _ => None,
        };
        let store = Store { pool, backend, usage_connection };
        migrations::run(&store).await?;
        Ok(store)
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A transaction that writes. On SQLite it is `BEGIN IMMEDIATE`: it takes the write lock up front, waiting for
    /// it (`busy_timeout`), where a deferred transaction that reads first would fail at once with "database is
    /// locked" when it must upgrade to a writer while another connection (another replica, the usage writer) writes.
    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// Closes the pool (waits for connections in use) and the usage connection.
    pub async fn close(&self) {
        self.pool.close().await;
        if let Some(usage) = &self.usage_connection {
            usage.close().await;
        }
    }
}
