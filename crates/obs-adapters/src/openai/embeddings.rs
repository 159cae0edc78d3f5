//! `/embeddings` of an OpenAI-compatible upstream: the client's request passed through (the routed model id in
//! `model`, obs's Bedrock-only fields removed) and the upstream's JSON answered as it came.

use async_trait::async_trait;
use bytes::Bytes;
use obs_models::embeddings::EmbeddingsRequest;
use obs_models::error::ErrorCode;

use super::{OpenAiAdapter, catalog, errors};
use crate::{EmbeddingsAdapter, EmbeddingsOutput, Error};

/// The fields obs reads for Bedrock's embedding models (docs/reference/embeddings.md), which OpenAI would refuse.
const OBS_FIELDS: [&str; 4] = ["input_type", "truncate", "normalize", "embedding_types"];

/// `invalid_value` for an embedding model asked to chat.
pub(super) fn refuse_for_chat(model: &str) -> Result<(), Error> {
    if catalog::is_embedding_model(model) {
        return Err(Error::invalid(
            "model",
            format!("'{model}' is an embedding model: use /v1/embeddings, not /v1/chat/completions."),
        ));
    }
    Ok(())
}

#[async_trait]
impl EmbeddingsAdapter for OpenAiAdapter {
    async fn embeddings(&self, request: &EmbeddingsRequest, model: &str) -> Result<EmbeddingsOutput, Error> {
        // Only OpenAI's own names are known to chat; another server's model may embed whatever it is called.
        if catalog::serves(model) && !catalog::is_embedding_model(model) {
            return Err(Error::invalid(
                "model",
                format!("'{model}' is not an embedding model: /v1/embeddings serves embedding models only."),
            ));
        }
        let mut body = request.clone();
        model.clone_into(&mut body.model);
        body.extra.retain(|key, _| !OBS_FIELDS.contains(&key.as_str()));
        let body = serde_json::to_vec(&body).map_err(|e| {
            Error::new(ErrorCode::InternalError, format!("Could not encode the upstream request: {e}."))
        })?;
        let response = self.post_to(&self.embeddings_url, body).await?;
        let answer: Bytes = tokio::time::timeout(self.timeouts.idle, response.bytes())
            .await
            .map_err(|_| errors::idle_timeout())?
            .map_err(errors::transport)?;
        if serde_json::from_slice::<serde::de::IgnoredAny>(&answer).is_err() {
            return Err(Error::new(ErrorCode::UpstreamError, "The upstream embeddings answer is not JSON."));
        }
        Ok(EmbeddingsOutput::Verbatim(answer))
    }
}
