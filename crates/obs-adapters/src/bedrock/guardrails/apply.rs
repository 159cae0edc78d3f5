//! `ApplyGuardrail` on the Bedrock adapter: another provider's input or output checked against a guardrail, with
//! this provider's credentials, region and time limits.

use async_trait::async_trait;
use aws_sdk_bedrockruntime::types::{
    GuardrailAction, GuardrailContentBlock, GuardrailContentSource, GuardrailTextBlock,
};
use obs_models::error::ErrorCode;
use obs_models::guardrail::Guardrail;
use serde_json::Value;

use crate::bedrock::{BedrockAdapter, errors};
use crate::{Error, GuardrailChecker, GuardrailSource, GuardrailVerdict};

#[async_trait]
impl GuardrailChecker for BedrockAdapter {
    async fn apply(
        &self,
        guardrail: &Guardrail,
        source: GuardrailSource,
        texts: Vec<String>,
    ) -> Result<GuardrailVerdict, Error> {
        let mut content = Vec::with_capacity(texts.len());
        for text in texts.into_iter().filter(|t| !t.is_empty()) {
            let block = GuardrailTextBlock::builder().text(text).build().map_err(|e| {
                Error::new(ErrorCode::InternalError, format!("Could not build the guardrail check: {e}."))
            })?;
            content.push(GuardrailContentBlock::Text(block));
        }
        if content.is_empty() {
            return Ok(GuardrailVerdict { intervened: false, output: None, assessments: Value::Array(Vec::new()) });
        }
        let source = match source {
            GuardrailSource::Input => GuardrailContentSource::Input,
            GuardrailSource::Output => GuardrailContentSource::Output,
        };
        let call = self
            .shared
            .client()
            .apply_guardrail()
            .guardrail_identifier(&guardrail.id)
            .guardrail_version(&guardrail.version)
            .source(source)
            .set_content(Some(content))
            .send();
        let output = self.shared.first_byte(Box::pin(call)).await?.map_err(|e| errors::from_sdk(&e))?;
        let intervened = output.action == GuardrailAction::GuardrailIntervened;
        let text: Vec<&str> = output.outputs.iter().filter_map(|o| o.text.as_deref()).collect();
        Ok(GuardrailVerdict {
            intervened,
            output: (intervened && !text.is_empty()).then(|| text.join("\n")),
            assessments: Value::Array(output.assessments.iter().map(super::trace::assessment).collect()),
        })
    }
}
