//! Embedded migrations, per table and in order. Each runs once, in a transaction with its record in
//! `obs_migrations`; a new table (or a change to one) is a new entry at the end, never an edit of an old one.

use sqlx::Row;

use crate::{Store, StoreError};

/// (name, statements): the name is recorded once applied.
const MIGRATIONS: &[(&str, &[&str])] = &[
    (
        "responses_0001_create",
        &[
            "CREATE TABLE IF NOT EXISTS obs_responses (
            id TEXT PRIMARY KEY,
            key_id TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            expires_at BIGINT,
            response TEXT NOT NULL,
            input_items TEXT NOT NULL,
            conversation TEXT NOT NULL
        )",
            "CREATE INDEX IF NOT EXISTS obs_responses_expires_at ON obs_responses (expires_at)",
        ],
    ),
    (
        "keys_0001_create",
        &[
            "CREATE TABLE IF NOT EXISTS obs_keys (
            id TEXT PRIMARY KEY,
            secret_digest TEXT NOT NULL UNIQUE,
            secret_hint TEXT NOT NULL,
            name TEXT NOT NULL,
            team TEXT,
            models TEXT,
            rpm BIGINT,
            tpm BIGINT,
            max_parallel BIGINT,
            budget_micro_usd BIGINT,
            budget_period TEXT,
            expires_at BIGINT,
            metadata TEXT,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL,
            revoked_at BIGINT
        )",
            "CREATE TABLE IF NOT EXISTS obs_key_generation (id BIGINT PRIMARY KEY, generation BIGINT NOT NULL)",
            "INSERT INTO obs_key_generation (id, generation) VALUES (1, 0) ON CONFLICT (id) DO NOTHING",
        ],
    ),
    (
        "usage_0001_create",
        &[
            "CREATE TABLE IF NOT EXISTS obs_usage (
            at_ms BIGINT NOT NULL,
            request_id TEXT NOT NULL,
            key_id TEXT NOT NULL,
            team TEXT,
            route TEXT NOT NULL,
            model TEXT,
            provider TEXT,
            target TEXT,
            status BIGINT NOT NULL,
            input_tokens BIGINT NOT NULL,
            cache_read_tokens BIGINT NOT NULL,
            cache_write_tokens BIGINT NOT NULL,
            output_tokens BIGINT NOT NULL,
            reasoning_tokens BIGINT NOT NULL,
            duration_us BIGINT NOT NULL,
            overhead_us BIGINT NOT NULL
        )",
            "CREATE INDEX IF NOT EXISTS obs_usage_at ON obs_usage (at_ms)",
            "CREATE INDEX IF NOT EXISTS obs_usage_key_at ON obs_usage (key_id, at_ms)",
        ],
    ),
    ("usage_0002_cost", &["ALTER TABLE obs_usage ADD COLUMN cost_micro_usd BIGINT NOT NULL DEFAULT 0"]),
    (
        "usage_0003_daily_spend",
        &["CREATE TABLE IF NOT EXISTS obs_daily_spend (
            key_id TEXT NOT NULL,
            day BIGINT NOT NULL,
            cost_micro_usd BIGINT NOT NULL,
            PRIMARY KEY (key_id, day)
        )"],
    ),
];

/// PostgreSQL advisory lock key held while migrating: replicas that start together migrate one after the other
/// (concurrent `CREATE TABLE IF NOT EXISTS` race in PostgreSQL's catalog and fail).
const MIGRATION_LOCK: i64 = 0x006f_6273_5f6d_6967; // "obs_mig"

pub(crate) async fn run(store: &Store) -> Result<(), StoreError> {
    // One connection for the whole run, so the session lock covers every statement.
    let mut connection = store.pool().acquire().await?;
    let postgres = store.backend() == crate::Backend::Postgres;
    if postgres {
        sqlx::query("SELECT pg_advisory_lock($1)").bind(MIGRATION_LOCK).execute(&mut *connection).await?;
    }
    let result = migrate(&mut connection).await;
    if postgres {
        // Also released when the connection closes; unlocked here so the pooled connection is clean.
        sqlx::query("SELECT pg_advisory_unlock($1)").bind(MIGRATION_LOCK).execute(&mut *connection).await?;
    }
    result
}

async fn migrate(connection: &mut sqlx::AnyConnection) -> Result<(), StoreError> {
    use sqlx::Connection;
    sqlx::query("CREATE TABLE IF NOT EXISTS obs_migrations (name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)")
        .execute(&mut *connection)
        .await?;
    for (name, statements) in MIGRATIONS {
        let mut transaction = connection.begin().await?;
        let done = sqlx::query("SELECT COUNT(*) FROM obs_migrations WHERE name = $1")
            .bind(*name)
            .fetch_one(&mut *transaction)
            .await?
            .try_get::<i64, _>(0)?;
        if done > 0 {
            continue;
        }
        for statement in *statements {
            sqlx::query(statement).execute(&mut *transaction).await?;
        }
        sqlx::query("INSERT INTO obs_migrations (name, applied_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
            .bind(*name)
            .bind(crate::responses::now())
            .execute(&mut *transaction)
            .await?;
        transaction.commit().await?;
        tracing::info!(migration = name, "store migrated");
    }
    Ok(())
}
