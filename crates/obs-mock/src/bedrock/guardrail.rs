//! Bedrock Guardrails in the emulator: the guardrail a runtime call names (Converse's `guardrailConfig`,
//! InvokeModel's `X-Amzn-Bedrock-Guardrail*` headers) is checked as Bedrock checks it — identifier and version
//! patterns, both or neither, known `trace` values — and a guardrail whose id contains `block`, or any guardrail on
//! a model id containing `guardrail`, intervenes on the input: Bedrock's answer shape for the API (Converse
//! `stopReason: guardrail_intervened` and `trace.guardrail`; InvokeModel's `amazon-bedrock-guardrailAction` and
//! `amazon-bedrock-trace` body keys, Claude answering `end_turn`, Titan `CONTENT_FILTERED`), the guardrail's
//! blocked message as the text, the assessment only when the trace was asked for. An id containing `missing` is
//! Bedrock's ResourceNotFoundException.

use http::{HeaderMap, Response};
use serde_json::{Value, json};

use super::errors::BedrockError;
use super::{Operation, eventstream};
use crate::http::{Body, json as json_response};
use crate::ids::RequestIds;

/// The guardrail's message for blocked input (what Bedrock's console proposes).
pub const BLOCKED_MESSAGE: &str = "Sorry, the model cannot answer this question.";

/// A guardrail a call named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Requested {
    id: String,
    /// The assessment is to be reported (`enabled` / `enabled_full`).
    trace: bool,
}

/// The guardrail the call names, checked; `None` when it names none.
pub(super) fn requested(
    operation: Operation,
    headers: &HeaderMap,
    request: &Value,
) -> Result<Option<Requested>, BedrockError> {
    let (id, version, trace) = match operation {
        Operation::Converse | Operation::ConverseStream => {
            let Some(config) = request.get("guardrailConfig") else { return Ok(None) };
            let text = |key: &str| config.get(key).and_then(Value::as_str).map(str::to_owned);
            if let Some(mode) = config.get("streamProcessingMode") {
                let known = matches!(mode.as_str(), Some("sync" | "async"));
                if operation == Operation::Converse || !known {
                    return Err(BedrockError::validation(
                        "1 validation error detected: Value at 'guardrailConfig.streamProcessingMode' failed to \
                         satisfy constraint",
                    ));
                }
            }
            (text("guardrailIdentifier"), text("guardrailVersion"), text("trace"))
        }
        Operation::Invoke | Operation::InvokeStream => {
            let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
            let id = header("x-amzn-bedrock-guardrailidentifier");
            if id.is_none() {
                return Ok(None);
            }
            let trace = header("x-amzn-bedrock-trace").map(|t| t.to_ascii_lowercase());
            (id, header("x-amzn-bedrock-guardrailversion"), trace)
        }
    };
    let (Some(id), Some(version)) = (id, version) else {
        return Err(BedrockError::validation("Guardrail identifier and version must both be provided."));
    };
    if !valid_identifier(&id) {
        return Err(BedrockError::validation(format!(
            "1 validation error detected: Value '{id}' at 'guardrailIdentifier' failed to satisfy constraint: Member \
             must satisfy regular expression pattern: (([a-z0-9]+)|(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{{1,20}}:\
             [0-9]{{12}}:guardrail/[a-z0-9]+))"
        )));
    }
    if !valid_version(&version) {
        return Err(BedrockError::validation(format!(
            "1 validation error detected: Value '{version}' at 'guardrailVersion' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: (([1-9][0-9]{{0,7}})|(DRAFT))"
        )));
    }
    let trace = match trace.as_deref() {
        None | Some("disabled") => false,
        Some("enabled" | "enabled_full") => true,
        Some(other) => {
            return Err(BedrockError::validation(format!("Value '{other}' at 'trace' failed to satisfy constraint.")));
        }
    };
    if id.contains("missing") {
        return Err(BedrockError::new(
            404,
            "ResourceNotFoundException",
            "The guardrail identifier or version provided in the request does not exist.",
        ));
    }
    Ok(Some(Requested { id, trace }))
}

fn valid_version(version: &str) -> bool {
    let numbered = !version.is_empty()
        && version.len() <= 8
        && version.bytes().all(|b| b.is_ascii_digit())
        && !version.starts_with('0');
    version == "DRAFT" || numbered
}

/// The guardrail's message for a blocked answer.
pub const BLOCKED_OUTPUT_MESSAGE: &str = "Sorry, the answer was blocked by a guardrail.";

/// `POST /guardrail/{id}/version/{version}/apply` (ApplyGuardrail): a guardrail whose id contains `block` intervenes
/// on the input — or, when the id also contains `output`, only on the output — with its blocked message and one
/// assessment; any other one lets the text through.
pub(crate) fn apply(path: &str, body: &[u8]) -> Response<Body> {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let [_, encoded_id, _, version, _] = parts.as_slice() else {
        return super::error_response(&BedrockError::validation("Malformed ApplyGuardrail path."));
    };
    let id = percent_encoding::percent_decode_str(encoded_id).decode_utf8_lossy().into_owned();
    if !valid_identifier(&id) || !valid_version(version) {
        return super::error_response(&BedrockError::validation(
            "1 validation error detected: the guardrail identifier or version failed to satisfy its pattern",
        ));
    }
    let request: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let source = request.get("source").and_then(Value::as_str).unwrap_or("");
    let texts = request.get("content").and_then(Value::as_array).map_or(0, Vec::len);
    if !matches!(source, "INPUT" | "OUTPUT") || texts == 0 {
        return super::error_response(&BedrockError::validation("source and content are required."));
    }
    let on_output = id.contains("output");
    let intervenes = id.contains("block") && (source == "OUTPUT") == on_output;
    let usage = json!({"topicPolicyUnits":0,"contentPolicyUnits":1,"wordPolicyUnits":0,
        "sensitiveInformationPolicyUnits":0,"sensitiveInformationPolicyFreeUnits":0,"contextualGroundingPolicyUnits":0});
    let answer = if intervenes {
        let message = if source == "OUTPUT" { BLOCKED_OUTPUT_MESSAGE } else { BLOCKED_MESSAGE };
        json!({"usage":usage,"action":"GUARDRAIL_INTERVENED","actionReason":"Guardrail blocked.",
            "outputs":[{"text":message}],"assessments":[assessment()]})
    } else {
        json!({"usage":usage,"action":"NONE","outputs":[],"assessments":[{}]})
    };
    json_response(http::StatusCode::OK, &answer)
}

fn valid_identifier(id: &str) -> bool {
    let plain = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if let Some(rest) = id.strip_prefix("arn:aws:bedrock:") {
        let parts: Vec<&str> = rest.splitn(3, ':').collect();
        return matches!(parts.as_slice(), [region, account, resource]
            if !region.is_empty() && account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())
                && resource.strip_prefix("guardrail/").is_some_and(plain));
    }
    plain(id)
}

/// Whether the guardrail intervenes on this call.
pub(super) fn intervenes(model_id: &str, requested: &Requested) -> bool {
    requested.id.contains("block") || model_id.to_ascii_lowercase().contains("guardrail")
}

/// The id the assessment is keyed by (the id inside an ARN).
fn key(requested: &Requested) -> &str {
    requested.id.rsplit('/').next().unwrap_or(&requested.id)
}

/// One input assessment: the violence filter blocked the prompt.
fn assessment() -> Value {
    json!({"contentPolicy":{"filters":[{"type":"VIOLENCE","confidence":"HIGH","filterStrength":"HIGH",
        "action":"BLOCKED","detected":true}]},
        "invocationMetrics":{"guardrailProcessingLatency":45,"usage":{"topicPolicyUnits":0,"contentPolicyUnits":1,
            "wordPolicyUnits":0,"sensitiveInformationPolicyUnits":0,"sensitiveInformationPolicyFreeUnits":0,
            "contextualGroundingPolicyUnits":0},
            "guardrailCoverage":{"textCharacters":{"guarded":24,"total":24}}}})
}

/// Converse's `trace.guardrail`.
pub fn converse_trace(id: &str) -> Value {
    json!({"inputAssessment":{ id: assessment() },"actionReason":"Guardrail blocked."})
}

/// InvokeModel's `amazon-bedrock-trace.guardrail`.
pub fn invoke_trace(id: &str) -> Value {
    json!({"input":{ id: assessment() },"actionReason":"Guardrail blocked."})
}

/// The intervention, in the answer shape of the API and model family.
pub(super) fn intervention(
    model_id: &str,
    operation: Operation,
    requested: &Requested,
    ids: RequestIds,
) -> Response<Body> {
    let id = key(requested);
    let titan = model_id.to_ascii_lowercase().contains("titan");
    match operation {
        Operation::Converse => {
            let mut answer = json!({"output":{"message":{"role":"assistant","content":[{"text":BLOCKED_MESSAGE}]}},
                "stopReason":"guardrail_intervened","usage":{"inputTokens":0,"outputTokens":0,"totalTokens":0},
                "metrics":{"latencyMs":45}});
            if requested.trace {
                answer["trace"] = json!({ "guardrail": converse_trace(id) });
            }
            json_response(http::StatusCode::OK, &answer)
        }
        Operation::ConverseStream => {
            let e = eventstream::event;
            let mut metadata =
                json!({"usage":{"inputTokens":0,"outputTokens":0,"totalTokens":0},"metrics":{"latencyMs":45}});
            if requested.trace {
                metadata["trace"] = json!({ "guardrail": converse_trace(id) });
            }
            let frames = vec![
                e("messageStart", &json!({"role":"assistant"})),
                e("contentBlockDelta", &json!({"contentBlockIndex":0,"delta":{"text":BLOCKED_MESSAGE}})),
                e("contentBlockStop", &json!({"contentBlockIndex":0})),
                e("messageStop", &json!({"stopReason":"guardrail_intervened"})),
                e("metadata", &metadata),
            ];
            event_stream(frames)
        }
        Operation::Invoke => {
            let mut answer = if titan {
                json!({"inputTextTokenCount":0,"results":[{"tokenCount":0,"outputText":BLOCKED_MESSAGE,
                    "completionReason":"CONTENT_FILTERED"}]})
            } else {
                json!({"id":ids.claude_message(),"type":"message","role":"assistant","model":model_id,
                    "content":[{"type":"text","text":BLOCKED_MESSAGE}],"stop_reason":"end_turn","stop_sequence":null,
                    "usage":{"input_tokens":0,"output_tokens":0}})
            };
            mark(&mut answer, requested, id);
            json_response(http::StatusCode::OK, &answer)
        }
        Operation::InvokeStream => {
            let c = eventstream::chunk;
            let metrics =
                json!({"inputTokenCount":0,"outputTokenCount":0,"invocationLatency":45,"firstByteLatency":45});
            let frames = if titan {
                let mut last = json!({"outputText":BLOCKED_MESSAGE,"index":0,"totalOutputTextTokenCount":0,
                    "completionReason":"CONTENT_FILTERED","inputTextTokenCount":0,
                    "amazon-bedrock-invocationMetrics":metrics});
                mark(&mut last, requested, id);
                vec![c(&last)]
            } else {
                let mut stop = json!({"type":"message_stop","amazon-bedrock-invocationMetrics":metrics});
                mark(&mut stop, requested, id);
                vec![
                    c(&json!({"type":"message_start","message":{"id":ids.claude_message(),"type":"message",
                        "role":"assistant","model":model_id,"content":[],"stop_reason":null,"stop_sequence":null,
                        "usage":{"input_tokens":0,"output_tokens":0}}})),
                    c(&json!({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})),
                    c(&json!({"type":"content_block_delta","index":0,
                        "delta":{"type":"text_delta","text":BLOCKED_MESSAGE}})),
                    c(&json!({"type":"content_block_stop","index":0})),
                    c(&json!({"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},
                        "usage":{"output_tokens":0}})),
                    c(&stop),
                ]
            };
            event_stream(frames)
        }
    }
}

/// InvokeModel's guardrail keys on an answer or chunk.
fn mark(answer: &mut Value, requested: &Requested, id: &str) {
    answer["amazon-bedrock-guardrailAction"] = json!("INTERVENED");
    if requested.trace {
        answer["amazon-bedrock-trace"] = json!({ "guardrail": invoke_trace(id) });
    }
}

fn event_stream(frames: Vec<bytes::Bytes>) -> Response<Body> {
    let mut body = Vec::new();
    for frame in frames {
        body.extend_from_slice(&frame);
    }
    let mut response = Response::new(crate::http::full(body));
    response
        .headers_mut()
        .insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/vnd.amazon.eventstream"));
    response
}
