//! Usage batches into an in-memory SQLite store, through the pool (a file store has its own usage connection,
//! `sqlite_writer.rs`; an in-memory database is seen only by the pool's one connection). The whole batch is one
//! parameter, encoded once in SQLite's binary JSON (JSONB, https://sqlite.org/jsonb.html) and read by a single
//! `INSERT … SELECT`: through sqlx each statement is a round trip to its worker thread and each bound value is
//! converted twice (17 parameters a row in multi-row `VALUES` cost five times the writer's instructions of this way),
//! while one BLOB parameter is nearly free to bind. JSONB rather than JSON text, because SQLite turns JSON text into
//! JSONB before it reads it anyway: this saves that conversion, ~6,400 instructions per record (docs/benchmarks.md).
//! PostgreSQL keeps its multi-row `VALUES` (`usage.rs`), where the round trips, not the binding, are the cost.

use sqlx::{Any, Transaction};

use crate::StoreError;
use crate::usage::{Column, UsageRow};

/// JSONB element types (the low four bits of an element's first header byte).
const NULL: u8 = 0x0;
const INT: u8 = 0x3;
/// UTF-8 text stored as it is; SQLite escapes it if it is ever rendered as JSON text.
const TEXT_RAW: u8 = 0xA;
const ARRAY: u8 = 0xB;

/// Appends one element's header: its type and the size of the payload that follows, in the shortest form (sizes up
/// to 11 in the header byte itself, then in 1, 2 or 4 following big-endian bytes).
fn header(out: &mut Vec<u8>, kind: u8, size: usize) {
    match size {
        0..=11 => out.push((u8::try_from(size).unwrap_or(0) << 4) | kind),
        12..=0xFF => {
            out.push(0xC0 | kind);
            out.push(u8::try_from(size).unwrap_or(u8::MAX));
        }
        0x100..=0xFFFF => {
            out.push(0xD0 | kind);
            out.extend_from_slice(&u16::try_from(size).unwrap_or(u16::MAX).to_be_bytes());
        }
        _ => {
            out.push(0xE0 | kind);
            out.extend_from_slice(&u32::try_from(size).unwrap_or(u32::MAX).to_be_bytes());
        }
    }
}

fn integer(out: &mut Vec<u8>, value: i64) {
    let mut digits = itoa::Buffer::new();
    let digits = digits.format(value);
    header(out, INT, digits.len());
    out.extend_from_slice(digits.as_bytes());
}

fn text(out: &mut Vec<u8>, value: Option<&str>) {
    match value {
        Some(value) => {
            header(out, TEXT_RAW, value.len());
            out.extend_from_slice(value.as_bytes());
        }
        None => header(out, NULL, 0),
    }
}

/// One record as a JSONB array's payload, in the column order of `usage::COLUMNS`.
fn record(out: &mut Vec<u8>, row: &UsageRow) {
    for column in row.columns() {
        match column {
            Column::Integer(value) => integer(out, value),
            Column::Text(value) => text(out, value),
        }
    }
}

/// Records per inner array of the encoded batch: `jsonb_extract` finds record `n` at `$[n / 16][n % 16]`, walking
/// past at most `n / 16 + 15` elements rather than `n` (a batch of 500 in one flat array costs ~19,000 instructions
/// per record in that walk alone).
const RECORDS_PER_GROUP: usize = 16;

/// The batch as one JSONB array of groups of records, each record an array.
pub(crate) fn encode(rows: &[UsageRow]) -> Vec<u8> {
    let mut groups = Vec::with_capacity(rows.len() * 160);
    let mut group = Vec::with_capacity(RECORDS_PER_GROUP * 160);
    let mut one = Vec::with_capacity(256);
    for chunk in rows.chunks(RECORDS_PER_GROUP) {
        group.clear();
        for row in chunk {
            one.clear();
            record(&mut one, row);
            header(&mut group, ARRAY, one.len());
            group.extend_from_slice(&one);
        }
        header(&mut groups, ARRAY, group.len());
        groups.extend_from_slice(&group);
    }
    let mut batch = Vec::with_capacity(groups.len() + 5);
    header(&mut batch, ARRAY, groups.len());
    batch.extend_from_slice(&groups);
    batch
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Encode(format!("a usage batch could not be encoded: {e}")))
}

/// Inserts `rows` into `obs_usage`.
pub(crate) async fn insert_usage(transaction: &mut Transaction<'_, Any>, rows: &[UsageRow]) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let count = i64::try_from(rows.len()).unwrap_or(i64::MAX);
    sqlx::query(insert_statement()).bind(encode(rows)).bind(count).execute(&mut **transaction).await?;
    Ok(())
}

/// The `INSERT` of a batch of `$2` records encoded in `$1`, built once. Each record's array is taken out of the batch
/// once (materialized) as JSONB, and each `->>` walks its elements. (`jsonb_each` would be simpler than counting
/// `n`, but it is newer than the SQLite that sqlx bundles; `json_each` renders each record back into text.)
fn insert_statement() -> &'static str {
    static STATEMENT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    STATEMENT.get_or_init(|| {
        let fields: Vec<String> = (0..crate::usage::COLUMNS.len()).map(|i| format!("row ->> {i}")).collect();
        format!(
            "WITH RECURSIVE indices(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM indices WHERE n + 1 < $2), \
             records(row) AS MATERIALIZED \
               (SELECT jsonb_extract($1, '$[' || (n / {per}) || '][' || (n % {per}) || ']') FROM indices) \
             INSERT INTO obs_usage ({}) SELECT {} FROM records",
            crate::usage::COLUMNS.join(", "),
            fields.join(", "),
            per = RECORDS_PER_GROUP,
        )
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::Connection;

    /// What SQLite renders of our encoding is the batch as JSON text, for every header size and for text that JSON
    /// must escape.
    #[tokio::test]
    async fn sqlite_reads_the_encoding_as_the_batch() {
        let mut db = sqlx::SqliteConnection::connect("sqlite::memory:").await.unwrap();
        let sized = |n: usize| "x".repeat(n);
        let mut rows = vec![
            UsageRow { request_id: String::new(), key_id: sized(11), ..UsageRow::default() },
            UsageRow {
                at_ms: i64::MAX,
                request_id: sized(12),
                key_id: sized(255),
                team: Some("équipe \"🚀\" \\ 'x'\n\t\u{1}".to_owned()),
                route: sized(256),
                model: Some(sized(65_535)),
                provider: Some(sized(65_536)),
                target: None,
                status: -1,
                input_tokens: i64::MIN,
                ..UsageRow::default()
            },
        ];
        // More than two groups of records.
        rows.extend((0..40).map(|i| UsageRow { at_ms: i, request_id: format!("r{i}"), ..UsageRow::default() }));
        let record = |r: &UsageRow| {
            serde_json::json!([
                r.at_ms,
                r.request_id,
                r.key_id,
                r.team,
                r.route,
                r.model,
                r.provider,
                r.target,
                r.status,
                r.input_tokens,
                r.cache_read_tokens,
                r.cache_write_tokens,
                r.output_tokens,
                r.reasoning_tokens,
                r.duration_us,
                r.overhead_us,
                r.cost_micro_usd
            ])
        };
        let expected: Vec<Vec<serde_json::Value>> =
            rows.chunks(RECORDS_PER_GROUP).map(|group| group.iter().map(record).collect()).collect();
        let (rendered, valid): (String, i64) =
            sqlx::query_as("SELECT json($1), json_valid($1, 8)").bind(encode(&rows)).fetch_one(&mut db).await.unwrap();
        assert_eq!(valid, 1, "strictly valid JSONB");
        let rendered: serde_json::Value = serde_json::from_str(&rendered).unwrap();
        // Not assert_eq: the values run to 64 KiB.
        assert!(rendered == serde_json::json!(expected), "SQLite reads another batch than the one encoded");
    }

    #[test]
    fn headers_take_the_shortest_form() {
        let bytes = |size: usize| {
            let mut out = Vec::new();
            header(&mut out, ARRAY, size);
            out
        };
        assert_eq!(bytes(0), [0x0B]);
        assert_eq!(bytes(11), [0xBB]);
        assert_eq!(bytes(12), [0xCB, 12]);
        assert_eq!(bytes(255), [0xCB, 255]);
        assert_eq!(bytes(256), [0xDB, 1, 0]);
        assert_eq!(bytes(65_536), [0xEB, 0, 1, 0, 0]);
    }
}
