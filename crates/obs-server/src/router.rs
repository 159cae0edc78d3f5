//! The route table (docs/reference/routes.md §1): a `match` on method and path, so every rejection — 404, 405, auth —
//! is in the OpenAI error shape. Adds `x-request-id` and CORS headers to every answer and writes the request log.

use std::sync::Arc;

use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use obs_models::error::ErrorCode;
use obs_service::ChatService;

use crate::app::App;
use crate::body::{Body, full, json};
use obs_models::Error;

use crate::embeddings;
use crate::errors::error_response;
use crate::observe::RequestLog;
use crate::responses;
use crate::{bedrock_ingress, bedrock_listing, chat, health, keys_admin, messages, openapi};

const KNOWN_PATHS: [(&str, &str); 10] = [
    ("/obs/usage", "GET"),
    (responses::RESPONSES, "POST"),
    ("/obs/targets", "GET"),
    ("/v1/chat/completions", "POST"),
    (embeddings::EMBEDDINGS, "POST"),
    ("/v1/models", "GET"),
    ("/health", "GET"),
    ("/v1/chat/completions/health", "GET"),
    ("/metrics", "GET"),
    ("/openapi.json", "GET"),
];

pub(crate) async fn handle(app: Arc<App>, request: Request<Incoming>) -> Response<Body> {
    let request_id = request_id(request.headers());
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let origin = request.headers().get(header::ORIGIN).cloned();
    let route = route_name(&method, &path);
    let log = RequestLog::new(app.clone(), method.to_string(), path.clone(), route, request_id.clone());

    let (mut response, log) = match (&method, path.as_str()) {
        // The metrics address is for scrapers: no gateway route (nor its auth, limits or documents) is behind it.
        (&Method::GET, "/metrics") if app.metrics_only => (metrics(&app), Some(log)),
        _ if app.metrics_only => (not_on_metrics_listener(&method, &path), Some(log)),
        (&Method::POST, "/v1/chat/completions") => chat::handle(&app, request, log).await,
        (&Method::POST, embeddings::EMBEDDINGS) => embeddings::handle(&app, request, log).await,
        (&Method::POST, responses::RESPONSES) => responses::handle(&app, request, log).await,
        (_, one) if one.starts_with("/v1/responses/") => {
            let answer = responses::stored_route(&app, &method, one, request.uri().query(), request.headers()).await;
            (answer, Some(log))
        }
        (&Method::POST, messages::MESSAGES) => messages::handle(&app, request, log, messages::Route::Create).await,
        (&Method::POST, messages::COUNT_TOKENS) => {
            messages::handle(&app, request, log, messages::Route::CountTokens).await
        }
        (&Method::GET, "/v1/models") => (models(&app, request.headers()).await, Some(log)),
        (&Method::GET, "/obs/targets") => (targets(&app, request.headers()), Some(log)),
        (&Method::GET, crate::usage_admin::USAGE) => {
            (crate::usage_admin::handle(&app, request.headers(), request.uri().query()).await, Some(log))
        }
        (_, keys) if keys == keys_admin::PREFIX || keys.starts_with("/obs/keys/") => {
            (keys_admin::handle(&app, request).await, Some(log))
        }
        (&Method::GET, one) if one.starts_with("/v1/models/") => {
            (model(&app, request.headers(), &one["/v1/models/".len()..]).await, Some(log))
        }
        (&Method::GET, "/health") => (health::health(), Some(log)),
        (&Method::GET, "/v1/chat/completions/health") => (health::chat_health(), Some(log)),
        (&Method::GET, "/metrics") if app.metrics_on_main => (metrics(&app), Some(log)),
        (&Method::GET, bedrock_listing::FOUNDATION_MODELS | bedrock_listing::INFERENCE_PROFILES) => {
            bedrock_listing::handle(&app, request, log).await
        }
        (&Method::GET, "/openapi.json") => (openapi_json(&app), Some(log)),
        (&Method::GET, "/docs") => (openapi::redirect("/docs/"), Some(log)),
        (&Method::GET, docs) if docs.starts_with("/docs/") => {
            (openapi::docs(docs.trim_start_matches("/docs/"), &app.swagger), Some(log))
        }
        (&Method::OPTIONS, _) if app.cors.enabled() => (app.cors.preflight(origin.as_ref()), Some(log)),
        (_, bedrock) if bedrock.starts_with(bedrock_ingress::PREFIX) => {
            bedrock_ingress::handle(&app, request, log).await
        }
        (_, messages::MESSAGES | messages::COUNT_TOKENS) => {
            (messages::method_not_allowed(&method, &path, &request_id), Some(log))
        }
        _ => (not_routed(&method, &path, app.metrics_on_main), Some(log)),
    };

    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    app.cors.decorate(origin.as_ref(), &mut response);
    if let Some(mut log) = log {
        if let Some(rate_limit) = log.rate_limit {
            rate_limit.decorate(response.headers_mut());
        }
        if let Some(token_limit) = log.token_limit {
            token_limit.decorate_as(response.headers_mut(), "tokens");
        }
        log.status = response.status().as_u16();
        if log.outcome == "client_closed" {
            log.outcome = "completed";
        }
    }
    response
}

async fn models(app: &App, headers: &http::HeaderMap) -> Response<Body> {
    if let Err(error) = app.auth.check(headers) {
        return error_response(&error);
    }
    match app.gateway.list_models().await {
        Ok(list) => json(StatusCode::OK, &list),
        Err(error) => error_response(&error),
    }
}

/// `GET /v1/models/{id}` (the SDKs' `models.retrieve`): one entry of the list, or 404 `model_not_found`. Ids may
/// hold `/` (`vllm/meta-llama/…`): the whole rest of the path is the id.
async fn model(app: &App, headers: &http::HeaderMap, id: &str) -> Response<Body> {
    if let Err(error) = app.auth.check(headers) {
        return error_response(&error);
    }
    let id = percent_encoding::percent_decode_str(id).decode_utf8_lossy();
    match app.gateway.list_models().await {
        Ok(list) => match list.data.iter().find(|model| model.id == id) {
            Some(model) => json(StatusCode::OK, model),
            None => error_response(
                &Error::new(ErrorCode::ModelNotFound, format!("The model '{id}' does not exist.")).with_param("model"),
            ),
        },
        Err(error) => error_response(&error),
    }
}

/// `GET /obs/targets`: every group target's health and load, in group order then target order.
fn targets(app: &App, headers: &http::HeaderMap) -> Response<Body> {
    if let Err(error) = app.auth.check(headers) {
        return error_response(&error);
    }
    let data: Vec<serde_json::Value> = app
        .gateway
        .targets()
        .into_iter()
        .map(|t| {
            serde_json::json!({
                "group": t.group,
                "target": t.target,
                "provider": t.provider,
                "model": t.model,
                "weight": t.weight,
                "healthy": t.health.healthy,
                "state": t.health.state,
                "consecutive_failures": t.health.consecutive_failures,
                "resting_seconds": t.health.resting_for.as_secs_f64(),
                "in_flight": t.in_flight,
                "requests": t.requests,
                "failures": t.failures,
            })
        })
        .collect();
    json(StatusCode::OK, &serde_json::json!({"object": "list", "data": data}))
}

fn metrics(app: &App) -> Response<Body> {
    let mut response = Response::new(full(app.metrics.render()));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    response
}

fn openapi_json(app: &App) -> Response<Body> {
    let mut response = Response::new(full(app.openapi.clone()));
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// The metrics listener's answer to anything but `GET /metrics`: 405 on `/metrics`, else 404.
fn not_on_metrics_listener(method: &Method, path: &str) -> Response<Body> {
    if path == "/metrics" {
        return not_routed(method, path, true);
    }
    error_response(&Error::new(ErrorCode::NotFound, format!("No route for {method} {path} on the metrics address.")))
}

/// 405 with `Allow` for a known path and the wrong method, else 404.
fn not_routed(method: &Method, path: &str, metrics_on_main: bool) -> Response<Body> {
    let allowed = KNOWN_PATHS
        .iter()
        .find(|(known, _)| *known == path && (metrics_on_main || *known != "/metrics"))
        .map(|(_, allowed)| *allowed)
        .or_else(|| {
            (path == "/docs" || path.starts_with("/docs/") || path.starts_with("/v1/models/")).then_some("GET")
        });
    match allowed {
        Some(allowed) => {
            let mut response = error_response(&Error::new(
                ErrorCode::MethodNotAllowed,
                format!("Method {method} is not allowed on {path}; use {allowed}."),
            ));
            response.headers_mut().insert(header::ALLOW, HeaderValue::from_static(allowed));
            response
        }
        None => error_response(&Error::new(ErrorCode::NotFound, format!("No route for {method} {path}."))),
    }
}

fn route_name(method: &Method, path: &str) -> &'static str {
    match (method, path) {
        (&Method::POST, "/v1/chat/completions") => "chat_completions",
        (&Method::POST, "/v1/messages") => "messages",
        (&Method::POST, "/v1/embeddings") => "embeddings",
        (&Method::POST, "/v1/responses") => "responses",
        (_, p) if p.starts_with("/v1/responses/") => "responses",
        (&Method::POST, "/v1/messages/count_tokens") => "count_tokens",
        (&Method::GET, "/v1/models") => "models",
        (&Method::GET, p) if p.starts_with("/v1/models/") => "models",
        (&Method::GET, "/obs/targets") => "targets",
        (_, p) if p == keys_admin::PREFIX || p.starts_with("/obs/keys/") => "keys",
        (_, "/obs/usage") => "usage",
        (&Method::GET, "/health" | "/v1/chat/completions/health") => "health",
        (&Method::GET, "/metrics") => "metrics",
        (&Method::GET, p) if p == "/openapi.json" || p.starts_with("/docs") => "docs",
        (&Method::OPTIONS, _) => "preflight",
        (&Method::GET, bedrock_listing::FOUNDATION_MODELS | bedrock_listing::INFERENCE_PROFILES) => "bedrock_listing",
        (_, p) if p.starts_with(bedrock_ingress::PREFIX) => bedrock_ingress::route_name(p),
        _ => "unmatched",
    }
}

/// The client's `x-request-id` when it is short printable ASCII, else a fresh one.
fn request_id(headers: &http::HeaderMap) -> String {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map_or_else(new_request_id, str::to_owned)
}

/// 24 lowercase hex digits from 96 random bits.
fn new_request_id() -> String {
    use rand::Rng;
    let bytes: [u8; 12] = rand::rng().random();
    crate::hex::encode(&bytes)
}
