//! Bedrock Guardrails at the edges (docs/reference/formats.md §7.12): the request's own guardrail — a `guardrail`
//! object in an OpenAI body, or Bedrock's `X-Amzn-Bedrock-Guardrail*` headers — and the outcome reported on answers
//! (`guardrail: {"action", "trace"}`), written back as Bedrock's own `amazon-bedrock-guardrailAction` /
//! `amazon-bedrock-trace` keys on the Claude and Titan target formats.

use obs_models::guardrail::{
    ANSWER_FIELD, Guardrail, GuardrailTrace, INTERVENED, INVOKE_ACTION_KEY, INVOKE_TRACE_KEY, StreamProcessingMode,
};
use obs_models::openai::ChatCompletionRequest;
use obs_models::{JsonObject, openai::ChatCompletionResponse};
use serde_json::Value;

use crate::Error;

/// Bedrock's header naming the guardrail (InvokeModel's own; obs also reads it on chat completions).
pub const IDENTIFIER_HEADER: &str = "x-amzn-bedrock-guardrailidentifier";
/// Bedrock's header naming the guardrail's version.
pub const VERSION_HEADER: &str = "x-amzn-bedrock-guardrailversion";
/// Bedrock's header asking for the assessment (`ENABLED`, `DISABLED`, `ENABLED_FULL`).
pub const TRACE_HEADER: &str = "x-amzn-bedrock-trace";

/// Moves an OpenAI body's `guardrail` object out of the fields forwarded to OpenAI-compatible upstreams into
/// `request.guardrail`; 400 `invalid_value` naming the field when it is malformed.
pub fn take_from_body(request: &mut ChatCompletionRequest) -> Result<(), Error> {
    match request.extra.shift_remove(ANSWER_FIELD) {
        None | Some(Value::Null) => Ok(()),
        Some(value) => {
            request.guardrail = Some(from_object(&value)?);
            Ok(())
        }
    }
}

/// Reads `{"id","version","trace"?,"stream_processing_mode"?}` or Bedrock's `guardrailConfig` names
/// (`guardrailIdentifier`, `guardrailVersion`, `trace`, `streamProcessingMode`).
pub fn from_object(value: &Value) -> Result<Guardrail, Error> {
    let Value::Object(object) = value else {
        return Err(Error::invalid(ANSWER_FIELD, "`guardrail` must be an object with `id` and `version`."));
    };
    let mut id = None;
    let mut version = None;
    let mut trace = None;
    let mut mode = None;
    for (key, value) in object {
        let param = format!("{ANSWER_FIELD}.{key}");
        match key.as_str() {
            "id" | "guardrailIdentifier" => id = Some(identifier(value, &param)?),
            "version" | "guardrailVersion" => version = Some(version_of(value, &param)?),
            "trace" => trace = trace_of(value, &param)?,
            "stream_processing_mode" | "streamProcessingMode" => {
                mode = match value {
                    Value::Null => None,
                    Value::String(text) => Some(
                        StreamProcessingMode::parse(text)
                            .ok_or_else(|| Error::invalid(&param, format!("`{param}` must be 'sync' or 'async'.")))?,
                    ),
                    _ => return Err(Error::invalid(&param, format!("`{param}` must be 'sync' or 'async'."))),
                }
            }
            _ => {
                return Err(Error::invalid(
                    &param,
                    format!(
                        "Unknown key '{key}' in `guardrail`: it takes `id`, `version`, `trace` and \
                         `stream_processing_mode` (or Bedrock's guardrailIdentifier, guardrailVersion, trace, \
                         streamProcessingMode)."
                    ),
                ));
            }
        }
    }
    let id = id.ok_or_else(|| Error::invalid(format!("{ANSWER_FIELD}.id"), "`guardrail.id` is required."))?;
    let version = version.ok_or_else(|| {
        Error::invalid(format!("{ANSWER_FIELD}.version"), "`guardrail.version` is required (a number or 'DRAFT').")
    })?;
    Ok(Guardrail { id, version, trace, stream_processing_mode: mode })
}

/// The guardrail named by Bedrock's headers, when `X-Amzn-Bedrock-GuardrailIdentifier` is present; 400
/// `invalid_value` naming the header when one is malformed or the version is missing.
pub fn from_headers<'a>(header: impl Fn(&str) -> Option<&'a str>) -> Result<Option<Guardrail>, Error> {
    let Some(id) = header(IDENTIFIER_HEADER) else { return Ok(None) };
    let id = identifier(&Value::String(id.trim().to_owned()), IDENTIFIER_HEADER)?;
    let version = header(VERSION_HEADER).ok_or_else(|| {
        Error::invalid(VERSION_HEADER, format!("`{VERSION_HEADER}` is required with `{IDENTIFIER_HEADER}`."))
    })?;
    let version = version_of(&Value::String(version.trim().to_owned()), VERSION_HEADER)?;
    let trace = match header(TRACE_HEADER) {
        None => None,
        Some(text) => trace_of(&Value::String(text.trim().to_owned()), TRACE_HEADER)?,
    };
    Ok(Some(Guardrail { id, version, trace, stream_processing_mode: None }))
}

fn identifier(value: &Value, param: &str) -> Result<String, Error> {
    match value {
        Value::String(id) if !id.is_empty() && id.len() <= 2048 => Ok(id.clone()),
        _ => Err(Error::invalid(param, format!("`{param}` must be a guardrail id or ARN (a non-empty string)."))),
    }
}

/// Bedrock's version pattern: `DRAFT` or 1 to 99999999.
fn version_of(value: &Value, param: &str) -> Result<String, Error> {
    let text = match value {
        Value::String(text) => text.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    };
    let numbered =
        !text.is_empty() && text.len() <= 8 && text.bytes().all(|b| b.is_ascii_digit()) && !text.starts_with('0');
    if text == "DRAFT" || numbered {
        Ok(text)
    } else {
        Err(Error::invalid(param, format!("`{param}` must be a version number (1, 2, …) or 'DRAFT'.")))
    }
}

fn trace_of(value: &Value, param: &str) -> Result<Option<GuardrailTrace>, Error> {
    match value {
        Value::Null => Ok(None),
        Value::Bool(true) => Ok(Some(GuardrailTrace::Enabled)),
        Value::Bool(false) => Ok(Some(GuardrailTrace::Disabled)),
        Value::String(text) => GuardrailTrace::parse(text).map(Some).ok_or_else(|| trace_error(param)),
        _ => Err(trace_error(param)),
    }
}

fn trace_error(param: &str) -> Error {
    Error::invalid(param, format!("`{param}` must be 'enabled', 'disabled' or 'enabled_full'."))
}

/// The obs field reporting a guardrail's outcome: `{"action": "INTERVENED" | "NONE", "trace"?: <Bedrock's
/// assessment, in the shape of the API that served>}`.
pub fn outcome(intervened: bool, trace: Option<Value>) -> Value {
    let mut field = JsonObject::new();
    field.insert("action".to_owned(), Value::String(if intervened { INTERVENED } else { "NONE" }.to_owned()));
    if let Some(trace) = trace {
        field.insert("trace".to_owned(), trace);
    }
    Value::Object(field)
}

/// Whether an answer's (or chunk's) top-level fields report an intervention.
pub fn intervened(extra: &JsonObject) -> bool {
    extra.get(ANSWER_FIELD).and_then(|g| g.get("action")).and_then(Value::as_str) == Some(INTERVENED)
}

/// Bedrock's own keys for the Claude and Titan target formats, from the obs field: `amazon-bedrock-guardrailAction`
/// and, with an assessment, `amazon-bedrock-trace: {"guardrail": …}` — as InvokeModel answers.
pub fn bedrock_keys(extra: &JsonObject) -> Vec<(&'static str, Value)> {
    let Some(field) = extra.get(ANSWER_FIELD) else { return Vec::new() };
    let mut keys = Vec::with_capacity(2);
    if let Some(action) = field.get("action") {
        keys.push((INVOKE_ACTION_KEY, action.clone()));
    }
    if let Some(trace) = field.get("trace") {
        keys.push((INVOKE_TRACE_KEY, serde_json::json!({ "guardrail": trace })));
    }
    keys
}

/// The Claude target format of an answer, as Bedrock's InvokeModel writes a guarded one: its guardrail keys, and
/// `stop_reason: "end_turn"` when the guardrail intervened (Bedrock answers with the guardrail's message as an
/// ordinary turn and marks it only with `amazon-bedrock-guardrailAction`).
pub fn claude_answer(response: &ChatCompletionResponse) -> Result<Value, Error> {
    let mut message = crate::claude_out::from_internal(response)?;
    if intervened(&response.extra) {
        message.stop_reason = Some("end_turn".to_owned());
    }
    with_bedrock_keys(&message, response)
}

/// A target-format answer with Bedrock's guardrail keys added at its top level (nothing when there is no outcome).
pub fn with_bedrock_keys<T: serde::Serialize>(answer: &T, response: &ChatCompletionResponse) -> Result<Value, Error> {
    let mut value = serde_json::to_value(answer).map_err(|e| Error::upstream(format!("Could not encode: {e}.")))?;
    if let Value::Object(object) = &mut value {
        for (key, field) in bedrock_keys(&response.extra) {
            object.insert(key.to_owned(), field);
        }
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn both_spellings_and_the_headers_read_the_same() {
        let expected = Guardrail {
            id: "gr1".into(),
            version: "2".into(),
            trace: Some(GuardrailTrace::Enabled),
            stream_processing_mode: None,
        };
        assert_eq!(from_object(&json!({"id":"gr1","version":"2","trace":"enabled"})).unwrap(), expected);
        assert_eq!(
            from_object(&json!({"guardrailIdentifier":"gr1","guardrailVersion":2,"trace":true})).unwrap(),
            expected
        );
        let headers = |name: &str| match name {
            IDENTIFIER_HEADER => Some("gr1"),
            VERSION_HEADER => Some("2"),
            TRACE_HEADER => Some("ENABLED"),
            _ => None,
        };
        assert_eq!(from_headers(headers).unwrap(), Some(expected));
        assert_eq!(from_headers(|_| None).unwrap(), None);
    }

    #[test]
    fn malformed_guardrails_name_the_field() {
        let param = |value: Value| from_object(&value).unwrap_err().param.unwrap();
        assert_eq!(param(json!("gr1")), "guardrail");
        assert_eq!(param(json!({"version":"1"})), "guardrail.id");
        assert_eq!(param(json!({"id":"gr1"})), "guardrail.version");
        assert_eq!(param(json!({"id":"gr1","version":"v1"})), "guardrail.version");
        assert_eq!(param(json!({"id":"gr1","version":"1","trace":"loud"})), "guardrail.trace");
        assert_eq!(param(json!({"id":"gr1","version":"1","mode":"x"})), "guardrail.mode");
        let no_version = |name: &str| (name == IDENTIFIER_HEADER).then_some("gr1");
        assert_eq!(from_headers(no_version).unwrap_err().param.unwrap(), VERSION_HEADER);
    }
}
