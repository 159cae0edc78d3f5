//! Enough of Bedrock's control plane for clients that list models (docs/reference/bedrock-ingress.md §6):
//! `GET /foundation-models` (ListFoundationModels) and `GET /inference-profiles` (ListInferenceProfiles), answered
//! from obs's own model list (`/v1/models`): every model clients can ask for, Bedrock's and the other providers',
//! each marked with who serves it; inference-profile ids (`us.…`, `eu.…`, `global.…`) as profiles. Auth and
//! errors as on the runtime routes.

use std::sync::Arc;

use http::{HeaderValue, Request, Response, StatusCode};
use hyper::body::Incoming;
use obs_models::Error;
use obs_service::ChatService;
use serde_json::{Value, json};

use crate::app::App;
use crate::aws_errors::error_response;
use crate::bedrock_ingress::authenticate;
use crate::body::{Body, json};
use crate::observe::RequestLog;

/// `GET /foundation-models`.
pub(crate) const FOUNDATION_MODELS: &str = "/foundation-models";
/// `GET /inference-profiles`.
pub(crate) const INFERENCE_PROFILES: &str = "/inference-profiles";

/// The region prefixes of Bedrock's cross-region inference profiles.
const PROFILE_PREFIXES: [&str; 6] = ["us.", "eu.", "apac.", "jp.", "us-gov.", "global."];

pub(crate) async fn handle(
    app: &Arc<App>,
    request: Request<Incoming>,
    log: RequestLog,
) -> (Response<Body>, Option<RequestLog>) {
    let (parts, _body) = request.into_parts();
    let mut response = match list(app, &parts).await {
        Ok(answer) => json(StatusCode::OK, &answer),
        Err(error) => error_response(&error),
    };
    if let Ok(value) = HeaderValue::from_str(&log.request_id) {
        response.headers_mut().insert("x-amzn-requestid", value);
    }
    (response, Some(log))
}

async fn list(app: &App, parts: &http::request::Parts) -> Result<Value, Error> {
    authenticate(app, parts, b"")?;
    let models = app.gateway.list_models().await?;
    let region = app.gateway.config().bedrock.region.clone().unwrap_or_else(|| "us-east-1".to_owned());
    if parts.uri.path() == INFERENCE_PROFILES {
        let profiles: Vec<Value> = models
            .data
            .iter()
            .filter(|model| PROFILE_PREFIXES.iter().any(|prefix| model.id.starts_with(prefix)))
            .map(|model| {
                let foundation = PROFILE_PREFIXES.iter().find_map(|p| model.id.strip_prefix(p)).unwrap_or(&model.id);
                json!({
                    "inferenceProfileName": model.id,
                    "inferenceProfileArn": format!("arn:aws:bedrock:{region}::inference-profile/{}", model.id),
                    "inferenceProfileId": model.id,
                    "description": format!("Served by obs ({})", model.owned_by),
                    "models": [{"modelArn": format!("arn:aws:bedrock:{region}::foundation-model/{foundation}")}],
                    "status": "ACTIVE",
                    "type": "SYSTEM_DEFINED",
                })
            })
            .collect();
        return Ok(json!({"inferenceProfileSummaries": profiles}));
    }
    let summaries: Vec<Value> = models
        .data
        .iter()
        .map(|model| {
            json!({
                "modelArn": format!("arn:aws:bedrock:{region}::foundation-model/{}", model.id),
                "modelId": model.id,
                "modelName": model.id,
                // Who serves the model: `bedrock`, `openai`, a named provider, or `obs` for groups and aliases.
                "providerName": model.owned_by,
                "inputModalities": ["TEXT"],
                "outputModalities": ["TEXT"],
                "responseStreamingSupported": true,
                "customizationsSupported": [],
                "inferenceTypesSupported": ["ON_DEMAND"],
                "modelLifecycle": {"status": "ACTIVE"},
            })
        })
        .collect();
    Ok(json!({"modelSummaries": summaries}))
}
