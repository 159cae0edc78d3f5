//! `POST /v1/responses` (docs/reference/responses.md), the OpenAI Responses API over the chat plan machinery:
//! auth → concurrency limit → body → parse and check → the internal chat request → plan → service → the answer as a
//! response object, or the chunk stream as the typed Responses events, converted chunk by chunk (not buffered).

use std::sync::Arc;
use std::time::Instant;

use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use obs_convert::responses::stream::ResponsesEventEncoder;
use obs_convert::responses::{answer, new_id, request as convert};
use obs_convert::stream::StreamEncoder;
use obs_models::Error;
use obs_models::error::{ErrorBody, ErrorCode};
use obs_models::openai::ChatCompletionChunk;
use obs_models::responses::{InputItem, ResponsesRequest};
use obs_service::routing::Served;
use obs_service::{Answer, AnswerStream, ChatService, RequestContext};

use crate::answered::{self, Answered};
use crate::app::App;
use crate::body::{Body, json};
use crate::errors::error_response;
use crate::observe::RequestLog;
use crate::stored::Stored;
use crate::{request_body, sse};

/// `POST /v1/responses`.
pub(crate) const RESPONSES: &str = "/v1/responses";

enum Outcome {
    Whole(Response<Body>, Served),
    Stream(AnswerStream, Box<StoringEncoder>),
    /// An upstream's own Responses stream, relayed as it comes (`responses_native.rs`).
    Native(obs_service::NativeResponseStream),
}

pub(crate) async fn handle(app: &Arc<App>, request: Request<Incoming>, mut log: RequestLog) -> Answered {
    match run(app, request, &mut log).await {
        Ok(Outcome::Whole(response, served)) => answered::whole(app, response, &served, log),
        Ok(Outcome::Stream(AnswerStream { stream, served }, encoder)) => {
            answered::streamed(app, &served, log, |log| sse::response(app.clone(), stream, encoder, log))
        }
        Ok(Outcome::Native(obs_service::NativeResponseStream { bytes, served })) => {
            answered::streamed(app, &served, log, |log| crate::responses_native::relay(app.clone(), bytes, log))
        }
        Err(error) => answered::failed(&error, log, error_response),
    }
}

async fn run(app: &Arc<App>, request: Request<Incoming>, log: &mut RequestLog) -> Result<Outcome, Error> {
    log.caller = app.auth.check(request.headers())?;
    crate::admission::hold_concurrency_permit(app, log).await?;
    let (parts, body) = request.into_parts();
    let (body, body_permit) =
        request_body::read(&parts.headers, body, app.body_limit, &app.limits, &app.body_budget).await?;
    crate::admission::note_request_body(log, &body);
    let started = Instant::now();
    // The plan needs only the model (and the user, for affinity): a native plan passes the body on as it came, for
    // the upstream to check; anything else is parsed whole.
    let Some(head) = crate::responses_native::Head::read(&body) else {
        return Err(convert::parse_request(&body)
            .err()
            .unwrap_or_else(|| Error::new(ErrorCode::InvalidBody, "The request body must be a JSON object.")));
    };
    log.model = Some(head.model.clone());
    crate::admission::permit_model(app, log).await?;
    let headers = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let context = RequestContext { headers: Some(&headers), team: log.team() };
    let plan = app.gateway.routing().plan(&head.model, || head.user.as_deref(), &context)?;
    log.provider = plan.provider().cloned();
    crate::group_limits::admit(app, log, plan.group()).await?;
    if app.gateway.responses_native(&plan) {
        log.overhead += started.elapsed();
        let input = obs_service::NativeInput::new(body, head.model);
        return match crate::responses_native::run(app, plan, head.stream, input, body_permit, log).await? {
            crate::responses_native::Native::Whole(response, served) => Ok(Outcome::Whole(response, served)),
            crate::responses_native::Native::Stream(stream) => Ok(Outcome::Native(stream)),
        };
    }
    let mut responses = convert::parse_request(&body)?;
    drop(body);
    let key_id = app.auth.key_id(&parts.headers);
    let store = app.store.clone().filter(|_| responses.store != Some(false));
    responses.store = Some(store.is_some());
    let history = match (&responses.previous_response_id, &app.store) {
        (Some(previous), Some(stored)) => stored.history(&key_id, previous).await?,
        (Some(previous), None) => return Err(not_found(previous).with_param("previous_response_id")),
        (None, _) => Vec::new(),
    };
    let chat = convert::to_internal(&responses, &history)?;
    log.overhead += started.elapsed();

    let waited = Instant::now();
    let id = new_id("resp");
    if responses.is_stream() {
        let answer = app.gateway.complete_stream(plan, chat).await.map_err(|e| upstream_failed(app, e))?;
        drop(body_permit);
        app.metrics.upstream_latency(&answer.served.provider, waited.elapsed().as_secs_f64());
        let save = store.map(|stored| Saving { stored, key_id, history, request: responses.clone() });
        let encoder = ResponsesEventEncoder::new(responses, id);
        return Ok(Outcome::Stream(answer, Box::new(StoringEncoder { encoder, save })));
    }
    let Answer { completion, served } = app.gateway.complete(plan, chat).await.map_err(|e| upstream_failed(app, e))?;
    drop(body_permit);
    app.metrics.upstream_latency(&served.provider, waited.elapsed().as_secs_f64());
    let started = Instant::now();
    let typed = completion.into_typed().map_err(|e| upstream_failed(app, e))?;
    if let Some(usage) = &typed.usage {
        log.note_usage(usage);
    }
    let response = answer::from_internal(&typed, &responses, id);
    log.overhead += started.elapsed();
    if let Some(stored) = store {
        stored.save(&key_id, &responses, &history, &response).await;
    }
    Ok(Outcome::Whole(json(StatusCode::OK, &response), served))
}

/// What a streamed response is stored with once it ended.
struct Saving {
    stored: Stored,
    key_id: String,
    history: Vec<InputItem>,
    request: ResponsesRequest,
}

/// The Responses encoder, storing the response when the stream ends (in the background: the client has it).
struct StoringEncoder {
    encoder: ResponsesEventEncoder,
    save: Option<Saving>,
}

impl StoringEncoder {
    fn ended(&mut self) {
        if let (Some(save), Some(response)) = (self.save.take(), self.encoder.final_response()) {
            tokio::spawn(async move { save.stored.save(&save.key_id, &save.request, &save.history, &response).await });
        }
    }
}

impl StreamEncoder for StoringEncoder {
    fn chunk(&mut self, chunk: ChatCompletionChunk, out: &mut Vec<u8>) {
        self.encoder.chunk(chunk, out);
    }

    fn error(&mut self, error: &ErrorBody, out: &mut Vec<u8>) {
        self.encoder.error(error, out);
        self.ended();
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        self.encoder.finish(out);
        self.ended();
    }
}

/// `GET /v1/responses/{id}`, `DELETE /v1/responses/{id}`, `GET /v1/responses/{id}/input_items`.
pub(crate) async fn stored_route(
    app: &App,
    method: &Method,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Response<Body> {
    let answer = async {
        app.auth.check(headers)?;
        let key_id = app.auth.key_id(headers);
        let rest = path.strip_prefix("/v1/responses/").unwrap_or_default();
        let (id, items) = match rest.strip_suffix("/input_items") {
            Some(id) => (id, true),
            None => (rest, false),
        };
        let Some(stored) = app.store.as_ref() else { return Err(not_found(id)) };
        if id.is_empty() || id.contains('/') {
            return Err(Error::new(ErrorCode::NotFound, format!("No route for {method} {path}.")));
        }
        match (method, items) {
            (&Method::GET, false) => {
                let row = stored.load(&key_id, id).await?;
                Ok(crate::body::json_text(StatusCode::OK, row.response))
            }
            (&Method::DELETE, false) => {
                stored.delete(&key_id, id).await?;
                Ok(json(StatusCode::OK, &serde_json::json!({"id": id, "object": "response", "deleted": true})))
            }
            (&Method::GET, true) => {
                let row = stored.load(&key_id, id).await?;
                let items: Vec<serde_json::Value> = serde_json::from_str(&row.input_items).unwrap_or_default();
                Ok(json(StatusCode::OK, &crate::input_items::page(items, query)?))
            }
            _ => {
                let mut response = error_response(&Error::new(
                    ErrorCode::MethodNotAllowed,
                    format!("Method {method} is not allowed on {path}."),
                ));
                let allow = if items { "GET" } else { "GET, DELETE" };
                response.headers_mut().insert(http::header::ALLOW, HeaderValue::from_static(allow));
                Ok(response)
            }
        }
    };
    answer.await.unwrap_or_else(|error| error_response(&error))
}

/// 404 for a response id this key cannot see.
pub(crate) fn not_found(id: &str) -> Error {
    Error::new(ErrorCode::NotFound, format!("Response with id '{id}' not found."))
}

/// Counts an upstream's failure; obs's own refusals are not upstream errors.
pub(crate) fn upstream_failed(app: &App, error: obs_service::Error) -> Error {
    if error.code.is_upstream() {
        app.metrics.upstream_error(error.code.as_str());
    }
    error
}

/// The Responses route in the OpenAPI document.
pub(crate) fn document(document: &mut serde_json::Value) {
    use serde_json::json;
    let error = json!({"description": "OpenAI-shaped error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    let body = json!({"required": true, "content": {"application/json": {"schema": {"type": "object",
        "required": ["model"], "additionalProperties": true,
        "properties": {"model": {"type": "string", "minLength": 1},
                       "input": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "object"}}]},
                       "instructions": {"type": "string"}, "tools": {"type": "array"}, "stream": {"type": "boolean"},
                       "max_output_tokens": {"type": "integer", "minimum": 1},
                       "include": {"type": "array", "items": {"type": "string"}}}}}}});
    let mut responses = json!({"200": {"description": "A response object (JSON), or its typed server-sent events when `stream` is true",
        "content": {"application/json": {"schema": {"type": "object", "required": ["id", "object", "status", "output"]}},
                    "text/event-stream": {"schema": {"type": "string"}}}}});
    for status in ["400", "401", "404", "413", "429", "500", "502", "503", "504"] {
        responses[status] = error.clone();
    }
    document["paths"][RESPONSES] = json!({"post": {"summary": "Create a response (OpenAI Responses API, on every target)",
        "security": [{"bearer": []}, {"apiKey": []}], "requestBody": body, "responses": responses}});
    stored_document(document, &error);
}

/// The stored-response routes in the OpenAPI document.
fn stored_document(document: &mut serde_json::Value, error: &serde_json::Value) {
    use serde_json::json;
    let security = json!([{"bearer": []}, {"apiKey": []}]);
    let id = json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string", "minLength": 1}});
    let object = |description: &str| json!({"description": description, "content": {"application/json": {"schema": {"type": "object"}}}});
    let query = |name: &str, schema: serde_json::Value| json!({"name": name, "in": "query", "required": false, "schema": schema});
    document["paths"]["/v1/responses/{id}"] = json!({
        "get": {"summary": "Retrieve a stored response", "security": security, "parameters": [id],
                "responses": {"200": object("The response object as it was answered"), "404": error}},
        "delete": {"summary": "Delete a stored response", "security": security, "parameters": [id],
                   "responses": {"200": object("{\"id\", \"object\": \"response\", \"deleted\": true}"), "404": error}}});
    document["paths"]["/v1/responses/{id}/input_items"] = json!({"get": {
        "summary": "List a stored response's input items, paged", "security": security,
        "parameters": [id, query("order", json!({"type": "string", "enum": ["asc", "desc"], "default": "desc"})),
                       query("limit", json!({"type": "integer", "minimum": 1, "maximum": 100, "default": 20})),
                       query("after", json!({"type": "string"})), query("before", json!({"type": "string"}))],
        "responses": {"200": {"description": "One page", "content": {"application/json": {"schema": {"type": "object",
                          "required": ["object", "data", "first_id", "last_id", "has_more"],
                          "properties": {"object": {"const": "list"}, "data": {"type": "array", "items": {"type": "object"}},
                                         "first_id": {"type": ["string", "null"]}, "last_id": {"type": ["string", "null"]},
                                         "has_more": {"type": "boolean"}}}}}},
                      "400": error, "404": error}}});
}
