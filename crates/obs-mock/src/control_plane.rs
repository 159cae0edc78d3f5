//! Bedrock control plane: `GET /foundation-models` (filters `byOutputModality`, `byInferenceType`, `byProvider`),
//! `GET /inference-profiles` (filter `type`) and `GET /inference-profiles/{id}` (GetInferenceProfile, also of
//! application inference profiles), answering the shapes `aws-sdk-bedrock` parses.

use http::{Response, StatusCode};
use serde_json::{Value, json};

use crate::http::{Body, json as json_response};

const REGION_ARN: &str = "arn:aws:bedrock:us-east-1::foundation-model";

/// (model id, name, provider, output modality, inference types).
const FOUNDATION_MODELS: &[(&str, &str, &str, &str, &[&str])] = &[
    ("anthropic.claude-3-haiku-20240307-v1:0", "Claude 3 Haiku", "Anthropic", "TEXT", &["ON_DEMAND"]),
    ("anthropic.claude-3-5-sonnet-20241022-v2:0", "Claude 3.5 Sonnet v2", "Anthropic", "TEXT", &["INFERENCE_PROFILE"]),
    ("amazon.titan-text-express-v1", "Titan Text G1 - Express", "Amazon", "TEXT", &["ON_DEMAND"]),
    ("amazon.titan-embed-text-v2:0", "Titan Text Embeddings V2", "Amazon", "EMBEDDING", &["ON_DEMAND"]),
    ("cohere.embed-english-v3", "Embed English", "Cohere", "EMBEDDING", &["ON_DEMAND"]),
    ("cohere.embed-v4:0", "Embed v4", "Cohere", "EMBEDDING", &["ON_DEMAND", "INFERENCE_PROFILE"]),
    ("amazon.nova-lite-v1:0", "Nova Lite", "Amazon", "TEXT", &["ON_DEMAND", "INFERENCE_PROFILE"]),
    ("meta.llama3-8b-instruct-v1:0", "Llama 3 8B Instruct", "Meta", "TEXT", &["ON_DEMAND"]),
    ("mistral.mistral-large-2402-v1:0", "Mistral Large (24.02)", "Mistral AI", "TEXT", &["ON_DEMAND"]),
    ("stability.sd3-5-large-v1:0", "Stable Diffusion 3.5 Large", "Stability AI", "IMAGE", &["ON_DEMAND"]),
];

/// (profile id, name, underlying model).
const INFERENCE_PROFILES: &[(&str, &str, &str)] = &[
    (
        "us.anthropic.claude-3-5-sonnet-20241022-v2:0",
        "US Anthropic Claude 3.5 Sonnet v2",
        "anthropic.claude-3-5-sonnet-20241022-v2:0",
    ),
    (
        "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "Global Claude Sonnet 4.5",
        "anthropic.claude-sonnet-4-5-20250929-v1:0",
    ),
    ("us.amazon.nova-lite-v1:0", "US Nova Lite", "amazon.nova-lite-v1:0"),
];

fn query_value<'a>(query: &'a str, key: &str) -> Option<&'a str> {
    query.split('&').find_map(|pair| pair.strip_prefix(key).and_then(|rest| rest.strip_prefix('=')))
}

pub(crate) fn foundation_models(query: &str) -> Response<Body> {
    let modality = query_value(query, "byOutputModality");
    let inference = query_value(query, "byInferenceType");
    let provider = query_value(query, "byProvider").map(str::to_ascii_lowercase);
    let summaries: Vec<Value> = FOUNDATION_MODELS
        .iter()
        .filter(|(_, _, _, output, _)| modality.is_none_or(|m| m == *output))
        .filter(|(_, _, _, _, types)| inference.is_none_or(|t| types.contains(&t)))
        .filter(|(_, _, name, _, _)| provider.as_deref().is_none_or(|p| name.to_ascii_lowercase().starts_with(p)))
        .map(|(id, name, provider, output, types)| {
            json!({"modelArn":format!("{REGION_ARN}/{id}"),"modelId":id,"modelName":name,"providerName":provider,
                "inputModalities":["TEXT"],"outputModalities":[output],"responseStreamingSupported":true,
                "customizationsSupported":[],"inferenceTypesSupported":types,"modelLifecycle":{"status":"ACTIVE"}})
        })
        .collect();
    json_response(StatusCode::OK, &json!({ "modelSummaries": summaries }))
}

/// The account's application inference profiles: (profile id, name, the foundation model it routes to).
const APPLICATION_PROFILES: &[(&str, &str, &str)] = &[
    ("claudeapp01", "team-claude", "anthropic.claude-3-haiku-20240307-v1:0"),
    ("novaapp01", "team-nova", "amazon.nova-lite-v1:0"),
];

const ACCOUNT_ARN: &str = "arn:aws:bedrock:us-east-1:123456789012";

/// The application profile a request names (its ARN or id). Any other id containing `nova` routes to Nova Lite,
/// `missing` is not found, and every other one routes to Claude 3 Haiku — so tests can make up ARNs.
fn application_profile(identifier: &str) -> Option<(String, String, &'static str)> {
    let id = identifier.rsplit('/').next().unwrap_or(identifier);
    if let Some((id, name, model)) = APPLICATION_PROFILES.iter().find(|(known, _, _)| *known == id) {
        return Some(((*id).to_owned(), (*name).to_owned(), *model));
    }
    if id.contains("missing") {
        return None;
    }
    let model = if id.contains("nova") { "amazon.nova-lite-v1:0" } else { "anthropic.claude-3-haiku-20240307-v1:0" };
    Some((id.to_owned(), format!("profile-{id}"), model))
}

fn application_json(id: &str, name: &str, model: &str) -> Value {
    json!({"inferenceProfileName":name,"description":format!("Application profile for {model}"),
        "createdAt":"2025-01-15T00:00:00Z","updatedAt":"2025-01-15T00:00:00Z",
        "inferenceProfileArn":format!("{ACCOUNT_ARN}:application-inference-profile/{id}"),
        "models":[{"modelArn":format!("{REGION_ARN}/{model}")}],
        "inferenceProfileId":id,"status":"ACTIVE","type":"APPLICATION"})
}

/// `GET /inference-profiles/{inferenceProfileIdentifier}` (the identifier percent-encoded, as the SDK sends an ARN).
pub(crate) fn inference_profile(encoded: &str) -> Response<Body> {
    let identifier = percent_encoding::percent_decode_str(encoded).decode_utf8_lossy().into_owned();
    if let Some((id, name, model)) = INFERENCE_PROFILES.iter().find(|(id, _, _)| identifier.ends_with(*id)) {
        return json_response(StatusCode::OK, &system_json(id, name, model));
    }
    match application_profile(&identifier) {
        Some((id, name, model)) => json_response(StatusCode::OK, &application_json(&id, &name, model)),
        None => crate::bedrock::error_response(&crate::bedrock::BedrockError::new(
            404,
            "ResourceNotFoundException",
            "The specified inference profile was not found.",
        )),
    }
}

fn system_json(id: &str, name: &str, model: &str) -> Value {
    json!({"inferenceProfileName":name,"description":format!("Routes requests to {model}"),
        "createdAt":"2024-10-22T00:00:00Z","updatedAt":"2024-10-22T00:00:00Z",
        "inferenceProfileArn":format!("arn:aws:bedrock:us-east-1:123456789012:inference-profile/{id}"),
        "models":[{"modelArn":format!("{REGION_ARN}/{model}")}],
        "inferenceProfileId":id,"status":"ACTIVE","type":"SYSTEM_DEFINED"})
}

/// `GET /inference-profiles`: the system-defined profiles, or with `type=APPLICATION` (the SDK's `typeEquals`) the
/// account's own.
pub(crate) fn inference_profiles(query: &str) -> Response<Body> {
    if query_value(query, "type") == Some("APPLICATION") {
        let summaries: Vec<Value> =
            APPLICATION_PROFILES.iter().map(|(id, name, model)| application_json(id, name, model)).collect();
        return json_response(StatusCode::OK, &json!({ "inferenceProfileSummaries": summaries }));
    }
    let summaries: Vec<Value> =
        INFERENCE_PROFILES.iter().map(|(id, name, model)| system_json(id, name, model)).collect();
    json_response(StatusCode::OK, &json!({ "inferenceProfileSummaries": summaries }))
}
