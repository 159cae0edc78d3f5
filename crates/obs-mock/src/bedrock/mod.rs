//! Bedrock runtime emulation: `POST /model/{id}/{invoke,invoke-with-response-stream,converse,converse-stream}`.
//!
//! Requires a SigV4 `Authorization` header; errors are an HTTP status, `x-amzn-errortype` and `{"message"}`;
//! streams are `application/vnd.amazon.eventstream` frames, exceptions mid-stream as exception frames.

mod cache;
mod claude;
mod claude_structured;
mod converse;
mod converse_thinking;
mod count_tokens;
mod errors;
mod eventstream;
mod guardrail;
mod thinking;
mod titan;

use bytes::Bytes;
use http::Response;
use serde_json::Value;

pub(crate) use count_tokens::count_tokens;
pub(crate) use errors::{BedrockError, error_response, for_scenario};
pub(crate) use guardrail::apply as apply_guardrail;

use crate::config::{MockConfig, REJECTED_ACCESS_KEY_ID, REJECTED_BEDROCK_API_KEY};
use crate::http::Body;
use crate::recorder::Recorder;
use crate::scenario::Scenario;

/// The four runtime operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    Invoke,
    InvokeStream,
    Converse,
    ConverseStream,
}

impl Operation {
    pub(crate) fn from_path_suffix(suffix: &str) -> Option<Operation> {
        Some(match suffix {
            "invoke" => Operation::Invoke,
            "invoke-with-response-stream" => Operation::InvokeStream,
            "converse" => Operation::Converse,
            "converse-stream" => Operation::ConverseStream,
            _ => return None,
        })
    }

    pub(crate) fn streams(self) -> bool {
        matches!(self, Operation::InvokeStream | Operation::ConverseStream)
    }
}

/// Checks that the request is SigV4-signed (the mock does not verify the signature) with an accepted key, or carries
/// a Bedrock API key (`Authorization: Bearer …`, as the SDKs send `AWS_BEARER_TOKEN_BEDROCK`); the rejection when
/// it is neither.
pub(crate) fn rejects(authorization: Option<&str>) -> Option<Response<Body>> {
    if let Some(token) = authorization.and_then(|h| h.strip_prefix("Bearer ")) {
        let refused = token.trim().is_empty() || token == REJECTED_BEDROCK_API_KEY;
        return refused.then(|| {
            error_response(&BedrockError::new(403, "AccessDeniedException", "Authentication failed: invalid API key."))
        });
    }
    let Some(credential) = authorization.and_then(|h| h.strip_prefix("AWS4-HMAC-SHA256 Credential=")) else {
        return Some(error_response(&BedrockError::new(
            403,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        )));
    };
    credential.starts_with(REJECTED_ACCESS_KEY_ID).then(|| {
        error_response(&BedrockError::new(
            403,
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        ))
    })
}

/// The answer, and how long to wait before sending it (non-stream answers wait as a whole).
pub(crate) fn runtime(
    model_id: &str,
    operation: Operation,
    headers: &http::HeaderMap,
    body: &Bytes,
    config: &MockConfig,
    recorder: &Recorder,
    seq: u64,
) -> (Response<Body>, std::time::Duration) {
    let now = |response| (response, std::time::Duration::ZERO);
    let scenario = Scenario::from_model(model_id);
    if let Some(error) = errors::for_scenario(scenario, operation.streams()) {
        return now(error_response(&error));
    }
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return now(error_response(&BedrockError::validation(
            "Malformed input request, please reformat your input and try again.",
        )));
    };
    match guardrail::requested(operation, headers, &request) {
        Err(error) => return now(error_response(&error)),
        Ok(Some(requested)) if guardrail::intervenes(model_id, &requested) => {
            let ids = crate::ids::RequestIds::new(config.id_seed.unwrap_or_default(), seq);
            return now(guardrail::intervention(model_id, operation, &requested, ids));
        }
        _ => {}
    }
    let family = model_id.to_ascii_lowercase();
    let result = match operation {
        Operation::Invoke | Operation::InvokeStream if family.contains("anthropic") || family.contains("claude") => {
            claude::invoke(model_id, &request, operation.streams(), scenario, config, recorder, seq)
        }
        Operation::Invoke | Operation::InvokeStream if family.contains("titan") => {
            titan::invoke(&request, operation.streams(), scenario, config, recorder, seq)
        }
        Operation::Invoke | Operation::InvokeStream => Err(BedrockError::validation(
            "The mock serves InvokeModel for Anthropic Claude and Amazon Titan models only; use Converse.",
        )),
        Operation::Converse | Operation::ConverseStream => {
            converse::converse(model_id, &request, operation.streams(), scenario, config, recorder, seq)
        }
    };
    result.unwrap_or_else(|error| now(error_response(&error)))
}

/// An event-stream answer; an empty frame marks where the `disconnect` scenario cuts the connection.
fn event_stream(frames: Vec<Bytes>, plan: &crate::plan::Plan, recorder: &Recorder, seq: u64) -> Reply {
    let steps = frames
        .into_iter()
        .map(|frame| if frame.is_empty() { crate::http::Step::Cut } else { crate::http::Step::Data(frame) })
        .collect();
    (
        crate::http::streamed("application/vnd.amazon.eventstream", steps, plan, recorder.clone(), seq),
        std::time::Duration::ZERO,
    )
}

/// The `disconnect` scenario of a JSON answer (see [`crate::http::cut_json`]), sent at once.
fn cut_json(prefix: &'static [u8], plan: &crate::plan::Plan, recorder: &Recorder, seq: u64) -> Reply {
    (crate::http::cut_json(prefix, plan, recorder, seq), std::time::Duration::ZERO)
}

/// InvokeModel's answer headers, as Bedrock sets them beside the model's body: the token counts and the invocation
/// latency in milliseconds (here the emulated wait before the answer).
fn invocation_headers(
    mut response: Response<Body>,
    input: u64,
    output: u64,
    plan: &crate::plan::Plan,
) -> Response<Body> {
    let latency = u64::try_from(plan.first_byte_delay.as_millis()).unwrap_or(u64::MAX);
    let headers = response.headers_mut();
    for (name, value) in [
        ("x-amzn-bedrock-input-token-count", input),
        ("x-amzn-bedrock-output-token-count", output),
        ("x-amzn-bedrock-invocation-latency", latency),
    ] {
        headers.insert(name, http::HeaderValue::from(value));
    }
    response
}

/// An answer and how long to wait before sending it.
type Reply = (Response<Body>, std::time::Duration);

/// Ends a stream early for the failing scenarios — an exception frame, or (an empty frame, turned into a cut by
/// [`event_stream`]) a dropped connection; true when it did.
fn interrupts(scenario: Scenario, frames: &mut Vec<Bytes>) -> bool {
    match scenario {
        Scenario::MidstreamError => {
            frames
                .push(eventstream::exception("modelStreamErrorException", "The model stream failed (mock scenario)."));
            true
        }
        Scenario::Disconnect => {
            frames.push(Bytes::new());
            true
        }
        _ => false,
    }
}
