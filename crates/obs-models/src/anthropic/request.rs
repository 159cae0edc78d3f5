use serde::{Deserialize, Serialize};

use crate::JsonObject;

/// A `POST /v1/messages` (or `/v1/messages/count_tokens`) request, thin: the fields obs routes by and edits, and
/// the rest of the body as the client sent it, in its order — what goes to Claude on Bedrock unchanged.
#[derive(Debug, Clone, PartialEq)]
pub struct MessagesRequest {
    /// The model id the client sent: an Anthropic model name, a Bedrock id, a group, an alias or
    /// `<provider>/<model-id>`.
    pub model: String,
    /// `stream: true`.
    pub stream: bool,
    /// The `anthropic-beta` header's names, in order.
    pub betas: Vec<String>,
    /// Every other top-level field (`max_tokens`, `messages`, `system`, `tools`, `thinking`, …), as sent.
    pub body: JsonObject,
}

impl MessagesRequest {
    /// The `metadata.user_id`, which a group with user affinity keys on.
    pub fn user(&self) -> Option<&str> {
        self.body.get("metadata").and_then(|m| m.get("user_id")).and_then(serde_json::Value::as_str)
    }
}

/// The answer of `POST /v1/messages/count_tokens`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountTokensResponse {
    /// Tokens the request's input would take.
    pub input_tokens: u64,
}
