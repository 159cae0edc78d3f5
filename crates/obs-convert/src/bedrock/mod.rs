//! Bedrock native bodies: the Claude and Titan InvokeModel requests built from the internal request, and their
//! responses and stream events parsed back (docs/reference/formats.md §7.3, §7.4, §8.2). Converse uses the AWS SDK's
//! own types and lives in obs-adapters.

pub mod caching;
pub mod claude_request;
pub mod claude_response;
pub mod claude_stream;
pub mod image;
pub mod reasoning;
pub mod titan;
pub mod usage;

use obs_models::openai::ChatCompletionRequest;

use crate::Error;

/// Identity of the answer being built: obs mints the id, the caller gives the clock and the client's model id.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseMeta {
    /// `chatcmpl-…`.
    pub id: String,
    /// Unix seconds.
    pub created: u64,
    /// The model id the client sent.
    pub model: String,
}

impl ResponseMeta {
    /// A fresh random id for `model` at `created`.
    pub fn new(model: impl Into<String>, created: u64) -> Self {
        ResponseMeta { id: crate::ids::chat_completion_id(), created, model: model.into() }
    }
}

/// Rejects what no Bedrock family can honour (docs/reference/formats.md §3): `n > 1`.
pub fn check_bedrock_request(request: &ChatCompletionRequest) -> Result<(), Error> {
    if request.n.is_some_and(|n| n > 1) {
        return Err(Error::unsupported("n", "Bedrock models return one choice: `n` must be 1."));
    }
    Ok(())
}

/// Clamps a temperature to Claude's and Titan's 0..=1 (OpenAI allows up to 2).
pub(crate) fn clamp_unit(value: Option<f64>) -> Option<f64> {
    value.map(|t| t.clamp(0.0, 1.0))
}

impl ResponseMeta {
    /// A one-choice chunk of this answer.
    pub fn chunk(
        &self,
        delta: obs_models::openai::Delta,
        finish_reason: Option<obs_models::openai::FinishReason>,
    ) -> obs_models::openai::ChatCompletionChunk {
        obs_models::openai::ChatCompletionChunk::with_delta(&self.id, self.created, &self.model, delta, finish_reason)
    }

    /// A non-streaming completion of this answer with one choice.
    pub fn response(
        &self,
        message: obs_models::openai::ResponseMessage,
        finish_reason: obs_models::openai::FinishReason,
        usage: obs_models::openai::Usage,
    ) -> obs_models::openai::ChatCompletionResponse {
        obs_models::openai::ChatCompletionResponse {
            id: self.id.clone(),
            object: obs_models::openai::ChatCompletionResponse::OBJECT.to_owned(),
            created: self.created,
            model: self.model.clone(),
            choices: vec![obs_models::openai::Choice {
                index: 0,
                message,
                finish_reason: Some(finish_reason),
                logprobs: serde_json::Value::Null,
                extra: obs_models::JsonObject::new(),
            }],
            usage: Some(usage),
            extra: obs_models::JsonObject::new(),
        }
    }

    /// The usage chunk of this answer.
    pub fn usage_chunk(&self, usage: obs_models::openai::Usage) -> obs_models::openai::ChatCompletionChunk {
        obs_models::openai::ChatCompletionChunk::usage_only(&self.id, self.created, &self.model, usage)
    }
}

/// An upstream stop reason obs did not recognise (mapped to `stop`; callers log it at WARN).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownStopReason(pub String);
