//! Validation of an OpenAI-format body (docs/reference/formats.md §3) on the raw JSON, so every failure names its field
//! as a dotted path (`messages.2.role`, `temperature`). Typed parsing follows and cannot then fail on anything but
//! exotic input, which still becomes `invalid_value` with serde's path.

use obs_models::error::ErrorCode;
use obs_models::openai::ChatCompletionRequest;
use serde_json::{Map, Value};

use crate::Error;

/// Validates an OpenAI body and parses it into the internal request.
pub fn openai_request(body: Value) -> Result<ChatCompletionRequest, Error> {
    let object = body
        .as_object()
        .ok_or_else(|| Error::new(ErrorCode::InvalidBody, "The request body must be a JSON object."))?;
    check_model(object.get("model"))?;
    check_messages(object.get("messages"))?;
    check_parameters(object)?;
    typed(body)
}

/// Parses a validated body, turning the rare remaining serde failure into `invalid_value` at serde's path.
pub(crate) fn typed<T: serde::de::DeserializeOwned>(body: Value) -> Result<T, Error> {
    serde_path_to_error::deserialize(body).map_err(|e| {
        let path = e.path().to_string();
        let param = if path == "." { None } else { Some(path) };
        Error { param, ..Error::new(ErrorCode::InvalidValue, format!("Invalid request: {}.", e.inner())) }
    })
}

/// `model`: a non-empty string.
pub(crate) fn check_model(model: Option<&Value>) -> Result<(), Error> {
    match model {
        None | Some(Value::Null) => Err(missing_model()),
        Some(Value::String(s)) if s.trim().is_empty() => Err(missing_model()),
        Some(Value::String(_)) => Ok(()),
        Some(_) => Err(Error::invalid("model", "`model` must be a string.")),
    }
}

pub(crate) fn missing_model() -> Error {
    Error::new(ErrorCode::MissingModel, "The request has no model: set `model` to the id of the model to use.")
        .with_param("model".to_owned())
}

fn check_messages(messages: Option<&Value>) -> Result<(), Error> {
    let messages = match messages {
        Some(Value::Array(m)) => m,
        None => return Err(Error::invalid("messages", "`messages` is required.")),
        Some(_) => return Err(Error::invalid("messages", "`messages` must be an array.")),
    };
    if messages.is_empty() {
        return Err(Error::new(ErrorCode::EmptyMessages, "`messages` must contain at least one message.")
            .with_param("messages".to_owned()));
    }
    for (i, message) in messages.iter().enumerate() {
        check_message(i, message)?;
    }
    Ok(())
}

fn check_message(i: usize, message: &Value) -> Result<(), Error> {
    let at = format!("messages.{i}");
    let message = message.as_object().ok_or_else(|| Error::invalid(&at, "Each message must be an object."))?;
    let role = match message.get("role") {
        Some(Value::String(role)) => role.as_str(),
        _ => return Err(Error::invalid(format!("{at}.role"), format!("Message {i} needs a string `role`."))),
    };
    let content = message.get("content");
    match role {
        "system" | "developer" | "user" => check_content(&at, content, false, role == "user"),
        "assistant" => {
            check_content(&at, content, true, false)?;
            check_tool_calls(&at, message.get("tool_calls"))
        }
        "tool" => {
            match message.get("tool_call_id") {
                Some(Value::String(id)) if !id.is_empty() => {}
                _ => {
                    return Err(Error::invalid(
                        format!("{at}.tool_call_id"),
                        format!("Tool message {i} needs a `tool_call_id`."),
                    ));
                }
            }
            check_content(&at, content, false, false)
        }
        other => Err(Error::invalid(
            format!("{at}.role"),
            format!(
                "Invalid role '{other}' in message {i}: expected 'system', 'developer', 'user', 'assistant' or 'tool'."
            ),
        )),
    }
}

fn check_content(at: &str, content: Option<&Value>, nullable: bool, any_part: bool) -> Result<(), Error> {
    let param = format!("{at}.content");
    match content {
        None | Some(Value::Null) if nullable => Ok(()),
        None | Some(Value::Null) => Err(Error::invalid(param, "Message content must not be null.")),
        Some(Value::String(_)) => Ok(()),
        Some(Value::Array(parts)) => {
            for (j, part) in parts.iter().enumerate() {
                check_part(&format!("{param}.{j}"), part, any_part)?;
            }
            Ok(())
        }
        Some(_) => Err(Error::invalid(param, "Message content must be a string, an array of parts or null.")),
    }
}

fn check_part(at: &str, part: &Value, any_part: bool) -> Result<(), Error> {
    let part = part.as_object().ok_or_else(|| Error::invalid(at, "Each content part must be an object."))?;
    match part.get("type").and_then(Value::as_str) {
        Some("text") => match part.get("text") {
            Some(Value::String(_)) => Ok(()),
            _ => Err(Error::invalid(format!("{at}.text"), "A text part needs a string `text`.")),
        },
        Some("image_url") if any_part => match part.get("image_url").and_then(|i| i.get("url")) {
            Some(Value::String(_)) => Ok(()),
            _ => Err(Error::invalid(format!("{at}.image_url.url"), "An image part needs `image_url.url`.")),
        },
        Some(_) if any_part => Ok(()),
        Some(other) => Err(Error::invalid(
            format!("{at}.type"),
            format!("Content parts of this role must be text, not '{other}'."),
        )),
        None => Err(Error::invalid(format!("{at}.type"), "Each content part needs a string `type`.")),
    }
}

fn check_tool_calls(at: &str, tool_calls: Option<&Value>) -> Result<(), Error> {
    let calls = match tool_calls {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Array(calls)) => calls,
        Some(_) => return Err(Error::invalid(format!("{at}.tool_calls"), "`tool_calls` must be an array.")),
    };
    for (k, call) in calls.iter().enumerate() {
        let here = format!("{at}.tool_calls.{k}");
        let call = call.as_object().ok_or_else(|| Error::invalid(&here, "Each tool call must be an object."))?;
        require_string(call, "id", &here)?;
        let function = call
            .get("function")
            .and_then(Value::as_object)
            .ok_or_else(|| Error::invalid(format!("{here}.function"), "A tool call needs a `function` object."))?;
        require_string(function, "name", &format!("{here}.function"))?;
        require_string(function, "arguments", &format!("{here}.function"))?;
    }
    Ok(())
}

fn require_string(object: &Map<String, Value>, key: &str, at: &str) -> Result<(), Error> {
    match object.get(key) {
        Some(Value::String(_)) => Ok(()),
        _ => Err(Error::invalid(format!("{at}.{key}"), format!("`{key}` must be a string."))),
    }
}

fn check_parameters(object: &Map<String, Value>) -> Result<(), Error> {
    for key in ["max_tokens", "max_completion_tokens", "n"] {
        if let Some(v) = present(object, key)
            && !v.as_u64().is_some_and(|n| n >= 1 && n <= u64::from(u32::MAX))
        {
            return Err(Error::invalid(key, format!("`{key}` must be an integer of at least 1.")));
        }
    }
    check_range(object, "temperature", 0.0, 2.0)?;
    check_range(object, "top_p", 0.0, 1.0)?;
    if let Some(stop) = present(object, "stop") {
        let ok = match stop {
            Value::String(_) => true,
            Value::Array(items) => items.len() <= 4 && items.iter().all(Value::is_string),
            _ => false,
        };
        if !ok {
            return Err(Error::invalid("stop", "`stop` must be a string or an array of at most 4 strings."));
        }
    }
    for key in ["stream", "parallel_tool_calls"] {
        if present(object, key).is_some_and(|v| !v.is_boolean()) {
            return Err(Error::invalid(key, format!("`{key}` must be a boolean.")));
        }
    }
    if let Some(options) = present(object, "stream_options") {
        let options = options
            .as_object()
            .ok_or_else(|| Error::invalid("stream_options", "`stream_options` must be an object."))?;
        if present(options, "include_usage").is_some_and(|v| !v.is_boolean()) {
            return Err(Error::invalid("stream_options.include_usage", "`include_usage` must be a boolean."));
        }
    }
    check_tools(present(object, "tools"))?;
    check_tool_choice(present(object, "tool_choice"))
}

/// A key that is present and not `null` (OpenAI treats `null` as absent).
fn present<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    object.get(key).filter(|v| !v.is_null())
}

/// `key`, when present and not null, is a number in `min..=max`.
pub(crate) fn check_range(object: &Map<String, Value>, key: &str, min: f64, max: f64) -> Result<(), Error> {
    match present(object, key) {
        None => Ok(()),
        Some(v) if v.as_f64().is_some_and(|x| (min..=max).contains(&x)) => Ok(()),
        Some(_) => Err(Error::invalid(key, format!("`{key}` must be a number between {min} and {max}."))),
    }
}

fn check_tools(tools: Option<&Value>) -> Result<(), Error> {
    let tools = match tools {
        None => return Ok(()),
        Some(Value::Array(tools)) => tools,
        Some(_) => return Err(Error::invalid("tools", "`tools` must be an array.")),
    };
    for (i, tool) in tools.iter().enumerate() {
        let at = format!("tools.{i}");
        let tool = tool.as_object().ok_or_else(|| Error::invalid(&at, "Each tool must be an object."))?;
        if tool.get("type").and_then(Value::as_str) != Some("function") {
            return Err(Error::invalid(format!("{at}.type"), "Only tools of type 'function' are supported."));
        }
        let function = tool
            .get("function")
            .and_then(Value::as_object)
            .ok_or_else(|| Error::invalid(format!("{at}.function"), "A tool needs a `function` object."))?;
        match function.get("name") {
            Some(Value::String(name)) if !name.is_empty() => {}
            _ => {
                return Err(Error::invalid(format!("{at}.function.name"), "A function needs a non-empty `name`."));
            }
        }
        if present(function, "description").is_some_and(|d| !d.is_string()) {
            return Err(Error::invalid(format!("{at}.function.description"), "`description` must be a string."));
        }
        if present(function, "parameters").is_some_and(|p| !p.is_object()) {
            return Err(Error::invalid(format!("{at}.function.parameters"), "`parameters` must be an object."));
        }
    }
    Ok(())
}

fn check_tool_choice(choice: Option<&Value>) -> Result<(), Error> {
    let ok = match choice {
        None => true,
        Some(Value::String(mode)) => matches!(mode.as_str(), "none" | "auto" | "required"),
        Some(Value::Object(named)) => {
            named.get("type").and_then(Value::as_str) == Some("function")
                && named.get("function").and_then(|f| f.get("name")).is_some_and(Value::is_string)
        }
        Some(_) => false,
    };
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "tool_choice",
            "`tool_choice` must be 'none', 'auto', 'required' or {\"type\":\"function\",\"function\":{\"name\":…}}.",
        ))
    }
}
