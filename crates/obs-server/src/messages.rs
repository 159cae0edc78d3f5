//! `POST /v1/messages` and `POST /v1/messages/count_tokens`, the Anthropic Messages API: auth → concurrency limit →
//! body → Messages checks → plan (Anthropic model names included) → service → Claude on Bedrock's own answer or
//! events relayed, any other model's answer written as an Anthropic message. Every failure is in Anthropic's shape
//! (`anthropic_errors.rs`), and every answer carries `request-id` as Anthropic's API does.

use std::sync::Arc;
use std::time::Instant;

use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use obs_convert::anthropic::{parse_count_tokens_request, parse_messages_request};
use obs_convert::claude_out;
use obs_convert::stream::ClaudeEventEncoder;
use obs_models::Error;
use obs_models::anthropic::{CountTokensResponse, parse_betas};
use obs_models::error::ErrorCode;
use obs_service::routing::Served;
use obs_service::{
    MessagesAnswer, MessagesAnswerStream, MessagesEvents, MessagesInput, MessagesOutput, RequestContext,
};

use crate::answered::{self, Answered};
use crate::anthropic_errors::error_response;
use crate::app::App;
use crate::body::{Body, json, json_text};
use crate::observe::RequestLog;
use crate::{messages_sse, request_body, sse};

/// `POST /v1/messages`.
pub(crate) const MESSAGES: &str = "/v1/messages";
/// `POST /v1/messages/count_tokens`.
pub(crate) const COUNT_TOKENS: &str = "/v1/messages/count_tokens";

/// Which of the two routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    Create,
    CountTokens,
}

enum Outcome {
    Whole(Response<Body>, Served),
    Stream(MessagesAnswerStream),
}

pub(crate) async fn handle(app: &Arc<App>, request: Request<Incoming>, mut log: RequestLog, route: Route) -> Answered {
    let request_id = log.request_id.clone();
    let (mut response, log) = match run(app, request, &mut log, route).await {
        Ok(Outcome::Whole(response, served)) => answered::whole(app, response, &served, log),
        Ok(Outcome::Stream(MessagesAnswerStream { events, served })) => {
            answered::streamed(app, &served, log, |log| match events {
                MessagesEvents::Native(events) => messages_sse::relay(app.clone(), events, log),
                MessagesEvents::Converted(chunks) => {
                    sse::response(app.clone(), chunks, Box::new(ClaudeEventEncoder::messages()), log)
                }
            })
        }
        Err(error) => answered::failed(&error, log, error_response),
    };
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("request-id", value);
    }
    (response, log)
}

/// Another method on a Messages path: 405 in Anthropic's shape, with `Allow`.
pub(crate) fn method_not_allowed(method: &Method, path: &str, request_id: &str) -> Response<Body> {
    let mut response = error_response(&Error::new(
        ErrorCode::MethodNotAllowed,
        format!("Method {method} is not allowed on {path}; use POST."),
    ));
    response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("request-id", value);
    }
    response
}

async fn run(app: &Arc<App>, request: Request<Incoming>, log: &mut RequestLog, route: Route) -> Result<Outcome, Error> {
    log.caller = app.auth.check(request.headers())?;
    crate::admission::hold_concurrency_permit(app, log).await?;
    let (parts, body) = request.into_parts();
    let (body, body_permit) =
        request_body::read(&parts.headers, body, app.body_limit, &app.limits, &app.body_budget).await?;
    crate::admission::note_request_body(log, &body);

    let started = Instant::now();
    let betas = parse_betas(parts.headers.get_all("anthropic-beta").iter().filter_map(|v| v.to_str().ok()));
    let messages = match route {
        Route::Create => parse_messages_request(&body, betas)?,
        Route::CountTokens => parse_count_tokens_request(&body, betas)?,
    };
    drop(body);
    log.ingress = Some("anthropic");
    log.model = Some(messages.model.clone());
    crate::admission::permit_model(app, log).await?;
    let headers = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let plan =
        app.gateway.plan_messages(&messages, &RequestContext { headers: Some(&headers), team: log.team() }).await?;
    log.provider = plan.provider().cloned();
    crate::group_limits::admit(app, log, plan.group()).await?;
    log.overhead += started.elapsed();

    let stream = messages.stream;
    // Bedrock's own guardrail headers, else the model group's guardrail (a provider's applies below both).
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let guardrail = obs_convert::guardrail::from_headers(header)?.or_else(|| plan.guardrail().cloned());
    let input = MessagesInput::new(messages, guardrail);
    let waited = Instant::now();
    if route == Route::CountTokens {
        let count = app.gateway.count_tokens(plan, input).await.map_err(|e| upstream_failed(app, e))?;
        drop(body_permit);
        app.metrics.upstream_latency(&count.served.provider, waited.elapsed().as_secs_f64());
        let answer = json(StatusCode::OK, &CountTokensResponse { input_tokens: count.input_tokens });
        return Ok(Outcome::Whole(answer, count.served));
    }
    if stream {
        let answer = app.gateway.messages_stream(plan, input).await.map_err(|e| upstream_failed(app, e))?;
        drop(body_permit);
        app.metrics.upstream_latency(&answer.served.provider, waited.elapsed().as_secs_f64());
        return Ok(Outcome::Stream(answer));
    }
    let MessagesAnswer { message, served } =
        app.gateway.messages(plan, input).await.map_err(|e| upstream_failed(app, e))?;
    drop(body_permit);
    app.metrics.upstream_latency(&served.provider, waited.elapsed().as_secs_f64());
    let started = Instant::now();
    let answer = match message {
        MessagesOutput::Native(json) => {
            log.note_answer(&json);
            json_text(StatusCode::OK, json)
        }
        MessagesOutput::Converted(completion) => {
            let response = completion.into_typed().map_err(|e| upstream_failed(app, e))?;
            if let Some(usage) = &response.usage {
                log.note_usage(usage);
            }
            json(StatusCode::OK, &claude_out::to_message(&response)?)
        }
    };
    log.overhead += started.elapsed();
    Ok(Outcome::Whole(answer, served))
}

/// Counts an upstream's failure; obs's own refusals are not upstream errors.
fn upstream_failed(app: &App, error: Error) -> Error {
    if error.code.is_upstream() {
        app.metrics.upstream_error(error.code.as_str());
    }
    error
}

/// The Messages routes and Anthropic's error body in the OpenAPI document.
pub(crate) fn document(document: &mut serde_json::Value) {
    use serde_json::json;
    let error = json!({"$ref": "#/components/schemas/AnthropicError"});
    let failure =
        |description: &str| json!({"description": description, "content": {"application/json": {"schema": error}}});
    let failures = |responses: &mut serde_json::Value| {
        for (status, description) in [
            ("400", "invalid_request_error"),
            ("401", "authentication_error"),
            ("403", "permission_error"),
            ("404", "not_found_error"),
            ("413", "request_too_large"),
            ("429", "rate_limit_error (retry-after kept)"),
            ("500", "api_error"),
            ("502", "api_error"),
            ("504", "timeout_error"),
            ("529", "overloaded_error"),
        ] {
            responses[status] = failure(description);
        }
    };
    let body = json!({"required": true, "content": {"application/json": {"schema": {"type": "object",
        "required": ["model", "messages"], "additionalProperties": true,
        "properties": {"model": {"type": "string", "minLength": 1}, "max_tokens": {"type": "integer", "minimum": 1},
                       "stream": {"type": "boolean"}, "messages": {"type": "array", "minItems": 1}}}}}});
    let headers = json!([{"name": "anthropic-beta", "in": "header", "required": false, "schema": {"type": "string"},
                          "description": "Comma-separated betas; sent to Claude on Bedrock as anthropic_beta, less those Bedrock refuses"},
                         {"name": "anthropic-version", "in": "header", "required": false, "schema": {"type": "string"}}]);
    let mut created = json!({"200": {"description": "An Anthropic message (JSON), or its server-sent events when `stream` is true",
        "content": {"application/json": {"schema": {"type": "object"}}, "text/event-stream": {"schema": {"type": "string"}}}}});
    failures(&mut created);
    let mut counted = json!({"200": {"description": "The input tokens", "content": {"application/json": {"schema": {"type": "object",
        "required": ["input_tokens"], "properties": {"input_tokens": {"type": "integer"}}}}}}});
    failures(&mut counted);
    let security = json!([{"bearer": []}, {"apiKey": []}]);
    document["paths"][MESSAGES] = json!({"post": {"summary": "Create a message (Anthropic Messages API)",
        "security": security, "parameters": headers, "requestBody": body, "responses": created}});
    document["paths"][COUNT_TOKENS] = json!({"post": {"summary": "Count a message's input tokens (Anthropic Messages API)",
        "security": security, "parameters": headers, "requestBody": body, "responses": counted}});
    document["components"]["schemas"]["AnthropicError"] = json!({"type": "object", "required": ["type", "error"],
        "properties": {"type": {"const": "error"}, "error": {"type": "object", "required": ["type", "message"],
            "properties": {"type": {"type": "string"}, "message": {"type": "string"}}}}});
}
