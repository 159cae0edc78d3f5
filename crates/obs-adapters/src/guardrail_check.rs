//! Checking text against a Bedrock Guardrail on its own (Bedrock's `ApplyGuardrail`), as a provider capability: obs
//! uses it for targets that cannot apply a guardrail themselves — OpenAI-compatible providers configured with
//! `apply_guardrail` (docs/reference/formats.md §7.12).

use async_trait::async_trait;
use obs_models::guardrail::Guardrail;

use crate::Error;

/// Whose text is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuardrailSource {
    /// The request's messages, before the model is asked.
    Input,
    /// The model's answer.
    Output,
}

/// What the guardrail said of the text.
#[derive(Debug, Clone, PartialEq)]
pub struct GuardrailVerdict {
    /// The guardrail blocked or masked something.
    pub intervened: bool,
    /// The text to answer with instead, when it intervened (the guardrail's blocked message, or the masked text).
    pub output: Option<String>,
    /// The assessments, as Bedrock wrote them.
    pub assessments: serde_json::Value,
}

/// A provider that can run `ApplyGuardrail` (Bedrock).
#[async_trait]
pub trait GuardrailChecker: Send + Sync {
    /// Checks `texts` as `source` against `guardrail`.
    async fn apply(
        &self,
        guardrail: &Guardrail,
        source: GuardrailSource,
        texts: Vec<String>,
    ) -> Result<GuardrailVerdict, Error>;
}
