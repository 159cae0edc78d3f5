//! `POST /v1/embeddings` (docs/reference/embeddings.md): auth → concurrency limit → body → parse and check → plan →
//! service → the upstream's own JSON (OpenAI-compatible providers) or obs's answer built from Bedrock's vectors.

use std::sync::Arc;
use std::time::Instant;

use http::{Request, StatusCode};
use hyper::body::Incoming;
use obs_adapters::EmbeddingsOutput;
use obs_models::Error;
use obs_service::{EmbeddingsAnswer, RequestContext};

use crate::answered::{self, Answered};
use crate::app::App;
use crate::body::{json, json_text};
use crate::errors::error_response;
use crate::observe::RequestLog;
use crate::request_body;

/// `POST /v1/embeddings`.
pub(crate) const EMBEDDINGS: &str = "/v1/embeddings";

pub(crate) async fn handle(app: &Arc<App>, request: Request<Incoming>, mut log: RequestLog) -> Answered {
    match run(app, request, &mut log).await {
        Ok(EmbeddingsAnswer { output, served }) => {
            let response = match output {
                EmbeddingsOutput::Verbatim(bytes) => {
                    log.note_answer(&bytes);
                    match String::from_utf8(bytes.to_vec()) {
                        Ok(text) => json_text(StatusCode::OK, text),
                        Err(_) => error_response(&Error::upstream("The upstream embeddings answer is not UTF-8.")),
                    }
                }
                EmbeddingsOutput::Typed(answer) => {
                    if log.records_usage() {
                        log.note_tokens(
                            serde_json::to_value(&answer)
                                .ok()
                                .as_ref()
                                .and_then(obs_convert::token_counts::TokenCounts::from_answer_value),
                        );
                    }
                    json(StatusCode::OK, &answer)
                }
            };
            answered::whole(app, response, &served, log)
        }
        Err(error) => answered::failed(&error, log, error_response),
    }
}

async fn run(app: &Arc<App>, request: Request<Incoming>, log: &mut RequestLog) -> Result<EmbeddingsAnswer, Error> {
    log.caller = app.auth.check(request.headers())?;
    crate::admission::hold_concurrency_permit(app, log).await?;
    let (parts, body) = request.into_parts();
    let (body, body_permit) =
        request_body::read(&parts.headers, body, app.body_limit, &app.limits, &app.body_budget).await?;
    crate::admission::note_request_body(log, &body);
    let started = Instant::now();
    let embeddings = obs_convert::embeddings::parse_request(&body)?;
    drop(body);
    log.model = Some(embeddings.model.clone());
    crate::admission::permit_model(app, log).await?;
    let headers = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let plan =
        app.gateway.plan_embeddings(&embeddings, &RequestContext { headers: Some(&headers), team: log.team() })?;
    log.provider = plan.provider().cloned();
    crate::group_limits::admit(app, log, plan.group()).await?;
    log.overhead += started.elapsed();
    let waited = Instant::now();
    let answer = app.gateway.embeddings(plan, Arc::new(embeddings)).await.inspect_err(|error| {
        if error.code.is_upstream() {
            app.metrics.upstream_error(error.code.as_str());
        }
    })?;
    drop(body_permit);
    app.metrics.upstream_latency(&answer.served.provider, waited.elapsed().as_secs_f64());
    Ok(answer)
}

/// The embeddings route in the OpenAPI document.
pub(crate) fn document(document: &mut serde_json::Value) {
    use serde_json::json;
    let error = json!({"description": "OpenAI-shaped error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    let body = json!({"required": true, "content": {"application/json": {"schema": {"type": "object",
        "required": ["model", "input"], "additionalProperties": true,
        "properties": {"model": {"type": "string", "minLength": 1},
                       "input": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}},
                                           {"type": "array", "items": {"type": "integer"}},
                                           {"type": "array", "items": {"type": "array", "items": {"type": "integer"}}}]},
                       "dimensions": {"type": "integer", "minimum": 1},
                       "encoding_format": {"enum": ["float", "base64"]},
                       "input_type": {"enum": ["search_document", "search_query", "classification", "clustering"]},
                       "truncate": {"enum": ["NONE", "START", "END"]}, "normalize": {"type": "boolean"}}}}}});
    let mut responses = json!({"200": {"description": "One vector per input, in input order",
        "content": {"application/json": {"schema": {"type": "object", "required": ["object", "data", "model", "usage"]}}}}});
    for status in ["400", "401", "404", "413", "429", "500", "502", "503", "504"] {
        responses[status] = error.clone();
    }
    document["paths"][EMBEDDINGS] = json!({"post": {"summary": "Create embeddings (Titan and Cohere on Bedrock, OpenAI-kind passed through)",
        "security": [{"bearer": []}, {"apiKey": []}], "requestBody": body, "responses": responses}});
}
