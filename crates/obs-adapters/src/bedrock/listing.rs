//! Bedrock models for `/v1/models`: foundation models with TEXT output and ON_DEMAND inference, plus inference
//! profiles (contract §1.2). Needs the `control-plane` feature (aws-sdk-bedrock); without it the list is empty.

use obs_models::openai::ModelInfo;

use super::Shared;
use crate::Error;

#[cfg(feature = "control-plane")]
pub(crate) async fn list(shared: &Shared) -> Result<Vec<ModelInfo>, Error> {
    use aws_sdk_bedrock::types::{InferenceType, ModelModality};

    let mut config = aws_sdk_bedrock::config::Builder::from(&shared.sdk_config)
        .retry_config(aws_sdk_bedrock::config::retry::RetryConfig::disabled());
    if let Some(endpoint) = &shared.settings.control_endpoint_url {
        config = config.endpoint_url(endpoint);
    }
    let client = aws_sdk_bedrock::Client::from_conf(config.build());
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
    let profiles = shared
        .first_byte(Box::pin(client.list_inference_profiles().send()))
        .await?
        .map_err(|e| super::errors::from_sdk(&e))?;
    let mut list: Vec<ModelInfo> =
        models.model_summaries().iter().map(|m| ModelInfo::new(m.model_id(), 0, "bedrock")).collect();
    list.extend(profiles.inference_profile_summaries().iter().map(|p| {
        let created = p.created_at().map_or(0, |t| u64::try_from(t.secs()).unwrap_or(0));
        ModelInfo::new(p.inference_profile_id(), created, "bedrock")
    }));
    Ok(list)
}

#[cfg(not(feature = "control-plane"))]
pub(crate) async fn list(_shared: &Shared) -> Result<Vec<ModelInfo>, Error> {
    tracing::debug!("Bedrock model listing is not compiled in (feature control-plane)");
    Ok(Vec::new())
}
