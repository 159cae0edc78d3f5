//! The whole ingress step: raw body bytes → (detected format, validated internal request), with the error order of
//! docs/reference/errors.md §2 (JSON → object → format → validation).

use obs_models::error::ErrorCode;
use obs_models::openai::ChatCompletionRequest;
use serde_json::Value;

use crate::Error;
use crate::detect::{IngressFormat, detect};

/// Parses and validates a chat-completions body in any ingress format.
///
/// ```
/// use obs_convert::detect::IngressFormat;
/// use obs_convert::ingress::parse_chat_request;
///
/// let body = br#"{"anthropic_version":"bedrock-2023-05-31","model":"anthropic.claude-3-haiku-20240307-v1:0",
///                "max_tokens":100,"system":"Be brief.","messages":[{"role":"user","content":"Hi"}]}"#;
/// let (format, request) = parse_chat_request(body).unwrap();
/// assert_eq!(format, IngressFormat::BedrockClaude);
/// assert_eq!(request.messages.len(), 2); // the system prompt became a leading system message
///
/// let err = parse_chat_request(br#"{"model":"gpt-4o","messages":[]}"#).unwrap_err();
/// assert_eq!(err.code.as_str(), "empty_messages");
/// ```
pub fn parse_chat_request(body: &[u8]) -> Result<(IngressFormat, ChatCompletionRequest), Error> {
    let value = parse_json(body)?;
    if !value.is_object() {
        return Err(Error::new(ErrorCode::InvalidBody, "The request body must be a JSON object."));
    }
    let Some(format) = detect(&value) else {
        return Err(Error::new(
            ErrorCode::UnsupportedFormat,
            "Unsupported request format: expected an OpenAI body (`messages`), a Bedrock Claude body \
             (`anthropic_version`) or a Bedrock Titan body (a string `inputText`).",
        ));
    };
    let mut request = match format {
        IngressFormat::OpenAi => crate::validate::openai_request(value)?,
        IngressFormat::BedrockClaude => crate::claude_in::to_internal(value)?,
        IngressFormat::BedrockTitan => crate::titan_in::to_internal(value)?,
    };
    // obs's own field, never forwarded to an OpenAI-compatible upstream.
    crate::guardrail::take_from_body(&mut request)?;
    Ok((format, request))
}

/// The body as JSON (`invalid_json` with serde_json's account, or a clearer one, when it is not).
pub(crate) fn parse_json(body: &[u8]) -> Result<Value, Error> {
    // UTF-8 checked once for the whole body: parsing from `&str` skips serde_json's check of every string.
    let body = std::str::from_utf8(body).map_err(|e| {
        let at = e.valid_up_to();
        Error::new(ErrorCode::InvalidJson, format!("The request body is not valid JSON: not UTF-8 at byte {at}."))
    })?;
    serde_json::from_str(body).map_err(|e| json_error(&e))
}

/// serde_json's own words, except where they mislead: a lone UTF-16 surrogate (`"\ud800"`, which JSON allows but
/// a Unicode string cannot hold) reads "unexpected end of hex escape" or "lone leading surrogate".
fn json_error(error: &serde_json::Error) -> Error {
    let text = error.to_string();
    let message = if text.contains("hex escape") && text.contains("surrogate")
        || text.starts_with("unexpected end of hex escape")
    {
        format!(
            "The request body is not valid JSON: a \\u escape at line {} column {} is a lone UTF-16 surrogate \
             (\\ud800 to \\udfff must come in pairs).",
            error.line(),
            error.column()
        )
    } else {
        format!("The request body is not valid JSON: {text}.")
    };
    Error::new(ErrorCode::InvalidJson, message)
}
