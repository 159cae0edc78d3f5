//! Bedrock runtime emulation: `POST /model/{id}/{invoke,invoke-with-response-stream,converse,converse-stream}`.
//!
//! Requires a SigV4 `Authorization` header; errors are an HTTP status, `x-amzn-errortype` and `{"message"}`;
//! streams are `application/vnd.amazon.eventstream` frames, exceptions mid-stream as exception frames.

mod claude;
mod converse;
mod errors;
mod eventstream;
mod titan;

use bytes::Bytes;
use http::Response;
use serde_json::Value;

pub(crate) use errors::{BedrockError, error_response, for_scenario};

use crate::config::{MockConfig, REJECTED_ACCESS_KEY_ID};
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

/// Checks that the request is SigV4-signed (the mock does not verify the signature) with an accepted key; the
/// rejection when it is not.
pub(crate) fn rejects(authorization: Option<&str>) -> Option<Response<Body>> {
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
            converse::converse(&request, operation.streams(), scenario, config, recorder, seq)
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
