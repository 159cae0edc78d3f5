//! Bedrock models for `/v1/models`: foundation models with TEXT output and ON_DEMAND inference, plus inference
//! profiles — the system-defined ones by id, the account's application profiles by ARN (docs/reference/routes.md
//! §4). Needs the `control-plane` feature (aws-sdk-bedrock); without it the list is
//! empty.

use obs_models::openai::ModelInfo;

use super::Shared;
use crate::Error;

#[cfg(feature = "control-plane")]
pub(crate) async fn list(shared: &Shared) -> Result<Vec<ModelInfo>, Error> {
    use aws_sdk_bedrock::types::{InferenceProfileType, InferenceType, ModelModality};

    let client = control_client(shared);
    let models = shared
        .first_byte(Box::pin(
            client
                .list_foundation_models()
                .by_output_modality(ModelModality::Text)
                .by_inference_type(InferenceType::OnDemand)
                .send(),
        ))
        .await?
        .map_err(|e| super::errors::from_sdk(&e))?;
    // Embedding models too: /v1/embeddings serves them.
    let embedding = shared
        .first_byte(Box::pin(
            client
                .list_foundation_models()
                .by_output_modality(ModelModality::Embedding)
                .by_inference_type(InferenceType::OnDemand)
                .send(),
        ))
        .await?
        .map_err(|e| super::errors::from_sdk(&e))?;
    let profiles = shared
        .first_byte(Box::pin(client.list_inference_profiles().send()))
        .await?
        .map_err(|e| super::errors::from_sdk(&e))?;
    // The account's own application profiles are listed only when asked for by type; they are called by ARN.
    let applications = shared
        .first_byte(Box::pin(client.list_inference_profiles().type_equals(InferenceProfileType::Application).send()))
        .await?
        .map_err(|e| super::errors::from_sdk(&e))?;
    let mut list: Vec<ModelInfo> = models
        .model_summaries()
        .iter()
        .chain(embedding.model_summaries())
        .map(|m| ModelInfo::new(m.model_id(), 0, "bedrock"))
        .collect();
    list.extend(profiles.inference_profile_summaries().iter().map(|p| {
        let created = p.created_at().map_or(0, |t| u64::try_from(t.secs()).unwrap_or(0));
        ModelInfo::new(p.inference_profile_id(), created, "bedrock")
    }));
    for p in applications.inference_profile_summaries() {
        if p.r#type() == &InferenceProfileType::Application && list.iter().all(|m| m.id != p.inference_profile_arn()) {
            let created = p.created_at().map_or(0, |t| u64::try_from(t.secs()).unwrap_or(0));
            list.push(ModelInfo::new(p.inference_profile_arn(), created, "bedrock"));
        }
    }
    Ok(list)
}

/// A control-plane client with the runtime's credentials and region, `control_endpoint_url` when set, no retries.
#[cfg(feature = "control-plane")]
pub(crate) fn control_client(shared: &Shared) -> aws_sdk_bedrock::Client {
    let mut config = aws_sdk_bedrock::config::Builder::from(&shared.sdk_config)
        .retry_config(aws_sdk_bedrock::config::retry::RetryConfig::disabled());
    if let Some(endpoint) = &shared.settings.control_endpoint_url {
        config = config.endpoint_url(endpoint);
    }
    aws_sdk_bedrock::Client::from_conf(config.build())
}

#[cfg(not(feature = "control-plane"))]
pub(crate) async fn list(_shared: &Shared) -> Result<Vec<ModelInfo>, Error> {
    tracing::debug!("Bedrock model listing is not compiled in (feature control-plane)");
    Ok(Vec::new())
}
