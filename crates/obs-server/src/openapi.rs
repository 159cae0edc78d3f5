//! `/openapi.json` (OpenAPI 3.1 of the routes) and `/docs` (Swagger UI served from the binary, no CDN).

use std::sync::Arc;

use http::{HeaderValue, Response, StatusCode, header};
use serde_json::{Value, json};

use crate::body::{Body, full};
use obs_models::Error;

use crate::errors::error_response;

pub(crate) fn document() -> Value {
    let error = json!({"$ref": "#/components/schemas/Error"});
    let errors = |codes: &[&str]| -> Value {
        codes
            .iter()
            .map(|c| {
                (
                    (*c).to_owned(),
                    json!({"description": "OpenAI-shaped error", "content": {"application/json": {"schema": error}}}),
                )
            })
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    let mut chat_responses = json!({
        "200": {"description": "A chat completion (JSON), or server-sent events when `stream` is true. The shape follows `target_format`.",
                "headers": {"x-obs-target": {"description": "<provider>/<model-id> that served the answer (unless server.expose_target_header is off)", "schema": {"type": "string"}}},
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ChatCompletion"}},
                            "text/event-stream": {"schema": {"type": "string"}}}}
    });
    if let (Some(target), Value::Object(more)) = (
        chat_responses.as_object_mut(),
        errors(&["400", "401", "403", "404", "413", "429", "500", "502", "503", "504"]),
    ) {
        target.extend(more);
    }
    let mut document = json!({
        "openapi": "3.1.0",
        "info": {"title": "obs — Open Bedrock Server", "version": env!("CARGO_PKG_VERSION"),
                 "description": "OpenAI-compatible gateway in front of OpenAI and AWS Bedrock."},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}, "apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object",
                    "required": ["message", "type", "param", "code"],
                    "properties": {"message": {"type": "string"}, "type": {"type": "string"},
                                   "param": {"type": ["string", "null"]}, "code": {"type": ["string", "null"]}}}}},
                "ChatRequest": {"description": "An OpenAI chat-completions body, a Bedrock Claude body (`anthropic_version`, plus `model`) or a Bedrock Titan body (`inputText`, plus `model`). Unknown fields are forwarded to OpenAI upstreams.",
                    "anyOf": [
                        {"title": "OpenAI", "type": "object", "required": ["model", "messages"], "additionalProperties": true,
                         "properties": {"model": {"type": "string", "minLength": 1}, "stream": {"type": "boolean"},
                                        "messages": {"type": "array", "minItems": 1, "items": {"type": "object", "required": ["role"],
                                            "properties": {"role": {"type": "string", "enum": ["system", "developer", "user", "assistant", "tool"]}}}}}},
                        {"title": "Bedrock Claude", "type": "object", "required": ["anthropic_version", "model", "max_tokens", "messages"], "additionalProperties": true,
                         "properties": {"anthropic_version": {"type": "string", "minLength": 1}, "model": {"type": "string", "minLength": 1},
                                        "max_tokens": {"type": "integer", "minimum": 1}, "stream": {"type": "boolean"},
                                        "messages": {"type": "array", "minItems": 1, "items": {"type": "object", "required": ["role", "content"]}}}},
                        {"title": "Bedrock Titan", "type": "object", "required": ["model", "inputText"], "additionalProperties": true,
                         "properties": {"model": {"type": "string", "minLength": 1}, "inputText": {"type": "string"},
                                        "textGenerationConfig": {"type": "object"}, "stream": {"type": "boolean"}}}
                    ]},
                "ChatCompletion": {"type": "object", "properties": {"id": {"type": "string"}, "object": {"type": "string"},
                    "created": {"type": "integer"}, "model": {"type": "string"}, "choices": {"type": "array", "items": {"type": "object"}},
                    "usage": {"type": "object"}}},
                "TargetList": {"type": "object", "required": ["object", "data"], "properties": {"object": {"const": "list"}, "data": {"type": "array", "items": {"type": "object",
                    "required": ["group", "target", "provider", "model", "weight", "healthy", "state", "consecutive_failures", "resting_seconds", "in_flight", "requests", "failures"],
                    "properties": {"group": {"type": "string"}, "target": {"type": "string", "description": "<provider>/<model-id>"},
                        "provider": {"type": "string"}, "model": {"type": "string"}, "weight": {"type": "integer", "minimum": 1},
                        "healthy": {"type": "boolean"}, "state": {"type": "string", "enum": ["healthy", "resting", "probing"]},
                        "consecutive_failures": {"type": "integer"}, "resting_seconds": {"type": "number"},
                        "in_flight": {"type": "integer"}, "requests": {"type": "integer"}, "failures": {"type": "integer"}}}}}},
                "ModelList": {"type": "object", "properties": {"object": {"const": "list"}, "data": {"type": "array", "items": {"type": "object",
                    "properties": {"id": {"type": "string"}, "object": {"const": "model"}, "created": {"type": "integer"}, "owned_by": {"type": "string"}}}}}}
            }
        },
        "paths": {
            "/v1/chat/completions": {"post": {
                "summary": "Create a chat completion", "security": [{"bearer": []}, {"apiKey": []}],
                "parameters": [{"name": "target_format", "in": "query", "required": false,
                    "schema": {"type": "string", "enum": ["openai", "bedrock_claude", "claude", "anthropic", "bedrock_titan", "titan"]}}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ChatRequest"}}}},
                "responses": chat_responses}},
            "/v1/models/{model}": {"get": {"summary": "Retrieve a model", "security": [{"bearer": []}, {"apiKey": []}],
                "parameters": [{"name": "model", "in": "path", "required": true, "schema": {"type": "string", "minLength": 1}}],
                "responses": {"200": {"description": "The model", "content": {"application/json": {"schema": {"type": "object",
                                  "required": ["id", "object", "created", "owned_by"]}}}},
                              "401": {"description": "Not authenticated", "content": {"application/json": {"schema": error}}},
                              "404": {"description": "No such model", "content": {"application/json": {"schema": error}}}}}},
            "/v1/models": {"get": {"summary": "List models", "security": [{"bearer": []}, {"apiKey": []}],
                "responses": {"200": {"description": "Models", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ModelList"}}}},
                              "401": {"description": "Not authenticated"}, "502": {"description": "Every model source failed"}}}},
            "/obs/targets": {"get": {"summary": "Model-group targets: health and load", "security": [{"bearer": []}, {"apiKey": []}],
                "responses": {"200": {"description": "Every group target, by group then target order", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TargetList"}}}},
                              "401": {"description": "Not authenticated", "content": {"application/json": {"schema": error}}}}}},
            "/health": {"get": {"summary": "Liveness", "responses": {"200": {"description": "{\"status\":\"ok\"}"}}}},
            "/v1/chat/completions/health": {"get": {"summary": "Chat endpoint health", "responses": {"200": {"description": "Status, timestamp, version, formats"}}}},
            "/metrics": {"get": {"summary": "Prometheus metrics", "responses": {"200": {"description": "Prometheus text format"}}}}
        }
    });
    crate::messages::document(&mut document);
    crate::responses::document(&mut document);
    crate::embeddings::document(&mut document);
    crate::bedrock_openapi::document(&mut document);
    crate::keys_openapi::document(&mut document);
    document
}

pub(crate) fn swagger_config() -> Arc<utoipa_swagger_ui::Config<'static>> {
    Arc::new(utoipa_swagger_ui::Config::from("/openapi.json"))
}

/// `/docs/<file>`: the Swagger UI page and its assets.
pub(crate) fn docs(file: &str, config: &Arc<utoipa_swagger_ui::Config<'static>>) -> Response<Body> {
    match utoipa_swagger_ui::serve(file, config.clone()) {
        Ok(Some(asset)) => {
            let mut response = Response::new(full(asset.bytes.into_owned()));
            if let Ok(value) = HeaderValue::from_str(&asset.content_type) {
                response.headers_mut().insert(header::CONTENT_TYPE, value);
            }
            if asset.gzpipped {
                response.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            }
            response
        }
        Ok(None) => error_response(&Error::new(
            obs_models::error::ErrorCode::NotFound,
            format!("No documentation file '{file}'."),
        )),
        Err(error) => error_response(&crate::errors::internal_error(format!("serving Swagger UI: {error}"))),
    }
}

pub(crate) fn redirect(location: &'static str) -> Response<Body> {
    let mut response = Response::new(full(""));
    *response.status_mut() = StatusCode::MOVED_PERMANENTLY;
    response.headers_mut().insert(header::LOCATION, HeaderValue::from_static(location));
    response
}
