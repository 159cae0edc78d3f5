//! Bedrock embeddings through InvokeModel (docs/reference/embeddings.md): Titan Text Embeddings takes one text a
//! call, so the texts go as concurrent calls ([`TITAN_CONCURRENCY`] at a time, answers kept in input order); Cohere
//! Embed takes up to 96, so the texts go in batches, likewise. Vectors come back as floats, and obs writes them as
//! the client's `encoding_format` asks.

use async_trait::async_trait;
use aws_sdk_bedrockruntime::primitives::Blob;
use futures::{StreamExt, TryStreamExt};
use obs_convert::embeddings as convert;
use obs_models::embeddings::{CohereEmbeddingResponse, CohereEmbeddings, EmbeddingsRequest, TitanEmbeddingResponse};
use obs_models::error::ErrorCode;

use super::catalog::{EmbeddingFamily, embedding_family};
use super::strategy::encode_body;
use super::{BedrockAdapter, Shared, errors};
use crate::{EmbeddingsAdapter, EmbeddingsOutput, Error};

/// How many InvokeModel calls one embeddings request has in flight at once.
pub const TITAN_CONCURRENCY: usize = 8;

#[async_trait]
impl EmbeddingsAdapter for BedrockAdapter {
    async fn embeddings(&self, request: &EmbeddingsRequest, model: &str) -> Result<EmbeddingsOutput, Error> {
        convert::validate(request)?;
        let shared = &*self.shared;
        let format = request.encoding_format.unwrap_or_default();
        let (vectors, tokens) = match embedding_family(model)? {
            EmbeddingFamily::Titan { v2 } => {
                let bodies = convert::titan_bodies(request, v2)?;
                let answers: Vec<TitanEmbeddingResponse> = futures::stream::iter(bodies)
                    .map(|body| async move { parse(&invoke(shared, model, encode_body(&body)?).await?) })
                    .buffered(TITAN_CONCURRENCY)
                    .try_collect()
                    .await?;
                let tokens = answers.iter().map(|a| a.input_text_token_count).sum();
                (answers.into_iter().map(|a| a.embedding).collect(), tokens)
            }
            EmbeddingFamily::Cohere { v4 } => {
                let bodies = convert::cohere_bodies(request, v4)?;
                let expected: Vec<usize> = bodies.iter().map(|b| b.texts.len()).collect();
                let answers: Vec<CohereEmbeddingResponse> = futures::stream::iter(bodies)
                    .map(|body| async move { parse(&invoke(shared, model, encode_body(&body)?).await?) })
                    .buffered(TITAN_CONCURRENCY)
                    .try_collect()
                    .await?;
                let mut vectors = Vec::new();
                let mut tokens = 0;
                for (answer, expected) in answers.into_iter().zip(expected) {
                    tokens += answer.meta.and_then(|m| m.billed_units).map_or(0, |b| b.input_tokens);
                    let batch = match answer.embeddings {
                        CohereEmbeddings::Floats(batch) | CohereEmbeddings::ByType { float: batch } => batch,
                    };
                    if batch.len() != expected {
                        return Err(Error::new(
                            ErrorCode::UpstreamError,
                            format!("Cohere answered {} vectors for {expected} texts.", batch.len()),
                        ));
                    }
                    vectors.extend(batch);
                }
                (vectors, tokens)
            }
        };
        Ok(EmbeddingsOutput::Typed(convert::answer(&request.model, vectors, tokens, format)))
    }
}

async fn invoke(shared: &Shared, model: &str, body: Vec<u8>) -> Result<Blob, Error> {
    let call = shared
        .client()
        .invoke_model()
        .model_id(model)
        .content_type("application/json")
        .accept("application/json")
        .body(Blob::new(body))
        .send();
    Ok(shared.first_byte(Box::pin(call)).await?.map_err(|e| errors::from_sdk(&e))?.body)
}

fn parse<T: serde::de::DeserializeOwned>(blob: &Blob) -> Result<T, Error> {
    serde_json::from_slice(blob.as_ref()).map_err(|e| {
        Error::new(ErrorCode::UpstreamError, format!("The Bedrock embeddings answer has an unexpected shape: {e}."))
    })
}
