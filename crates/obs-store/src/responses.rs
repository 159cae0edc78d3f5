//! `obs_responses`: stored Responses API answers. Each row belongs to one gateway key (`key_id`, a digest — never
//! the key) and is visible only to it; rows past `expires_at` are neither returned nor kept (purged on write).

use sqlx::Row;

use crate::{Store, StoreError};

/// A stored response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    /// `resp_…`.
    pub id: String,
    /// The gateway key's id (see obs-server's `auth.rs`).
    pub key_id: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds after which it is gone; `None`: kept until deleted.
    pub expires_at: Option<i64>,
    /// The response object, JSON.
    pub response: String,
    /// This request's input items, JSON array (`GET /v1/responses/{id}/input_items`).
    pub input_items: String,
    /// The whole conversation up to and including this response's output, JSON array of items: what a request
    /// with `previous_response_id` continues from.
    pub conversation: String,
}

/// Unix seconds now.
pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

impl Store {
    /// Stores a response (replacing one of the same id and key), and drops expired rows.
    pub async fn put_response(&self, row: &StoredResponse) -> Result<(), StoreError> {
        let pool = self.pool();
        sqlx::query("DELETE FROM obs_responses WHERE expires_at IS NOT NULL AND expires_at < $1")
            .bind(now())
            .execute(pool)
            .await?;
        sqlx::query(
            "INSERT INTO obs_responses (id, key_id, created_at, expires_at, response, input_items, conversation)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (id) DO UPDATE SET response = excluded.response, input_items = excluded.input_items,
                 conversation = excluded.conversation, expires_at = excluded.expires_at
             WHERE obs_responses.key_id = excluded.key_id",
        )
        .bind(&row.id)
        .bind(&row.key_id)
        .bind(row.created_at)
        .bind(row.expires_at)
        .bind(&row.response)
        .bind(&row.input_items)
        .bind(&row.conversation)
        .execute(pool)
        .await?;
        Ok(())
    }

    /// The response `id` of the key `key_id`, unless it expired; `None` for another key's.
    pub async fn get_response(&self, key_id: &str, id: &str) -> Result<Option<StoredResponse>, StoreError> {
        let row = sqlx::query(
            "SELECT id, key_id, created_at, expires_at, response, input_items, conversation FROM obs_responses
             WHERE id = $1 AND key_id = $2 AND (expires_at IS NULL OR expires_at >= $3)",
        )
        .bind(id)
        .bind(key_id)
        .bind(now())
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| {
            Ok(StoredResponse {
                id: row.try_get(0)?,
                key_id: row.try_get(1)?,
                created_at: row.try_get(2)?,
                expires_at: row.try_get(3)?,
                response: row.try_get(4)?,
                input_items: row.try_get(5)?,
                conversation: row.try_get(6)?,
            })
        })
        .transpose()
        .map_err(StoreError::Database)
    }

    /// Deletes the response `id` of the key `key_id`; whether there was one.
    pub async fn delete_response(&self, key_id: &str, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM obs_responses WHERE id = $1 AND key_id = $2")
            .bind(id)
            .bind(key_id)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
