//! Bedrock Guardrails on the adapter's calls (docs/reference/formats.md §7.12): the request's guardrail (its own,
//! else its model group's — both already on the request — else the provider's) sent as Converse's
//! `guardrailConfig` / ConverseStream's `GuardrailStreamConfiguration` and InvokeModel's guardrail parameters; the
//! outcome read back (Converse's `stopReason` and `trace.guardrail`, InvokeModel's `amazon-bedrock-guardrailAction`
//! and `amazon-bedrock-trace` body keys) into the answer's `guardrail` field, an intervention as
//! `finish_reason: "content_filter"`.

mod apply;
pub(crate) mod stream;
mod trace;

use aws_sdk_bedrockruntime::types::{
    ConverseStreamTrace, ConverseTrace, GuardrailConfiguration, GuardrailStreamConfiguration,
    GuardrailStreamProcessingMode, GuardrailTrace as SdkTrace, StopReason, Trace,
};
use obs_models::guardrail::{ANSWER_FIELD, Guardrail, GuardrailTrace, INTERVENED, StreamProcessingMode};
use obs_models::openai::{ChatCompletionRequest, ChatCompletionResponse, FinishReason};
use serde_json::Value;

use crate::bedrock::BedrockSettings;

/// The guardrail this call applies: the request's (its own or its group's), else the provider's.
pub(crate) fn of<'a>(request: &'a ChatCompletionRequest, settings: &'a BedrockSettings) -> Option<&'a Guardrail> {
    request.guardrail.as_ref().or(settings.guardrail.as_ref())
}

fn sdk_trace(trace: GuardrailTrace) -> SdkTrace {
    match trace {
        GuardrailTrace::Enabled => SdkTrace::Enabled,
        GuardrailTrace::EnabledFull => SdkTrace::EnabledFull,
        GuardrailTrace::Disabled => SdkTrace::Disabled,
    }
}

/// Converse's `guardrailConfig`.
pub(crate) fn converse(guardrail: Option<&Guardrail>) -> Option<GuardrailConfiguration> {
    let g = guardrail?;
    Some(
        GuardrailConfiguration::builder()
            .guardrail_identifier(&g.id)
            .guardrail_version(&g.version)
            .set_trace(g.trace.map(sdk_trace))
            .build(),
    )
}

/// ConverseStream's `guardrailConfig`, with `streamProcessingMode` when asked.
pub(crate) fn converse_stream(guardrail: Option<&Guardrail>) -> Option<GuardrailStreamConfiguration> {
    let g = guardrail?;
    let mode = g.stream_processing_mode.map(|mode| match mode {
        StreamProcessingMode::Sync => GuardrailStreamProcessingMode::Sync,
        StreamProcessingMode::Async => GuardrailStreamProcessingMode::Async,
    });
    Some(
        GuardrailStreamConfiguration::builder()
            .guardrail_identifier(&g.id)
            .guardrail_version(&g.version)
            .set_trace(g.trace.map(sdk_trace))
            .set_stream_processing_mode(mode)
            .build(),
    )
}

/// Sets InvokeModel's (or InvokeModelWithResponseStream's) guardrail parameters on its fluent builder — the
/// builders are two types with the same setters.
macro_rules! invoke_guardrail {
    ($builder:expr, $guardrail:expr) => {{
        let guardrail: Option<&obs_models::guardrail::Guardrail> = $guardrail;
        $builder
            .set_guardrail_identifier(guardrail.map(|g| g.id.clone()))
            .set_guardrail_version(guardrail.map(|g| g.version.clone()))
            .set_trace(guardrail.and_then($crate::bedrock::guardrails::invoke_trace))
    }};
}
pub(crate) use invoke_guardrail;

/// InvokeModel's `X-Amzn-Bedrock-Trace`.
pub(crate) fn invoke_trace(guardrail: &Guardrail) -> Option<Trace> {
    guardrail.trace.map(|trace| match trace {
        GuardrailTrace::Enabled => Trace::Enabled,
        GuardrailTrace::EnabledFull => Trace::EnabledFull,
        GuardrailTrace::Disabled => Trace::Disabled,
    })
}

/// The outcome of a guarded InvokeModel answer (or stream chunk), from its body keys; `None` when it has neither.
pub(crate) fn invoke_outcome(body: &[u8]) -> Option<Value> {
    #[derive(serde::Deserialize)]
    struct Keys {
        #[serde(rename = "amazon-bedrock-guardrailAction")]
        action: Option<String>,
        #[serde(rename = "amazon-bedrock-trace")]
        trace: Option<Value>,
    }
    let keys: Keys = serde_json::from_slice(body).ok()?;
    let trace = keys.trace.and_then(|mut t| t.get_mut("guardrail").map(Value::take));
    if keys.action.is_none() && trace.is_none() {
        return None;
    }
    Some(obs_convert::guardrail::outcome(keys.action.as_deref() == Some(INTERVENED), trace))
}

/// Whether a stream payload may carry guardrail keys (checked before parsing it a second time).
pub(crate) fn mentions_guardrail(payload: &[u8]) -> bool {
    const KEY: &[u8] = b"amazon-bedrock-";
    payload.windows(KEY.len()).any(|w| w == KEY)
}

/// The outcome of a Converse answer: an intervention from its stop reason, the assessment from its trace.
pub(crate) fn converse_outcome(stop: &StopReason, trace: Option<&ConverseTrace>) -> Option<Value> {
    outcome(stop, trace.and_then(|t| t.guardrail.as_ref()))
}

/// The outcome of a ConverseStream, from its `messageStop` reason and `metadata.trace`.
pub(crate) fn converse_stream_outcome(stop: &StopReason, trace: Option<&ConverseStreamTrace>) -> Option<Value> {
    outcome(stop, trace.and_then(|t| t.guardrail.as_ref()))
}

fn outcome(
    stop: &StopReason,
    trace: Option<&aws_sdk_bedrockruntime::types::GuardrailTraceAssessment>,
) -> Option<Value> {
    let intervened = *stop == StopReason::GuardrailIntervened;
    if !intervened && trace.is_none() {
        return None;
    }
    Some(obs_convert::guardrail::outcome(intervened, trace.map(trace::to_json)))
}

/// Puts the outcome on a whole answer; an intervention is `finish_reason: "content_filter"`.
pub(crate) fn report(response: &mut ChatCompletionResponse, outcome: Option<Value>) {
    let Some(outcome) = outcome else { return };
    response.extra.insert(ANSWER_FIELD.to_owned(), outcome);
    if obs_convert::guardrail::intervened(&response.extra) {
        for choice in &mut response.choices {
            choice.finish_reason = Some(FinishReason::ContentFilter);
        }
    }
}

/// A Converse passthrough body with a configured guardrail as its `guardrailConfig`, when the client's body has
/// none of its own (the client's wins); the body unchanged otherwise, or when it is not a JSON object.
pub(crate) fn into_converse_body(body: bytes::Bytes, guardrail: Option<&Guardrail>) -> bytes::Bytes {
    let Some(g) = guardrail else { return body };
    let Ok(Value::Object(mut object)) = serde_json::from_slice::<Value>(&body) else { return body };
    if object.contains_key("guardrailConfig") {
        return body;
    }
    let mut config = serde_json::Map::new();
    config.insert("guardrailIdentifier".into(), Value::String(g.id.clone()));
    config.insert("guardrailVersion".into(), Value::String(g.version.clone()));
    if let Some(trace) = g.trace {
        config.insert("trace".into(), Value::String(trace.as_str().to_owned()));
    }
    object.insert("guardrailConfig".into(), Value::Object(config));
    serde_json::to_vec(&object).map(bytes::Bytes::from).unwrap_or(body)
}
