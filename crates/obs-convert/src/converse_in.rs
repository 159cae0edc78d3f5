//! A Bedrock Converse request (the client's JSON, docs/reference/bedrock-ingress.md §3) → the internal OpenAI request,
//! for a target that does not take Converse: `system` → one system message, each message's blocks → OpenAI content
//! parts (a PDF `document` a `file` part), `toolUse` → `tool_calls`, `toolResult` → `tool` messages,
//! `inferenceConfig` and `toolConfig` → their OpenAI fields, `additionalModelRequestFields` merged into the body as
//! Bedrock merges them into a model's native request. The result goes through the OpenAI body's own checks.

use obs_models::error::ErrorCode;
use obs_models::openai::ChatCompletionRequest;
use serde_json::{Map, Value, json};

use crate::Error;

/// Converts a Converse request for the model `model` (the path's model id); `stream` for ConverseStream.
pub fn to_internal(body: &[u8], model: &str, stream: bool) -> Result<ChatCompletionRequest, Error> {
    let request: Map<String, Value> = serde_json::from_slice(body)
        .map_err(|e| Error::new(ErrorCode::InvalidJson, format!("The request body is not a JSON object: {e}.")))?;
    let mut messages = Vec::new();
    if let Some(system) = request.get("system") {
        let texts = blocks(system, "system")?
            .iter()
            .filter_map(|block| block.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n");
        if !texts.is_empty() {
            messages.push(json!({"role": "system", "content": texts}));
        }
    }
    let turns = request.get("messages").and_then(Value::as_array).ok_or_else(|| {
        Error::invalid("messages", "A conversation must start with a user message. Try again with a conversation that starts with a user message.")
    })?;
    for (i, turn) in turns.iter().enumerate() {
        let content = blocks(turn.get("content").unwrap_or(&Value::Null), &format!("messages.{i}.content"))?;
        match turn.get("role").and_then(Value::as_str) {
            Some("user") => user_turn(content, i, &mut messages)?,
            Some("assistant") => messages.push(assistant_turn(content, i)?),
            _ => return Err(Error::invalid(format!("messages.{i}.role"), "The role must be user or assistant.")),
        }
    }
    let mut openai = Map::new();
    openai.insert("model".to_owned(), Value::String(model.to_owned()));
    openai.insert("messages".to_owned(), Value::Array(messages));
    if stream {
        openai.insert("stream".to_owned(), Value::Bool(true));
        openai.insert("stream_options".to_owned(), json!({"include_usage": true}));
    }
    if let Some(config) = request.get("inferenceConfig").and_then(Value::as_object) {
        for (from, to) in [("maxTokens", "max_tokens"), ("temperature", "temperature"), ("topP", "top_p")] {
            if let Some(value) = config.get(from) {
                openai.insert(to.to_owned(), value.clone());
            }
        }
        if let Some(stop) = config.get("stopSequences").filter(|s| s.as_array().is_some_and(|a| !a.is_empty())) {
            openai.insert("stop".to_owned(), stop.clone());
        }
    }
    if let Some(config) = request.get("toolConfig") {
        tool_config(config, &mut openai)?;
    }
    if let Some(fields) = request.get("additionalModelRequestFields") {
        additional_fields(fields, &mut openai)?;
    }
    crate::validate::openai_request(Value::Object(openai))
}

/// `additionalModelRequestFields`: the model's own parameters beyond Converse's, which Bedrock puts into the
/// model's native body — here the chat completion body (`seed`, `logprobs`, `reasoning_effort`, …; the upstream
/// judges them). A field the Converse request already decides (the model, the messages, streaming, and whatever
/// `inferenceConfig` / `toolConfig` set) is refused rather than silently overriding it.
fn additional_fields(fields: &Value, openai: &mut Map<String, Value>) -> Result<(), Error> {
    const FIELD: &str = "additionalModelRequestFields";
    let fields = fields.as_object().ok_or_else(|| Error::invalid(FIELD, format!("{FIELD} must be a JSON object.")))?;
    for (name, value) in fields {
        if openai.contains_key(name) || matches!(name.as_str(), "stream" | "stream_options") {
            return Err(Error::invalid(
                format!("{FIELD}.{name}"),
                format!("{FIELD}.{name} is set by the Converse request itself; set it there, not here."),
            ));
        }
        openai.insert(name.clone(), value.clone());
    }
    Ok(())
}

/// A `document` block as an OpenAI `file` part (a base64 data URL with its filename), for the one document kind
/// the chat completions API takes: a PDF given by its bytes. Other formats and sources are refused by name.
fn document(document: &Value, field: String) -> Result<Value, Error> {
    let format = document.get("format").and_then(Value::as_str).unwrap_or_default();
    let bytes = document.pointer("/source/bytes").and_then(Value::as_str);
    let (Some(bytes), "pdf") = (bytes, format) else {
        let what = if format.is_empty() { "document".to_owned() } else { format!("'{format}' document") };
        return Err(Error::unsupported(
            field,
            format!(
                "The content block 'document' ({what}) cannot be sent to this model: it takes PDF documents given \
                 as source.bytes only."
            ),
        ));
    };
    // Converse names a document without its extension; OpenAI reads the kind from the filename's.
    let name = document.get("name").and_then(Value::as_str).unwrap_or("document");
    let filename = if name.to_ascii_lowercase().ends_with(".pdf") { name.to_owned() } else { format!("{name}.pdf") };
    Ok(json!({"type": "file", "file": {
        "filename": filename,
        "file_data": format!("data:application/pdf;base64,{bytes}"),
    }}))
}

fn blocks<'a>(value: &'a Value, field: &str) -> Result<&'a Vec<Value>, Error> {
    value.as_array().filter(|blocks| !blocks.is_empty()).ok_or_else(|| {
        Error::invalid(field, format!("The {field} field is empty. Add a ContentBlock object to it and try again."))
    })
}

fn unsupported(block: &Value, field: String) -> Error {
    let kind = block.as_object().and_then(|o| o.keys().next().cloned()).unwrap_or_default();
    Error::unsupported(field, format!("The content block '{kind}' cannot be sent to this model."))
}

/// A user turn: its tool results as `tool` messages first (they answer the assistant turn before), then the rest as
/// one user message.
fn user_turn(content: &[Value], i: usize, messages: &mut Vec<Value>) -> Result<(), Error> {
    let mut parts = Vec::new();
    for (j, block) in content.iter().enumerate() {
        if let Some(text) = block.get("text").and_then(Value::as_str) {
            parts.push(json!({"type": "text", "text": text}));
        } else if let Some(image) = block.get("image") {
            let format = image.get("format").and_then(Value::as_str).unwrap_or("png");
            let Some(bytes) = image.pointer("/source/bytes").and_then(Value::as_str) else {
                return Err(unsupported(block, format!("messages.{i}.content.{j}")));
            };
            parts.push(
                json!({"type": "image_url", "image_url": {"url": format!("data:image/{format};base64,{bytes}")}}),
            );
        } else if let Some(doc) = block.get("document") {
            parts.push(document(doc, format!("messages.{i}.content.{j}"))?);
        } else if let Some(result) = block.get("toolResult") {
            let id = result.get("toolUseId").and_then(Value::as_str).unwrap_or_default();
            let text = result
                .get("content")
                .and_then(Value::as_array)
                .map(|items| {
                    items
                        .iter()
                        .map(|item| match (item.get("text"), item.get("json")) {
                            (Some(Value::String(text)), _) => text.clone(),
                            (_, Some(json)) => json.to_string(),
                            _ => String::new(),
                        })
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .unwrap_or_default();
            messages.push(json!({"role": "tool", "tool_call_id": id, "content": text}));
        } else if block.get("cachePoint").is_some() {
            // A cache hint; OpenAI-kind models cache on their own.
        } else {
            return Err(unsupported(block, format!("messages.{i}.content.{j}")));
        }
    }
    if !parts.is_empty() {
        messages.push(json!({"role": "user", "content": parts}));
    }
    Ok(())
}

fn assistant_turn(content: &[Value], i: usize) -> Result<Value, Error> {
    let mut text = String::new();
    let mut calls = Vec::new();
    for (j, block) in content.iter().enumerate() {
        if let Some(part) = block.get("text").and_then(Value::as_str) {
            text.push_str(part);
        } else if let Some(tool_use) = block.get("toolUse") {
            let input = tool_use.get("input").cloned().unwrap_or_else(|| json!({}));
            calls.push(json!({
                "id": tool_use.get("toolUseId").and_then(Value::as_str).unwrap_or_default(),
                "type": "function",
                "function": {"name": tool_use.get("name").and_then(Value::as_str).unwrap_or_default(),
                             "arguments": input.to_string()}
            }));
        } else if block.get("reasoningContent").is_some() || block.get("cachePoint").is_some() {
            // Another model's reasoning means nothing to this one.
        } else {
            return Err(unsupported(block, format!("messages.{i}.content.{j}")));
        }
    }
    let mut message = json!({"role": "assistant", "content": if text.is_empty() && !calls.is_empty() { Value::Null } else { Value::String(text) }});
    if !calls.is_empty() {
        message["tool_calls"] = Value::Array(calls);
    }
    Ok(message)
}

fn tool_config(config: &Value, openai: &mut Map<String, Value>) -> Result<(), Error> {
    let mut tools = Vec::new();
    for (i, tool) in config.get("tools").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let Some(spec) = tool.get("toolSpec") else {
            if tool.get("cachePoint").is_some() {
                continue;
            }
            return Err(unsupported(tool, format!("toolConfig.tools.{i}")));
        };
        let mut function = Map::new();
        function.insert("name".to_owned(), spec.get("name").cloned().unwrap_or(Value::Null));
        if let Some(description) = spec.get("description") {
            function.insert("description".to_owned(), description.clone());
        }
        function.insert(
            "parameters".to_owned(),
            spec.pointer("/inputSchema/json").cloned().unwrap_or_else(|| json!({"type": "object"})),
        );
        tools.push(json!({"type": "function", "function": function}));
    }
    if !tools.is_empty() {
        openai.insert("tools".to_owned(), Value::Array(tools));
    }
    if let Some(choice) = config.get("toolChoice") {
        let choice = if choice.get("auto").is_some() {
            json!("auto")
        } else if choice.get("any").is_some() {
            json!("required")
        } else if let Some(name) = choice.pointer("/tool/name") {
            json!({"type": "function", "function": {"name": name}})
        } else {
            return Err(Error::invalid("toolConfig.toolChoice", "toolChoice must be auto, any or tool."));
        };
        openai.insert("tool_choice".to_owned(), choice);
    }
    Ok(())
}
