//! `/health` and `/v1/chat/completions/health` (docs/reference/routes.md §1).

use http::{Response, StatusCode};
use serde_json::json;

use crate::body::{Body, json};

pub(crate) fn health() -> Response<Body> {
    json(StatusCode::OK, &json!({"status": "ok"}))
}

pub(crate) fn chat_health() -> Response<Body> {
    let timestamp = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    json(
        StatusCode::OK,
        &json!({
            "status": "healthy",
            "timestamp": timestamp,
            "version": env!("CARGO_PKG_VERSION"),
            "message": "Unified chat completions endpoint operational",
            "supported_input_formats": ["openai", "bedrock_claude", "bedrock_titan"],
            "model_routing": "enabled",
            "streaming_support": "enabled",
            "routing_method": "model_id_based"
        }),
    )
}
