//! Reading a Messages request: JSON, the fields obs routes by (`model`, `stream`), the checks Anthropic's API
//! makes before it runs a model (so a bad request is a clear 400 wherever it is routed), and the conversion to the
//! internal request for targets that do not take the body natively.

use obs_models::JsonObject;
use obs_models::anthropic::MessagesRequest;
use obs_models::claude::{BEDROCK_ANTHROPIC_VERSION, ClaudeRequest};
use obs_models::error::ErrorCode;
use obs_models::openai::ChatCompletionRequest;
use serde_json::Value;

use crate::Error;
use crate::claude_in;

/// Every content-block type Anthropic's API takes in `messages`. Claude on Bedrock gets them as they are; the
/// conversion for other targets takes the first six ([`CONVERTIBLE_BLOCKS`]).
pub(crate) const MESSAGE_BLOCKS: [&str; 18] = [
    "text",
    "image",
    "tool_use",
    "tool_result",
    "thinking",
    "redacted_thinking",
    "document",
    "search_result",
    "server_tool_use",
    "web_search_tool_result",
    "web_fetch_tool_result",
    "code_execution_tool_result",
    "bash_code_execution_tool_result",
    "text_editor_code_execution_tool_result",
    "tool_search_tool_result",
    "mcp_tool_use",
    "mcp_tool_result",
    "container_upload",
];

/// The blocks a non-Claude target can be given (through the internal request).
const CONVERTIBLE_BLOCKS: [&str; 6] = ["text", "image", "tool_use", "tool_result", "thinking", "redacted_thinking"];

/// Reads and checks a `POST /v1/messages` body: a JSON object with a `model`, `max_tokens` ≥ 1, at least one
/// message, roles `user`/`assistant`, content a string or blocks of Anthropic's types, and Claude's parameter
/// ranges. `betas` is the `anthropic-beta` header's list.
///
/// ```
/// use obs_convert::anthropic::parse_messages_request;
///
/// let request = parse_messages_request(
///     br#"{"model":"claude-sonnet-4-5","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hi"}]}"#,
///     Vec::new(),
/// )
/// .unwrap();
/// assert_eq!((request.model.as_str(), request.stream), ("claude-sonnet-4-5", true));
/// assert!(!request.body.contains_key("model"));
///
/// let error = parse_messages_request(br#"{"model":"m","messages":[{"role":"user","content":"hi"}]}"#, Vec::new());
/// assert_eq!(error.unwrap_err().param.as_deref(), Some("max_tokens"));
/// ```
pub fn parse_messages_request(body: &[u8], betas: Vec<String>) -> Result<MessagesRequest, Error> {
    let request = parse(body, betas)?;
    claude_in::check_claude_body(&request.body, &MESSAGE_BLOCKS)?;
    Ok(request)
}

/// Reads and checks a `POST /v1/messages/count_tokens` body: as [`parse_messages_request`], but without
/// `max_tokens` (the count does not generate) and without `stream`.
pub fn parse_count_tokens_request(body: &[u8], betas: Vec<String>) -> Result<MessagesRequest, Error> {
    let mut request = parse(body, betas)?;
    request.stream = false;
    // The checks want a `max_tokens`; the count has none, and Bedrock's counter is given one of its own.
    let had_max_tokens = request.body.contains_key("max_tokens");
    if !had_max_tokens {
        request.body.insert("max_tokens".to_owned(), Value::from(1));
    }
    let checked = claude_in::check_claude_body(&request.body, &MESSAGE_BLOCKS);
    if !had_max_tokens {
        request.body.shift_remove("max_tokens");
    }
    checked.map(|()| request)
}

fn parse(body: &[u8], betas: Vec<String>) -> Result<MessagesRequest, Error> {
    let value: Value = crate::ingress::parse_json(body)?;
    let Value::Object(mut body) = value else {
        return Err(Error::new(ErrorCode::InvalidBody, "The request body must be a JSON object."));
    };
    // shift_remove: the rest keeps the client's order (remove would swap the last field into the gap).
    let model = match body.shift_remove("model") {
        Some(Value::String(model)) if !model.trim().is_empty() => model,
        None | Some(Value::Null) | Some(Value::String(_)) => return Err(crate::validate::missing_model()),
        Some(_) => return Err(Error::invalid("model", "`model` must be a string.")),
    };
    let stream = match body.shift_remove("stream") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(stream)) => stream,
        Some(_) => return Err(Error::invalid("stream", "`stream` must be a boolean.")),
    };
    Ok(MessagesRequest { model, stream, betas, body })
}

/// The internal (OpenAI-shaped) request for a target that does not take the Messages body natively: OpenAI-kind
/// providers and Bedrock Converse. Blocks only Claude on Bedrock understands (documents, server tools, …) are
/// `unsupported_parameter` — a model group then tries its next target.
pub fn to_internal(request: &MessagesRequest) -> Result<ChatCompletionRequest, Error> {
    check_convertible(&request.body)?;
    let mut claude: ClaudeRequest = crate::validate::typed(Value::Object(request.body.clone()))?;
    if claude.anthropic_version.is_empty() {
        BEDROCK_ANTHROPIC_VERSION.clone_into(&mut claude.anthropic_version);
    }
    let stream = request.stream.then_some(true);
    Ok(claude_in::convert(request.model.clone(), stream, claude))
}

fn check_convertible(body: &JsonObject) -> Result<(), Error> {
    let messages = body.get("messages").and_then(Value::as_array).into_iter().flatten();
    for (i, message) in messages.enumerate() {
        let blocks = message.get("content").and_then(Value::as_array).into_iter().flatten();
        for (j, block) in blocks.enumerate() {
            let kind = block.get("type").and_then(Value::as_str).unwrap_or("");
            if !CONVERTIBLE_BLOCKS.contains(&kind) {
                return Err(Error::unsupported(
                    format!("messages.{i}.content.{j}.type"),
                    format!(
                        "Content blocks of type '{kind}' can be sent to Claude on Bedrock only, not to this model."
                    ),
                ));
            }
        }
    }
    Ok(())
}
