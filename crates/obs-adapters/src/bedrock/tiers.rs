//! Service tiers and latency-optimised inference on Bedrock (docs/reference/formats.md §7.9): OpenAI's
//! `service_tier` (`default`, `flex`, `priority`; `auto` leaves the choice to Bedrock) and Bedrock's own
//! `performance_config: {"latency": "optimized" | "standard"}`, sent as Converse's `serviceTier` /
//! `performanceConfig` and InvokeModel's `X-Amzn-Bedrock-Service-Tier` / `…-PerformanceConfig-Latency`; the tier
//! that served is reported back as the answer's `service_tier`.

use aws_sdk_bedrockruntime::types::{PerformanceConfigLatency, PerformanceConfiguration, ServiceTier, ServiceTierType};
use obs_models::error::ErrorCode;
use obs_models::openai::{ChatCompletionRequest, ChatCompletionResponse};
use serde_json::Value;

use crate::Error;

/// What a request asks of Bedrock's capacity.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct CallOptions {
    pub service_tier: Option<ServiceTierType>,
    pub latency: Option<PerformanceConfigLatency>,
    /// The guardrail InvokeModel applies (`bedrock::guardrails`), sent beside the tier as its parameters.
    pub guardrail: Option<obs_models::guardrail::Guardrail>,
}

impl CallOptions {
    /// Reads `service_tier` and `performance_config.latency`; 400 for values Bedrock has no tier for.
    pub(crate) fn of(request: &ChatCompletionRequest) -> Result<CallOptions, Error> {
        let service_tier = match request.extra.get("service_tier") {
            None | Some(Value::Null) => None,
            Some(Value::String(tier)) => match tier.as_str() {
                "auto" => None,
                "default" => Some(ServiceTierType::Default),
                "flex" => Some(ServiceTierType::Flex),
                "priority" => Some(ServiceTierType::Priority),
                "reserved" => Some(ServiceTierType::Reserved),
                other => {
                    return Err(Error::new(
                        ErrorCode::UnsupportedParameter,
                        format!(
                            "Bedrock has no '{other}' service tier: use 'auto', 'default', 'flex', 'priority' or \
                             'reserved'."
                        ),
                    )
                    .with_param("service_tier"));
                }
            },
            Some(_) => return Err(Error::invalid("service_tier", "`service_tier` must be a string.")),
        };
        let latency = match request.extra.get("performance_config").map(|c| c.get("latency")) {
            None | Some(None) | Some(Some(Value::Null)) => None,
            Some(Some(Value::String(latency))) if latency == "optimized" => Some(PerformanceConfigLatency::Optimized),
            Some(Some(Value::String(latency))) if latency == "standard" => Some(PerformanceConfigLatency::Standard),
            Some(_) => {
                return Err(Error::invalid(
                    "performance_config.latency",
                    "`performance_config.latency` must be 'standard' or 'optimized'.",
                ));
            }
        };
        Ok(CallOptions { service_tier, latency, guardrail: None })
    }

    /// The same options, applying `guardrail`.
    pub(crate) fn guarded(self, guardrail: Option<&obs_models::guardrail::Guardrail>) -> CallOptions {
        CallOptions { guardrail: guardrail.cloned(), ..self }
    }

    /// Converse's `serviceTier`.
    pub(crate) fn converse_tier(&self) -> Option<ServiceTier> {
        let tier = self.service_tier.clone()?;
        ServiceTier::builder().r#type(tier).build().ok()
    }

    /// Converse's `performanceConfig`.
    pub(crate) fn converse_performance(&self) -> Option<PerformanceConfiguration> {
        let latency = self.latency.clone()?;
        Some(PerformanceConfiguration::builder().latency(latency).build())
    }
}

/// Names the tier that served in the answer's `service_tier`, as OpenAI does.
pub(crate) fn report(response: &mut ChatCompletionResponse, served: Option<&ServiceTierType>) {
    if let Some(tier) = served {
        response.extra.insert("service_tier".to_owned(), Value::String(tier.as_str().to_owned()));
    }
}
