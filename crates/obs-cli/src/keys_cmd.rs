//! `keys create | list | show | update | revoke | rotate` and `usage`: the admin API (docs/reference/keys.md §2, §7)
//! from the command line — a table by default, the JSON answer with `--json`.

use std::io::Write;

use serde_json::{Map, Value, json};

use crate::CliError;
use crate::args::{KeyFields, KeysAction, KeysArgs, UsageArgs};
use crate::client::ObsClient;

/// Runs one `keys` action against the gateway at `--server-url`.
pub fn run(args: &KeysArgs, runtime: &tokio::runtime::Runtime, out: &mut dyn Write) -> Result<(), CliError> {
    let client = admin_client(&args.server_url, args.admin_key.as_ref())?;
    let call = |method: reqwest::Method, path: String, body: Option<Value>| {
        runtime.block_on(client.admin_call(method, &path, body.as_ref())).map_err(CliError::from)
    };
    let answer = match &args.action {
        KeysAction::Create { name, fields } => {
            let mut body = fields_json(fields)?;
            body.insert("name".to_owned(), json!(name));
            call(reqwest::Method::POST, "/obs/keys".to_owned(), Some(Value::Object(body)))?
        }
        KeysAction::List => call(reqwest::Method::GET, "/obs/keys".to_owned(), None)?,
        KeysAction::Show { id } => call(reqwest::Method::GET, format!("/obs/keys/{}", path_id(id)?), None)?,
        KeysAction::Update { id, name, fields, clear } => {
            let mut body = fields_json(fields)?;
            if let Some(name) = name {
                body.insert("name".to_owned(), json!(name));
            }
            for field in clear {
                const CLEARABLE: [&str; 9] = [
                    "team",
                    "models",
                    "rpm",
                    "tpm",
                    "max_parallel",
                    "budget_usd",
                    "budget_period",
                    "expires_at",
                    "metadata",
                ];
                if !CLEARABLE.contains(&field.as_str()) {
                    return Err(CliError::new(format!(
                        "--clear {field}: not a setting that can be cleared ({})",
                        CLEARABLE.join(", ")
                    )));
                }
                body.insert(field.clone(), Value::Null);
            }
            if body.is_empty() {
                return Err(CliError::new("nothing to change: pass a setting (see obs-cli keys update --help)"));
            }
            call(reqwest::Method::PATCH, format!("/obs/keys/{}", path_id(id)?), Some(Value::Object(body)))?
        }
        KeysAction::Revoke { id } => call(reqwest::Method::DELETE, format!("/obs/keys/{}", path_id(id)?), None)?,
        KeysAction::Rotate { id } => call(reqwest::Method::POST, format!("/obs/keys/{}/rotate", path_id(id)?), None)?,
    };
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&answer).map_err(|e| CliError::new(e.to_string()))?)?;
        return Ok(());
    }
    match answer["data"].as_array() {
        Some(keys) => {
            table(keys, out)?;
            writeln!(out, "{} keys", keys.len())?;
        }
        None => {
            table(std::slice::from_ref(&answer), out)?;
            if let Some(secret) = answer["key"].as_str() {
                writeln!(out, "key: {secret}")?;
                writeln!(out, "(shown once: store it now; obs keeps only its hash)")?;
            }
        }
    }
    Ok(())
}

/// An id as one path segment: nothing that would change the path.
fn path_id(id: &str) -> Result<&str, CliError> {
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        return Err(CliError::new(format!("'{id}' is not a key id (key_…)")));
    }
    Ok(id)
}

fn fields_json(fields: &KeyFields) -> Result<Map<String, Value>, CliError> {
    let mut body = Map::new();
    let mut put = |name: &str, value: Option<Value>| {
        if let Some(value) = value {
            body.insert(name.to_owned(), value);
        }
    };
    put("team", fields.team.clone().map(Value::from));
    put("models", fields.models.clone().map(Value::from));
    put("rpm", fields.rpm.map(Value::from));
    put("tpm", fields.tpm.map(Value::from));
    put("max_parallel", fields.max_parallel.map(Value::from));
    put("budget_usd", fields.budget_usd.map(Value::from));
    put("budget_period", fields.budget_period.clone().map(Value::from));
    put("expires_at", fields.expires_at.map(Value::from));
    if let Some(metadata) = &fields.metadata {
        let value: Value =
            serde_json::from_str(metadata).map_err(|e| CliError::new(format!("--metadata is not JSON: {e}")))?;
        body.insert("metadata".to_owned(), value);
    }
    Ok(body)
}

fn table(keys: &[Value], out: &mut dyn Write) -> Result<(), CliError> {
    let text = |v: &Value| match v {
        Value::Null => "-".to_owned(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    };
    let columns = ["id", "name", "team", "status", "key_hint", "models", "rpm", "max_parallel"];
    let rows: Vec<Vec<String>> = keys.iter().map(|key| columns.iter().map(|c| text(&key[*c])).collect()).collect();
    let header: Vec<String> = columns.iter().map(|c| c.to_ascii_uppercase()).collect();
    write_table(out, &header, &rows, usize::MAX)
}

/// A client of the admin API, refused early without an admin key.
fn admin_client(server_url: &str, admin_key: Option<&String>) -> Result<ObsClient, CliError> {
    match admin_key.filter(|k| !k.is_empty()) {
        Some(key) => Ok(ObsClient::admin(server_url, Some(key.clone()))),
        None => Err(CliError::new("no admin key: pass --admin-key or set ADMIN_API_KEY")),
    }
}

/// Columns padded to their widest cell, two spaces apart; columns from `right_from` on are right-aligned
/// (numbers), the others left-aligned.
fn write_table(
    out: &mut dyn Write,
    header: &[String],
    rows: &[Vec<String>],
    right_from: usize,
) -> Result<(), CliError> {
    let widths: Vec<usize> = (0..header.len())
        .map(|i| rows.iter().map(|r| r[i].chars().count()).chain([header[i].chars().count()]).max().unwrap_or(0))
        .collect();
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, w))| if i >= right_from { format!("{c:>w$}") } else { format!("{c:<w$}") })
            .collect();
        padded.join("  ").trim_end().to_owned()
    };
    writeln!(out, "{}", line(header))?;
    for row in rows {
        writeln!(out, "{}", line(row))?;
    }
    Ok(())
}

/// `usage`: `GET /obs/usage` as a table.
pub fn usage(args: &UsageArgs, runtime: &tokio::runtime::Runtime, out: &mut dyn Write) -> Result<(), CliError> {
    let client = admin_client(&args.server_url, args.admin_key.as_ref())?;
    let mut query = Vec::new();
    let encode = |v: &str| percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC).to_string();
    for (name, value) in
        [("key", &args.key), ("team", &args.team), ("model", &args.model), ("group_by", &args.group_by)]
    {
        if let Some(value) = value {
            query.push(format!("{name}={}", encode(value)));
        }
    }
    for (name, value) in [("from", args.from), ("to", args.to)] {
        if let Some(value) = value {
            query.push(format!("{name}={value}"));
        }
    }
    let path = if query.is_empty() { "/obs/usage".to_owned() } else { format!("/obs/usage?{}", query.join("&")) };
    let answer = runtime.block_on(client.admin_call(reqwest::Method::GET, &path, None)).map_err(CliError::from)?;
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&answer).map_err(|e| CliError::new(e.to_string()))?)?;
        return Ok(());
    }
    let rows = answer["data"].as_array().cloned().unwrap_or_default();
    let first = match answer["group_by"].as_str() {
        Some(group) => group.to_ascii_uppercase(),
        None => "ALL".to_owned(),
    };
    let columns = [
        "requests",
        "errors",
        "input_tokens",
        "cache_read_tokens",
        "cache_write_tokens",
        "output_tokens",
        "reasoning_tokens",
    ];
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            let group = row["group"].as_str().map_or_else(|| "-".to_owned(), str::to_owned);
            // Dollars to the millionth, the precision obs keeps costs in.
            let cost = row["cost_usd"].as_f64().map_or_else(|| "-".to_owned(), |usd| format!("{usd:.6}"));
            std::iter::once(group).chain(columns.iter().map(|c| row[*c].to_string())).chain([cost]).collect()
        })
        .collect();
    let header: Vec<String> = std::iter::once(first)
        .chain(
            ["REQUESTS", "ERRORS", "INPUT", "CACHE_READ", "CACHE_WRITE", "OUTPUT", "REASONING", "COST_USD"]
                .map(str::to_owned),
        )
        .collect();
    write_table(out, &header, &cells, 1)
}
