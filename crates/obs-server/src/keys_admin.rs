//! `/obs/keys` (docs/reference/keys.md §2): managing keys with an admin key. `POST /obs/keys` creates one and answers
//! its secret this once; `GET /obs/keys[/{id}]` reads; `PATCH /obs/keys/{id}` changes fields (`null` clears one);
//! `DELETE /obs/keys/{id}` revokes; `POST /obs/keys/{id}/rotate` replaces the secret. Every change reloads this
//! replica's key ring at once; other replicas see it within `keys.refresh_seconds`.

use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use obs_models::Error;
use obs_models::error::ErrorCode;
use obs_store::{KeyRow, KeyWrite};
use serde_json::{Map, Value, json};

use crate::app::App;
use crate::body::{Body, json as json_response};
use crate::errors::error_response;
use crate::keyring::KeyRing;
use crate::periods::now;

pub(crate) const PREFIX: &str = "/obs/keys";

/// Largest admin request body: a key's fields, metadata included.
const BODY_LIMIT: usize = 64 * 1024;
/// Largest `metadata`, serialised.
const METADATA_LIMIT: usize = 16 * 1024;

pub(crate) async fn handle(app: &App, request: Request<Incoming>) -> Response<Body> {
    match run(app, request).await {
        Ok(response) => response,
        Err(error) => error_response(&error),
    }
}

async fn run(app: &App, request: Request<Incoming>) -> Result<Response<Body>, Error> {
    let Some(ring) = app.auth.ring().cloned() else {
        return Err(Error::new(
            ErrorCode::NotFound,
            "Managed keys are off: set server.admin_keys (ADMIN_API_KEY) to manage keys.",
        ));
    };
    app.auth.check_admin(request.headers())?;
    let method = request.method().clone();
    let path = request.uri().path().trim_end_matches('/').to_owned();
    let rest = path.strip_prefix(PREFIX).unwrap_or_default();
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    match (&method, segments.as_slice()) {
        (&Method::POST, []) => {
            let fields = read_object(app, request).await?;
            create(&ring, &fields).await
        }
        (&Method::GET, []) => {
            let keys = ring.store().keys().await.map_err(store_failed)?;
            let data: Vec<Value> = keys.iter().map(describe).collect();
            Ok(json_response(StatusCode::OK, &json!({"object": "list", "data": data})))
        }
        (&Method::GET, [id]) => Ok(json_response(StatusCode::OK, &describe(&load(&ring, id).await?))),
        (&Method::PATCH, [id]) => {
            let id = (*id).to_owned();
            let fields = read_object(app, request).await?;
            let mut row = load(&ring, &id).await?;
            apply(&mut row, &fields, false)?;
            row.updated_at = now();
            write(&ring, &row, false).await?;
            Ok(json_response(StatusCode::OK, &describe(&row)))
        }
        (&Method::DELETE, [id]) => {
            let mut row = load(&ring, id).await?;
            if row.revoked_at.is_none() {
                row.revoked_at = Some(now());
                row.updated_at = now();
                write(&ring, &row, false).await?;
            }
            Ok(json_response(StatusCode::OK, &describe(&row)))
        }
        (&Method::POST, [id, "rotate"]) => {
            let mut row = load(&ring, id).await?;
            if row.revoked_at.is_some() {
                return Err(Error::invalid("id", "A revoked key cannot be rotated; create a new one."));
            }
            let secret = new_secret();
            set_secret(&mut row, &secret);
            row.updated_at = now();
            write(&ring, &row, false).await?;
            Ok(json_response(StatusCode::OK, &with_secret(&row, &secret)))
        }
        (_, [] | [_] | [_, "rotate"]) => Err(not_allowed(&method, &segments)),
        _ => Err(Error::new(ErrorCode::NotFound, format!("No route for {method} {path}."))),
    }
}

fn not_allowed(method: &Method, segments: &[&str]) -> Error {
    let allowed = match segments {
        [] => "GET, POST",
        [_] => "GET, PATCH, DELETE",
        _ => "POST",
    };
    Error::new(ErrorCode::MethodNotAllowed, format!("Method {method} is not allowed here; use {allowed}."))
}

async fn create(ring: &KeyRing, fields: &Map<String, Value>) -> Result<Response<Body>, Error> {
    let secret = new_secret();
    let at = now();
    let mut row = KeyRow {
        id: new_id(),
        secret_digest: String::new(),
        secret_hint: String::new(),
        name: String::new(),
        team: None,
        models: None,
        rpm: None,
        tpm: None,
        max_parallel: None,
        budget_micro_usd: None,
        budget_period: None,
        expires_at: None,
        metadata: None,
        created_at: at,
        updated_at: at,
        revoked_at: None,
    };
    set_secret(&mut row, &secret);
    apply(&mut row, fields, true)?;
    write(ring, &row, true).await?;
    Ok(json_response(StatusCode::OK, &with_secret(&row, &secret)))
}

/// Stores the row and reloads the ring, so the change applies on this replica before the answer.
async fn write(ring: &KeyRing, row: &KeyRow, new: bool) -> Result<(), Error> {
    let written = if new { ring.store().insert_key(row).await } else { ring.store().update_key(row).await };
    match written.map_err(store_failed)? {
        KeyWrite::Done => {}
        KeyWrite::NoSuchKey => return Err(no_such_key(&row.id)),
        // 192 random bits: only a broken random source collides.
        KeyWrite::DuplicateSecret => return Err(crate::errors::internal_error("a new key secret collided")),
    }
    if let Err(error) = ring.reload().await {
        tracing::warn!(error = %error, "managed keys written but not reloaded; the next refresh will");
    } else if let Err(error) = ring.refresh_spend().await {
        tracing::warn!(error = %error, "managed keys' spend not read; the next refresh will");
    }
    Ok(())
}

async fn load(ring: &KeyRing, id: &str) -> Result<KeyRow, Error> {
    ring.store().key(id).await.map_err(store_failed)?.ok_or_else(|| no_such_key(id))
}

fn no_such_key(id: &str) -> Error {
    Error::new(ErrorCode::NotFound, format!("No key with id '{id}'.")).with_param("id")
}

fn store_failed(error: obs_store::StoreError) -> Error {
    Error::new(ErrorCode::ServiceUnavailable, "The key store is unavailable; retry shortly.")
        .with_detail(error.to_string())
}

async fn read_object(app: &App, request: Request<Incoming>) -> Result<Map<String, Value>, Error> {
    let (parts, body) = request.into_parts();
    let (bytes, _permit) =
        crate::request_body::read(&parts.headers, body, BODY_LIMIT, &app.limits, &app.body_budget).await?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(fields)) => Ok(fields),
        Ok(_) => Err(Error::new(ErrorCode::InvalidBody, "The body must be a JSON object.")),
        Err(_) => Err(Error::new(ErrorCode::InvalidJson, "The body is not valid JSON.")),
    }
}

/// Applies the request's fields to `row`, each validated and named when wrong. `null` clears an optional field.
fn apply(row: &mut KeyRow, fields: &Map<String, Value>, creating: bool) -> Result<(), Error> {
    if creating && !fields.contains_key("name") {
        return Err(Error::invalid("name", "'name' is required."));
    }
    for (field, value) in fields {
        match field.as_str() {
            "name" => {
                row.name = text(field, value, 200)?.ok_or_else(|| Error::invalid("name", "'name' cannot be null."))?
            }
            "team" => row.team = text(field, value, 200)?,
            "models" => row.models = models(value)?,
            "rpm" => row.rpm = positive(field, value)?,
            "tpm" => row.tpm = positive(field, value)?,
            "max_parallel" => row.max_parallel = positive(field, value)?,
            "budget_usd" => row.budget_micro_usd = budget(value)?,
            "budget_period" => {
                row.budget_period = match value {
                    Value::Null => None,
                    Value::String(p) if matches!(p.as_str(), "day" | "week" | "month") => Some(p.clone()),
                    _ => return Err(Error::invalid(field, "'budget_period' must be \"day\", \"week\" or \"month\".")),
                }
            }
            "expires_at" => {
                row.expires_at = match value {
                    Value::Null => None,
                    Value::Number(n) => match n.as_i64() {
                        Some(at) if at > now() => Some(at),
                        Some(_) => return Err(Error::invalid(field, "'expires_at' is in the past.")),
                        None => return Err(Error::invalid(field, "'expires_at' must be Unix seconds.")),
                    },
                    _ => return Err(Error::invalid(field, "'expires_at' must be Unix seconds or null.")),
                }
            }
            "metadata" => {
                row.metadata = match value {
                    Value::Null => None,
                    Value::Object(_) => {
                        let text = value.to_string();
                        if text.len() > METADATA_LIMIT {
                            return Err(Error::invalid(field, "'metadata' is larger than 16 KiB."));
                        }
                        Some(text)
                    }
                    _ => return Err(Error::invalid(field, "'metadata' must be an object or null.")),
                }
            }
            other => return Err(Error::invalid(other, format!("Unknown field '{other}'."))),
        }
    }
    if row.budget_micro_usd.is_some() && row.budget_period.is_none() {
        row.budget_period = Some("month".to_owned());
    }
    if row.budget_micro_usd.is_none() && fields.get("budget_period").is_some_and(|p| !p.is_null()) {
        return Err(Error::invalid("budget_period", "'budget_period' needs 'budget_usd'."));
    }
    Ok(())
}

fn text(field: &str, value: &Value, max: usize) -> Result<Option<String>, Error> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) if !s.trim().is_empty() && s.chars().count() <= max => Ok(Some(s.clone())),
        _ => Err(Error::invalid(field, format!("'{field}' must be a non-empty string of at most {max} characters."))),
    }
}

fn positive(field: &str, value: &Value) -> Result<Option<i64>, Error> {
    match value {
        Value::Null => Ok(None),
        Value::Number(n) => match n.as_i64() {
            Some(v) if v >= 1 => Ok(Some(v)),
            _ => Err(Error::invalid(field, format!("'{field}' must be a whole number of at least 1, or null."))),
        },
        _ => Err(Error::invalid(field, format!("'{field}' must be a whole number of at least 1, or null."))),
    }
}

fn budget(value: &Value) -> Result<Option<i64>, Error> {
    let wrong = || Error::invalid("budget_usd", "'budget_usd' must be a number of US dollars, 0 or more, or null.");
    match value {
        Value::Null => Ok(None),
        Value::Number(n) => {
            let usd = n.as_f64().filter(|usd| usd.is_finite() && *usd >= 0.0 && *usd <= 1e9).ok_or_else(wrong)?;
            // Whole millionths: exact sums, no float drift.
            #[allow(clippy::cast_possible_truncation)]
            let micro = (usd * 1e6).round() as i64;
            Ok(Some(micro))
        }
        _ => Err(wrong()),
    }
}

fn models(value: &Value) -> Result<Option<String>, Error> {
    let wrong = || Error::invalid("models", "'models' must be an array of model ids or group names, or null.");
    match value {
        Value::Null => Ok(None),
        Value::Array(items) => {
            if items.len() > 1000 {
                return Err(Error::invalid("models", "'models' holds more than 1000 entries."));
            }
            let ids: Vec<&str> = items
                .iter()
                .map(|item| item.as_str().filter(|id| !id.trim().is_empty() && id.len() <= 512).ok_or_else(wrong))
                .collect::<Result<_, _>>()?;
            Ok(Some(Value::from(ids).to_string()))
        }
        _ => Err(wrong()),
    }
}

/// A key as admins read it: every field but the secret, which only its last four characters hint at.
fn describe(row: &KeyRow) -> Value {
    let parse = |text: &Option<String>| text.as_deref().and_then(|t| serde_json::from_str::<Value>(t).ok());
    let status = if row.revoked_at.is_some() {
        "revoked"
    } else if row.expires_at.is_some_and(|at| at <= now()) {
        "expired"
    } else {
        "active"
    };
    #[allow(clippy::cast_precision_loss)]
    let budget_usd = row.budget_micro_usd.map(|micro| micro as f64 / 1e6);
    json!({
        "id": row.id,
        "object": "gateway.key",
        "name": row.name,
        "team": row.team,
        "models": parse(&row.models),
        "rpm": row.rpm,
        "tpm": row.tpm,
        "max_parallel": row.max_parallel,
        "budget_usd": budget_usd,
        "budget_period": row.budget_period,
        "expires_at": row.expires_at,
        "metadata": parse(&row.metadata),
        "key_hint": format!("…{}", row.secret_hint),
        "status": status,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "revoked_at": row.revoked_at,
    })
}

fn with_secret(row: &KeyRow, secret: &str) -> Value {
    let mut value = describe(row);
    if let Some(object) = value.as_object_mut() {
        object.insert("key".to_owned(), Value::from(secret));
    }
    value
}

fn set_secret(row: &mut KeyRow, secret: &str) {
    row.secret_digest = crate::hex::encode(&crate::auth::digest(secret.as_bytes()));
    row.secret_hint = secret.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
}

/// `obs-sk-` and 48 hex digits: 192 random bits.
fn new_secret() -> String {
    format!("obs-sk-{}", random_hex::<24>())
}

/// `key_` and 24 hex digits.
fn new_id() -> String {
    format!("key_{}", random_hex::<12>())
}

fn random_hex<const N: usize>() -> String {
    use rand::Rng;
    let bytes: [u8; N] = rand::rng().random();
    crate::hex::encode(&bytes)
}
