//! `obs_keys`: managed gateway keys. A row holds the key's SHA-256 digest (hex) and its last four characters as a
//! hint — never the secret. Every change (create, update, revoke, rotate) also bumps `obs_key_generation` in the
//! same transaction, so a replica learns that its cached copy is stale from one indexed read of one row, without
//! comparing clocks between replicas.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError};

/// One managed key. `models` and `metadata` are JSON text (a JSON array of model ids / a JSON object) as the caller
/// wrote them; times are Unix seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRow {
    /// `key_…`, shown to admins; not a secret.
    pub id: String,
    /// SHA-256 of the secret, lowercase hex.
    pub secret_digest: String,
    /// The secret's last four characters, so an admin can tell keys apart.
    pub secret_hint: String,
    /// Who the key is for.
    pub name: String,
    /// The team it belongs to.
    pub team: Option<String>,
    /// Allowed model ids and groups, JSON array; `None`: all.
    pub models: Option<String>,
    /// Requests per minute.
    pub rpm: Option<i64>,
    /// Tokens per minute.
    pub tpm: Option<i64>,
    /// Requests at once.
    pub max_parallel: Option<i64>,
    /// Budget per period, in millionths of a US dollar (exact, unlike a float).
    pub budget_micro_usd: Option<i64>,
    /// `day`, `week` or `month`.
    pub budget_period: Option<String>,
    /// After this the key is refused.
    pub expires_at: Option<i64>,
    /// Free-form JSON object.
    pub metadata: Option<String>,
    /// When it was created.
    pub created_at: i64,
    /// When it last changed.
    pub updated_at: i64,
    /// When it was revoked; refused from then on.
    pub revoked_at: Option<i64>,
}

const COLUMNS: &str = "id, secret_digest, secret_hint, name, team, models, rpm, tpm, max_parallel, budget_micro_usd, \
                       budget_period, expires_at, metadata, created_at, updated_at, revoked_at";

fn from_row(row: &AnyRow) -> Result<KeyRow, StoreError> {
    Ok(KeyRow {
        id: row.try_get(0)?,
        secret_digest: row.try_get(1)?,
        secret_hint: row.try_get(2)?,
        name: row.try_get(3)?,
        team: row.try_get(4)?,
        models: row.try_get(5)?,
        rpm: row.try_get(6)?,
        tpm: row.try_get(7)?,
        max_parallel: row.try_get(8)?,
        budget_micro_usd: row.try_get(9)?,
        budget_period: row.try_get(10)?,
        expires_at: row.try_get(11)?,
        metadata: row.try_get(12)?,
        created_at: row.try_get(13)?,
        updated_at: row.try_get(14)?,
        revoked_at: row.try_get(15)?,
    })
}

/// Why a key could not be written.
#[derive(Debug, PartialEq, Eq)]
pub enum KeyWrite {
    /// Written.
    Done,
    /// No key has this id.
    NoSuchKey,
    /// Another key already has this secret (a digest collision means the same secret).
    DuplicateSecret,
}

impl Store {
    /// Stores a new key.
    pub async fn insert_key(&self, key: &KeyRow) -> Result<KeyWrite, StoreError> {
        let mut transaction = self.begin_write().await?;
        let taken = sqlx::query("SELECT COUNT(*) FROM obs_keys WHERE secret_digest = $1")
            .bind(&key.secret_digest)
            .fetch_one(&mut *transaction)
            .await?
            .try_get::<i64, _>(0)?;
        if taken > 0 {
            return Ok(KeyWrite::DuplicateSecret);
        }
        let statement = format!(
            "INSERT INTO obs_keys ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
             $15, $16)"
        );
        bind_fields(sqlx::query(&statement), key)
            .bind(key.created_at)
            .bind(key.updated_at)
            .bind(key.revoked_at)
            .execute(&mut *transaction)
            .await?;
        bump_generation(&mut transaction).await?;
        transaction.commit().await?;
        Ok(KeyWrite::Done)
    }

    /// Replaces every field of the key `key.id` but its id and creation time.
    pub async fn update_key(&self, key: &KeyRow) -> Result<KeyWrite, StoreError> {
        let mut transaction = self.begin_write().await?;
        let taken = sqlx::query("SELECT COUNT(*) FROM obs_keys WHERE secret_digest = $1 AND id <> $2")
            .bind(&key.secret_digest)
            .bind(&key.id)
            .fetch_one(&mut *transaction)
            .await?
            .try_get::<i64, _>(0)?;
        if taken > 0 {
            return Ok(KeyWrite::DuplicateSecret);
        }
        let update = sqlx::query(
            "UPDATE obs_keys SET secret_digest = $2, secret_hint = $3, name = $4, team = $5, models = $6, rpm = $7,
                 tpm = $8, max_parallel = $9, budget_micro_usd = $10, budget_period = $11, expires_at = $12,
                 metadata = $13, updated_at = $14, revoked_at = $15
             WHERE id = $1",
        );
        let updated = bind_fields(update, key)
            .bind(key.updated_at)
            .bind(key.revoked_at)
            .execute(&mut *transaction)
            .await?
            .rows_affected();
        if updated == 0 {
            return Ok(KeyWrite::NoSuchKey);
        }
        bump_generation(&mut transaction).await?;
        transaction.commit().await?;
        Ok(KeyWrite::Done)
    }

    /// The key `id`, revoked or not.
    pub async fn key(&self, id: &str) -> Result<Option<KeyRow>, StoreError> {
        let statement = format!("SELECT {COLUMNS} FROM obs_keys WHERE id = $1");
        let row = sqlx::query(&statement).bind(id).fetch_optional(self.pool()).await?;
        row.as_ref().map(from_row).transpose()
    }

    /// Every key, revoked ones too, oldest first.
    pub async fn keys(&self) -> Result<Vec<KeyRow>, StoreError> {
        let statement = format!("SELECT {COLUMNS} FROM obs_keys ORDER BY created_at, id");
        let rows = sqlx::query(&statement).fetch_all(self.pool()).await?;
        rows.iter().map(from_row).collect()
    }

    /// A number that changes whenever any key changes: compare it with the one a cached copy was read at.
    pub async fn key_generation(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT generation FROM obs_key_generation WHERE id = 1").fetch_one(self.pool()).await?;
        Ok(row.try_get(0)?)
    }

    /// [`Store::key_generation`] and every key, read together (one transaction), so a copy built from them is
    /// never newer than the generation it is marked with.
    pub async fn keys_at_generation(&self) -> Result<(i64, Vec<KeyRow>), StoreError> {
        let mut transaction = self.begin_write().await?;
        let generation = sqlx::query("SELECT generation FROM obs_key_generation WHERE id = 1")
            .fetch_one(&mut *transaction)
            .await?
            .try_get::<i64, _>(0)?;
        let statement = format!("SELECT {COLUMNS} FROM obs_keys ORDER BY created_at, id");
        let rows = sqlx::query(&statement).fetch_all(&mut *transaction).await?;
        transaction.commit().await?;
        Ok((generation, rows.iter().map(from_row).collect::<Result<_, _>>()?))
    }
}

/// Binds `id` through `metadata` (the first 13 columns, in [`COLUMNS`] order), which both writes share.
fn bind_fields<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    key: &'q KeyRow,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    query
        .bind(&key.id)
        .bind(&key.secret_digest)
        .bind(&key.secret_hint)
        .bind(&key.name)
        .bind(&key.team)
        .bind(&key.models)
        .bind(key.rpm)
        .bind(key.tpm)
        .bind(key.max_parallel)
        .bind(key.budget_micro_usd)
        .bind(&key.budget_period)
        .bind(key.expires_at)
        .bind(&key.metadata)
}

async fn bump_generation(transaction: &mut sqlx::Transaction<'_, sqlx::Any>) -> Result<(), StoreError> {
    sqlx::query("UPDATE obs_key_generation SET generation = generation + 1 WHERE id = 1")
        .execute(&mut **transaction)
        .await?;
    Ok(())
}
