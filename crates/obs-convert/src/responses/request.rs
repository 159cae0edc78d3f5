//! A Responses request → the internal chat request (docs/reference/responses.md §3): `instructions` a system
//! message, input items messages (a `function_call` a tool call of the assistant turn it belongs to, a
//! `function_call_output` a tool message, a `reasoning` item's `encrypted_content` the Claude thinking replayed with
//! the next assistant turn), function tools, `tool_choice`, `text.format` as `response_format`, `reasoning.effort`
//! as `reasoning_effort`. The chat route's own checks then run on the result.

use obs_models::Error;
use obs_models::claude::ContentBlock;
use obs_models::error::ErrorCode;
use obs_models::openai::{ChatCompletionRequest, Message};
use obs_models::responses::{
    InputContent, InputItem, InputMessage, InputPart, ResponseInput, ResponsesRequest, TextFormat, TypedItem,
};
use serde_json::{Value, json};

use super::reasoning;

const ITEM_TYPES: [&str; 4] = ["message", "function_call", "function_call_output", "reasoning"];

/// Parses a `/v1/responses` body: `invalid_json`/`invalid_body`, `missing_model`, an input item of a type obs does
/// not serve (`invalid_value`, param `input[i].type`), any other field of the wrong type (`invalid_value`).
pub fn parse_request(body: &[u8]) -> Result<ResponsesRequest, Error> {
    let value = crate::ingress::parse_json(body)?;
    let Some(object) = value.as_object() else {
        return Err(Error::new(ErrorCode::InvalidBody, "The request body must be a JSON object."));
    };
    match object.get("model") {
        Some(Value::String(model)) if !model.is_empty() => {}
        Some(Value::String(_) | Value::Null) | None => {
            return Err(Error::new(ErrorCode::MissingModel, "The request has no model.").with_param("model"));
        }
        Some(_) => return Err(Error::invalid("model", "'model' must be a string.")),
    }
    if let Some(Value::Array(items)) = object.get("input") {
        for (index, item) in items.iter().enumerate() {
            let kind = item.get("type").and_then(Value::as_str);
            match kind {
                Some(kind) if !ITEM_TYPES.contains(&kind) => {
                    return Err(Error::invalid(
                        format!("input[{index}].type"),
                        format!(
                            "Input item type '{kind}' is not supported: obs serves {} items.",
                            ITEM_TYPES.join(", ")
                        ),
                    ));
                }
                None if item.get("role").is_none() => {
                    return Err(Error::invalid(
                        format!("input[{index}]"),
                        "An input item needs a 'type' (or a 'role', for a message).",
                    ));
                }
                _ => {}
            }
        }
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let param = if path.is_empty() || path == "." { "body".to_owned() } else { path };
        Error::invalid(param.clone(), format!("'{param}' is not valid here: {}.", e.into_inner()))
    })
}

/// The internal request for `request` after the `history` of earlier turns (a stored conversation's input and
/// output items, oldest first; empty for a stateless request).
pub fn to_internal(request: &ResponsesRequest, history: &[InputItem]) -> Result<ChatCompletionRequest, Error> {
    let mut builder = Builder::default();
    if let Some(instructions) = &request.instructions {
        builder.messages.push(json!({"role": "system", "content": instructions}));
        builder.thinking.push(Vec::new());
    }
    for item in history {
        builder.item(item)?;
    }
    match &request.input {
        Some(ResponseInput::Text(text)) => builder.push(json!({"role": "user", "content": text})),
        Some(ResponseInput::Items(items)) => {
            for item in items {
                builder.item(item)?;
            }
        }
        None => {}
    }
    if builder.messages.is_empty() {
        return Err(Error::invalid("input", "'input' must hold at least one message."));
    }
    let mut body = serde_json::Map::new();
    body.insert("model".into(), Value::String(request.model.clone()));
    body.insert("messages".into(), Value::Array(std::mem::take(&mut builder.messages)));
    if let Some(tools) = &request.tools {
        body.insert("tools".into(), Value::Array(tools.iter().map(tool).collect::<Result<_, _>>()?));
    }
    if let Some(choice) = &request.tool_choice {
        body.insert("tool_choice".into(), tool_choice(choice)?);
    }
    let mut set = |key: &str, value: Option<Value>| {
        if let Some(value) = value {
            body.insert(key.to_owned(), value);
        }
    };
    set("parallel_tool_calls", request.parallel_tool_calls.map(Value::Bool));
    set("max_completion_tokens", request.max_output_tokens.map(Value::from));
    set("temperature", request.temperature.map(Value::from));
    set("top_p", request.top_p.map(Value::from));
    set("user", request.user.clone().map(Value::String));
    set("reasoning_effort", request.reasoning.as_ref().and_then(|r| r.effort.clone()).map(Value::String));
    set("stream", request.is_stream().then_some(Value::Bool(true)));
    let format = request.text.as_ref().and_then(|t| t.format.as_ref()).and_then(|format| match format {
        TextFormat::Text => None,
        TextFormat::JsonObject => Some(json!({"type": "json_object"})),
        TextFormat::JsonSchema { name, schema, description, strict } => {
            let mut inner = json!({"name": name, "schema": schema});
            if let Some(description) = description {
                inner["description"] = Value::String(description.clone());
            }
            if let Some(strict) = strict {
                inner["strict"] = Value::Bool(*strict);
            }
            Some(json!({"type": "json_schema", "json_schema": inner}))
        }
    });
    set("response_format", format);
    let mut chat = crate::validate::openai_request(Value::Object(body)).map_err(rename_param)?;
    if builder.thinking.iter().any(|blocks| !blocks.is_empty()) {
        let mut messages = chat.messages.to_vec();
        for (message, blocks) in messages.iter_mut().zip(builder.thinking) {
            if let Message::Assistant(assistant) = message {
                assistant.claude_thinking = blocks;
            }
        }
        chat.messages = messages.into();
    }
    Ok(chat)
}

/// A chat check's param in the Responses request's terms.
fn rename_param(mut error: Error) -> Error {
    error.param = error.param.map(|param| match param.as_str() {
        "max_completion_tokens" => "max_output_tokens".to_owned(),
        p if p.starts_with("messages") => "input".to_owned(),
        "response_format" => "text.format".to_owned(),
        _ => param,
    });
    error
}

#[derive(Default)]
struct Builder {
    messages: Vec<Value>,
    /// Per message: the Claude blocks replayed with it (assistant turns only).
    thinking: Vec<Vec<ContentBlock>>,
    /// Reasoning read from a `reasoning` item, waiting for the assistant turn it precedes.
    pending: Vec<ContentBlock>,
    /// Call ids of the function calls so far, for the outputs that answer them.
    calls: Vec<String>,
}

impl Builder {
    fn push(&mut self, message: Value) {
        self.messages.push(message);
        self.thinking.push(Vec::new());
    }

    /// The index of the assistant turn at the end, opened if the last message is not one; reasoning waiting for
    /// a turn joins it.
    fn assistant(&mut self) -> usize {
        let open = self.messages.last().is_some_and(|m| m["role"] == "assistant");
        if !open {
            self.push(json!({"role": "assistant", "content": null}));
        }
        let index = self.messages.len() - 1;
        let pending = std::mem::take(&mut self.pending);
        self.thinking[index].extend(pending);
        index
    }

    fn item(&mut self, item: &InputItem) -> Result<(), Error> {
        match item {
            InputItem::Message(message) | InputItem::Typed(TypedItem::Message(message)) => self.message(message),
            InputItem::Typed(TypedItem::FunctionCall(call)) => {
                self.calls.push(call.call_id.clone());
                let index = self.assistant();
                if let Some(Value::Object(assistant)) = self.messages.get_mut(index)
                    && let Value::Array(calls) =
                        assistant.entry("tool_calls").or_insert_with(|| Value::Array(Vec::new()))
                {
                    calls.push(json!({
                        "id": call.call_id,
                        "type": "function",
                        "function": {"name": call.name, "arguments": call.arguments}
                    }));
                }
                Ok(())
            }
            InputItem::Typed(TypedItem::FunctionCallOutput(output)) => {
                if !self.calls.contains(&output.call_id) {
                    return Err(Error::invalid(
                        "input",
                        format!("No tool call found for function call output with call_id {}.", output.call_id),
                    ));
                }
                let content = match &output.output {
                    Value::String(text) => text.clone(),
                    Value::Array(parts) => parts
                        .iter()
                        .filter_map(|part| part.get("text").and_then(Value::as_str))
                        .collect::<Vec<_>>()
                        .join("\n"),
                    other => other.to_string(),
                };
                self.push(json!({"role": "tool", "tool_call_id": output.call_id, "content": content}));
                Ok(())
            }
            InputItem::Typed(TypedItem::Reasoning(item)) => {
                if let Some(content) = &item.encrypted_content {
                    let blocks = reasoning::decode(content)?;
                    self.pending.extend(blocks);
                }
                Ok(())
            }
        }
    }

    fn message(&mut self, message: &InputMessage) -> Result<(), Error> {
        let role = match message.role.as_str() {
            "developer" | "system" => "system",
            "user" => "user",
            "assistant" => "assistant",
            other => {
                return Err(Error::invalid(
                    "input",
                    format!("'{other}' is not a message role: use user, assistant, system or developer."),
                ));
            }
        };
        let content = match &message.content {
            InputContent::Text(text) => Value::String(text.clone()),
            InputContent::Parts(parts) if role == "user" => {
                Value::Array(parts.iter().map(part).collect::<Result<_, _>>()?)
            }
            InputContent::Parts(parts) => Value::String(
                parts
                    .iter()
                    .map(|p| match p {
                        InputPart::InputText { text } => Ok(text.as_str()),
                        InputPart::OutputText(text) => Ok(text.text.as_str()),
                        InputPart::Refusal { refusal } => Ok(refusal.as_str()),
                        InputPart::InputImage { .. } => {
                            Err(Error::invalid("input", format!("A {role} message cannot hold an image.")))
                        }
                    })
                    .collect::<Result<Vec<_>, _>>()?
                    .concat(),
            ),
        };
        if role == "assistant" {
            let index = self.assistant();
            // Text after a call (or after text) in the same turn opens a new turn; text before calls is the turn's.
            match self.messages.get_mut(index) {
                Some(Value::Object(assistant))
                    if assistant.get("tool_calls").is_none() && assistant["content"].is_null() =>
                {
                    assistant.insert("content".into(), content);
                }
                _ => self.push(json!({"role": "assistant", "content": content})),
            }
        } else {
            self.push(json!({"role": role, "content": content}));
        }
        Ok(())
    }
}

fn part(part: &InputPart) -> Result<Value, Error> {
    Ok(match part {
        InputPart::InputText { text }
        | InputPart::OutputText(obs_models::responses::OutputContentText { text, .. }) => {
            json!({"type": "text", "text": text})
        }
        InputPart::Refusal { refusal } => json!({"type": "text", "text": refusal}),
        InputPart::InputImage { image_url: Some(url), detail, .. } => {
            let mut image = json!({"url": url});
            if let Some(detail) = detail {
                image["detail"] = Value::String(detail.clone());
            }
            json!({"type": "image_url", "image_url": image})
        }
        InputPart::InputImage { image_url: None, .. } => {
            return Err(Error::unsupported("input", "input_image needs an image_url (file ids are not served)."));
        }
    })
}

fn tool(tool: &Value) -> Result<Value, Error> {
    match tool.get("type").and_then(Value::as_str) {
        Some("function") => {
            let mut function = serde_json::Map::new();
            for key in ["name", "description", "parameters", "strict"] {
                if let Some(value) = tool.get(key).filter(|v| !v.is_null()) {
                    function.insert(key.to_owned(), value.clone());
                }
            }
            Ok(json!({"type": "function", "function": function}))
        }
        Some(other) => Err(Error::unsupported(
            "tools",
            format!("Tools of type '{other}' are not served through this gateway; use function tools."),
        )),
        None => Err(Error::invalid("tools", "Each tool needs a 'type'.")),
    }
}

fn tool_choice(choice: &Value) -> Result<Value, Error> {
    match choice {
        Value::String(mode) => Ok(Value::String(mode.clone())),
        Value::Object(object) if object.get("type").and_then(Value::as_str) == Some("function") => {
            let name = object
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| Error::invalid("tool_choice", "A function tool_choice needs a 'name'."))?;
            Ok(json!({"type": "function", "function": {"name": name}}))
        }
        _ => Err(Error::unsupported("tool_choice", "tool_choice must be auto, none, required or a function.")),
    }
}

#[cfg(test)]
mod tests {
    use obs_models::claude::ThinkingBlock;
    use obs_models::openai::MessageContent;
    use pretty_assertions::assert_eq;

    use super::*;

    fn convert(body: Value) -> Result<ChatCompletionRequest, Error> {
        to_internal(&parse_request(body.to_string().as_bytes())?, &[])
    }

    #[test]
    fn earlier_items_become_the_conversation_with_claude_thinking_replayed() {
        let signed = ContentBlock::Thinking(ThinkingBlock { thinking: "hmm".into(), signature: Some("sig".into()) });
        let encrypted = reasoning::encode(std::slice::from_ref(&signed)).unwrap();
        let chat = convert(json!({
            "model": "anthropic.claude-sonnet-4",
            "instructions": "Be brief.",
            "input": [
                {"role": "developer", "content": "Use tools."},
                {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Weather?"},
                                                                  {"type": "input_image", "image_url": "data:image/png;base64,AAAA"}]},
                {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": encrypted},
                {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "w", "arguments": "{}"},
                {"type": "function_call_output", "call_id": "call_1", "output": "sunny"},
            ]
        }))
        .unwrap();
        let roles: Vec<&str> = chat.messages.iter().map(Message::role).collect();
        assert_eq!(roles, ["system", "system", "user", "assistant", "tool"]);
        let Message::Assistant(assistant) = &chat.messages[3] else { panic!() };
        assert_eq!(assistant.claude_thinking, vec![signed]);
        assert_eq!(assistant.tool_calls.as_ref().unwrap()[0].id, "call_1");
        let Message::User(user) = &chat.messages[2] else { panic!() };
        assert!(matches!(&user.content, MessageContent::Parts(parts) if parts.len() == 2));
    }

    #[test]
    fn text_format_and_reasoning_map_to_chat_fields() {
        let chat = convert(json!({
            "model": "gpt-4o", "input": "x", "reasoning": {"effort": "low"},
            "text": {"format": {"type": "json_schema", "name": "n", "schema": {"type": "object"}, "strict": true}}
        }))
        .unwrap();
        assert_eq!(chat.extra.get("reasoning_effort"), Some(&json!("low")));
        assert_eq!(
            chat.extra.get("response_format"),
            Some(
                &json!({"type": "json_schema", "json_schema": {"name": "n", "schema": {"type": "object"}, "strict": true}})
            )
        );
    }
}
