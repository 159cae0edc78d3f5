//! SQLite's batch writes of usage records as one JSON parameter: the whole batch is serialized once and SQLite reads
//! it with `json_each` in a single `INSERT … SELECT`. Binding each value through sqlx costs several times what
//! SQLite's own insert does (17 parameters a row: ~15–25 µs of the writer's CPU per record), and on a small machine
//! that CPU is taken from the requests being answered; one text parameter per statement is nearly free to bind.
//! PostgreSQL keeps its multi-row `VALUES` (`usage.rs`), where the round trips, not the binding, are the cost.

use serde::ser::{Serialize, SerializeSeq, Serializer};
use sqlx::{Any, Transaction};

use crate::StoreError;
use crate::usage::UsageRow;

/// One record as a JSON array, in the column order of `usage::COLUMNS`.
struct AsArray<'a>(&'a UsageRow);

impl Serialize for AsArray<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let row = self.0;
        let mut seq = serializer.serialize_seq(Some(17))?;
        seq.serialize_element(&row.at_ms)?;
        seq.serialize_element(&row.request_id)?;
        seq.serialize_element(&row.key_id)?;
        seq.serialize_element(&row.team)?;
        seq.serialize_element(&row.route)?;
        seq.serialize_element(&row.model)?;
        seq.serialize_element(&row.provider)?;
        seq.serialize_element(&row.target)?;
        seq.serialize_element(&row.status)?;
        seq.serialize_element(&row.input_tokens)?;
        seq.serialize_element(&row.cache_read_tokens)?;
        seq.serialize_element(&row.cache_write_tokens)?;
        seq.serialize_element(&row.output_tokens)?;
        seq.serialize_element(&row.reasoning_tokens)?;
        seq.serialize_element(&row.duration_us)?;
        seq.serialize_element(&row.overhead_us)?;
        seq.serialize_element(&row.cost_micro_usd)?;
        seq.end()
    }
}

fn to_json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Encode(format!("a usage batch could not be encoded: {e}")))
}

/// Inserts `rows` into `obs_usage`.
pub(crate) async fn insert_usage(transaction: &mut Transaction<'_, Any>, rows: &[UsageRow]) -> Result<(), StoreError> {
    let batch: Vec<AsArray<'_>> = rows.iter().map(AsArray).collect();
    let fields: Vec<String> = (0..crate::usage::COLUMNS.len()).map(|i| format!("row ->> {i}")).collect();
    // Each record's array is taken out of the batch once (materialized): `value` read 17 times would be rebuilt as
    // text 17 times, and each `->>` on one text hits SQLite's cache of parsed JSON.
    let statement = format!(
        "WITH records(row) AS MATERIALIZED (SELECT value FROM json_each($1)) \
         INSERT INTO obs_usage ({}) SELECT {} FROM records",
        crate::usage::COLUMNS.join(", "),
        fields.join(", ")
    );
    sqlx::query(&statement).bind(to_json(&batch)?).execute(&mut **transaction).await?;
    Ok(())
}

/// Adds each `(key id, UTC day, cost)` to `obs_daily_spend`.
pub(crate) async fn add_daily_spend(
    transaction: &mut Transaction<'_, Any>,
    daily: &[((&str, i64), i64)],
) -> Result<(), StoreError> {
    let triples: Vec<(&str, i64, i64)> = daily.iter().map(|((key, day), cost)| (*key, *day, *cost)).collect();
    // `WHERE true` keeps SQLite from reading `ON CONFLICT` as a join constraint of the SELECT.
    sqlx::query(
        "INSERT INTO obs_daily_spend (key_id, day, cost_micro_usd)
         SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each($1) WHERE true
         ON CONFLICT (key_id, day) DO UPDATE SET cost_micro_usd = obs_daily_spend.cost_micro_usd + excluded.cost_micro_usd",
    )
    .bind(to_json(&triples)?)
    .execute(&mut **transaction)
    .await?;
    Ok(())
}
