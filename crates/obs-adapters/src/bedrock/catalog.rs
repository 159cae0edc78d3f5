//! What Bedrock serves and through which API (docs/reference/formats.md §6): which model ids are Bedrock's (ARNs,
//! vendor ids with an optional geo prefix), which of them are not chat models, and the API family of each chat model.
//! Pure, no I/O: the router asks [`serves`] for bare ids, and the adapter asks [`family`] on every call.

use obs_models::Error;
use serde::Deserialize;

/// Which Bedrock API serves a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BedrockFamily {
    /// Anthropic Claude through InvokeModel with the native Messages body.
    ClaudeInvoke,
    /// Amazon Titan Text through InvokeModel.
    TitanInvoke,
    /// Claude through Converse (`claude_api = "converse"`): Claude-only fields such as `top_k` go in
    /// `additionalModelRequestFields`.
    ClaudeConverse,
    /// Every other chat family through Converse.
    Converse,
}

/// Which Bedrock API Claude goes through (a Bedrock provider's `claude_api`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClaudeApi {
    /// InvokeModel with the native Messages body (default).
    #[default]
    Invoke,
    /// Converse.
    Converse,
}

const GEO_PREFIXES: [&str; 8] = ["us.", "eu.", "apac.", "us-gov.", "ca.", "jp.", "au.", "global."];
const VENDORS: [&str; 15] = [
    "anthropic.",
    "amazon.",
    "meta.",
    "mistral.",
    "cohere.",
    "ai21.",
    "deepseek.",
    "writer.",
    "qwen.",
    "openai.",
    "twelvelabs.",
    "moonshot.",
    "google.",
    "minimax.",
    "stability.",
];

/// Whether a bare model id is Bedrock's: an ARN, or a vendor id with an optional geo prefix.
///
/// ```
/// use obs_adapters::bedrock::catalog::serves;
///
/// assert!(serves("us.anthropic.claude-3-5-sonnet-20241022-v2:0"));
/// assert!(serves("arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc"));
/// assert!(!serves("gpt-4o"));
/// ```
pub fn serves(model: &str) -> bool {
    is_arn(model) || VENDORS.iter().any(|vendor| strip_geo(model).starts_with(vendor))
}

/// The API family of a Bedrock model id or ARN; `invalid_value` (param `model`) for models that do not chat.
///
/// ```
/// use obs_adapters::bedrock::catalog::{BedrockFamily, ClaudeApi, family};
///
/// assert_eq!(family("eu.anthropic.claude-3-haiku-20240307-v1:0", ClaudeApi::Invoke), Ok(BedrockFamily::ClaudeInvoke));
/// assert_eq!(family("anthropic.claude-v2", ClaudeApi::Converse), Ok(BedrockFamily::ClaudeConverse));
/// assert_eq!(family("meta.llama3-70b-instruct-v1:0", ClaudeApi::Invoke), Ok(BedrockFamily::Converse));
/// assert!(family("amazon.titan-embed-text-v2:0", ClaudeApi::Invoke).is_err());
/// ```
pub fn family(model: &str, claude_api: ClaudeApi) -> Result<BedrockFamily, Error> {
    let id = if is_arn(model) {
        match arn_resource(model) {
            Some(("foundation-model" | "inference-profile", id)) => id,
            // Application inference profiles (and provisioned or custom models) hide the model: Converse works for
            // every chat family.
            _ => return Ok(BedrockFamily::Converse),
        }
    } else {
        model
    };
    let id = strip_geo(id);
    let not_chat = id.starts_with("amazon.titan-embed")
        || id.starts_with("cohere.embed")
        || id.contains("image")
        || id.starts_with("stability.")
        || ["amazon.nova-canvas", "amazon.nova-reel", "amazon.nova-sonic"].iter().any(|p| id.starts_with(p));
    if not_chat {
        return Err(Error::invalid(
            "model",
            format!("'{model}' is not a chat model: /v1/chat/completions serves text-generation models only."),
        ));
    }
    Ok(if id.starts_with("anthropic.claude") {
        match claude_api {
            ClaudeApi::Invoke => BedrockFamily::ClaudeInvoke,
            ClaudeApi::Converse => BedrockFamily::ClaudeConverse,
        }
    } else if id.starts_with("amazon.titan-text") || id.starts_with("amazon.titan-tg1") {
        BedrockFamily::TitanInvoke
    } else {
        BedrockFamily::Converse
    })
}

/// A Bedrock embedding model's body format (docs/reference/embeddings.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmbeddingFamily {
    /// Amazon Titan Text Embeddings: one text per call; `v2` takes `dimensions` and `normalize`.
    Titan {
        /// `amazon.titan-embed-text-v2`.
        v2: bool,
    },
    /// Cohere Embed: up to 96 texts per call; `v4` takes `output_dimension`.
    Cohere {
        /// `cohere.embed-v4`.
        v4: bool,
    },
}

/// The embedding family of a Bedrock model id (geo prefixes and foundation-model ARNs too); `invalid_value`
/// (param `model`) for a model that does not embed text.
///
/// ```
/// use obs_adapters::bedrock::catalog::{EmbeddingFamily, embedding_family};
///
/// assert_eq!(embedding_family("amazon.titan-embed-text-v2:0"), Ok(EmbeddingFamily::Titan { v2: true }));
/// assert_eq!(embedding_family("us.cohere.embed-v4:0"), Ok(EmbeddingFamily::Cohere { v4: true }));
/// assert!(embedding_family("anthropic.claude-3-haiku-20240307-v1:0").is_err());
/// ```
pub fn embedding_family(model: &str) -> Result<EmbeddingFamily, Error> {
    let id = match is_arn(model).then(|| arn_resource(model)).flatten() {
        Some(("foundation-model" | "inference-profile", id)) => id,
        _ => model,
    };
    let id = strip_geo(id);
    if id.starts_with("amazon.titan-embed-text") || id.starts_with("amazon.titan-embed-g1-text") {
        Ok(EmbeddingFamily::Titan { v2: id.starts_with("amazon.titan-embed-text-v2") })
    } else if id.starts_with("cohere.embed") {
        Ok(EmbeddingFamily::Cohere { v4: id.starts_with("cohere.embed-v4") })
    } else {
        Err(Error::invalid(
            "model",
            format!(
                "'{model}' is not an embedding model: /v1/embeddings serves Titan Text Embeddings and Cohere Embed on Bedrock."
            ),
        ))
    }
}

/// The foundation-model id of an id with a cross-region prefix (`us.anthropic.…` → `anthropic.…`); other ids
/// and ARNs as they are.
pub fn foundation_id(model: &str) -> &str {
    if is_arn(model) { model } else { strip_geo(model) }
}

pub(crate) fn strip_geo(id: &str) -> &str {
    GEO_PREFIXES.iter().find_map(|geo| id.strip_prefix(geo)).unwrap_or(id)
}

/// `arn:aws…:bedrock:…` (any partition: `aws`, `aws-us-gov`, `aws-cn`).
fn is_arn(model: &str) -> bool {
    model.starts_with("arn:aws") && model.split(':').nth(2) == Some("bedrock")
}

/// (`foundation-model`, id) from `arn:aws:bedrock:<region>:<account>:foundation-model/<id>`.
fn arn_resource(arn: &str) -> Option<(&str, &str)> {
    let resource = arn.splitn(6, ':').nth(5)?;
    resource.split_once('/')
}

#[cfg(test)]
mod tests {
    use obs_models::error::ErrorCode;

    use super::*;

    #[test]
    fn non_chat_models_are_invalid_values_about_the_model() {
        let error = family("amazon.nova-canvas-v1:0", ClaudeApi::Invoke).unwrap_err();
        assert_eq!((error.code, error.param.as_deref()), (ErrorCode::InvalidValue, Some("model")));
    }
}
