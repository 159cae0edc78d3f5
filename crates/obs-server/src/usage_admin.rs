//! `GET /obs/usage` (docs/reference/keys.md §8): usage totals with an admin key — filtered by key, team, model and
//! time, grouped by key, team, model, provider or day.

use http::{HeaderMap, Response, StatusCode};
use obs_models::Error;
use obs_models::error::ErrorCode;
use obs_store::{UsageGroup, UsageQuery};
use serde_json::{Value, json};

use crate::app::App;
use crate::body::{Body, json as json_response};
use crate::errors::error_response;

pub(crate) const USAGE: &str = "/obs/usage";

pub(crate) async fn handle(app: &App, headers: &HeaderMap, query: Option<&str>) -> Response<Body> {
    match run(app, headers, query).await {
        Ok(response) => response,
        Err(error) => error_response(&error),
    }
}

async fn run(app: &App, headers: &HeaderMap, query: Option<&str>) -> Result<Response<Body>, Error> {
    let (Some(ring), true) = (app.auth.ring(), app.usage.is_some()) else {
        return Err(Error::new(
            ErrorCode::NotFound,
            "Usage records are off: they are kept with managed keys (server.admin_keys) and usage.records.",
        ));
    };
    app.auth.check_admin(headers)?;
    let mut filter = UsageQuery::default();
    let mut group_name = Value::Null;
    for pair in query.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_encoding::percent_decode_str(&value.replace('+', " ")).decode_utf8_lossy().into_owned();
        match name {
            "key" => filter.key_id = Some(value),
            "team" => filter.team = Some(value),
            "model" => filter.model = Some(value),
            "from" => filter.from_ms = Some(seconds(name, &value)?),
            "to" => filter.to_ms = Some(seconds(name, &value)?),
            "group_by" => {
                filter.group_by = Some(match value.as_str() {
                    "key" => UsageGroup::Key,
                    "team" => UsageGroup::Team,
                    "model" => UsageGroup::Model,
                    "provider" => UsageGroup::Provider,
                    "day" => UsageGroup::Day,
                    _ => {
                        return Err(Error::invalid(
                            "group_by",
                            "'group_by' must be key, team, model, provider or day.",
                        ));
                    }
                });
                group_name = Value::from(value);
            }
            other => return Err(Error::invalid(other, format!("Unknown query parameter '{other}'."))),
        }
    }
    let totals = ring.store().usage_totals(&filter).await.map_err(|e| {
        Error::new(ErrorCode::ServiceUnavailable, "The usage store is unavailable; retry shortly.")
            .with_detail(e.to_string())
    })?;
    let data: Vec<Value> = totals
        .into_iter()
        .map(|t| {
            json!({
                "group": t.group, "requests": t.requests, "errors": t.errors, "input_tokens": t.input_tokens,
                "cache_read_tokens": t.cache_read_tokens, "cache_write_tokens": t.cache_write_tokens,
                "output_tokens": t.output_tokens, "reasoning_tokens": t.reasoning_tokens,
                "cost_usd": micro_to_usd(t.cost_micro_usd),
            })
        })
        .collect();
    Ok(json_response(StatusCode::OK, &json!({"object": "list", "group_by": group_name, "data": data})))
}

/// Unix seconds → milliseconds.
fn seconds(name: &str, value: &str) -> Result<i64, Error> {
    value
        .parse::<i64>()
        .ok()
        .and_then(|s| s.checked_mul(1000))
        .ok_or_else(|| Error::invalid(name, format!("'{name}' must be Unix seconds.")))
}

/// Millionths of a dollar as dollars (exact in JSON for any realistic total).
#[allow(clippy::cast_precision_loss)]
fn micro_to_usd(micro: i64) -> f64 {
    micro as f64 / 1e6
}
