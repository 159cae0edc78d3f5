//! Bedrock Claude body → internal OpenAI request (docs/reference/formats.md §4), losing nothing: what OpenAI has no
//! field for is kept in [`ClaudeIngress`] and on the messages' Claude-only fields, so a Claude body routed to Claude
//! goes out as it came in.

use obs_models::JsonObject;
use obs_models::claude::{
    ClaudeContent, ClaudeMessage, ClaudeRequest, ClaudeRole, ClaudeSystem, ClaudeTool, ClaudeToolChoice, ContentBlock,
    ImageSource, ToolResultContent,
};
use obs_models::error::ErrorCode;
use obs_models::openai::{
    AssistantMessage, ChatCompletionRequest, ClaudeIngress, ContentPart, FunctionDefinition, Message, MessageContent,
    Stop, SystemMessage, TextPart, Tool, ToolCall, ToolChoice, ToolChoiceMode, ToolMessage, UserMessage,
};
use serde_json::{Map, Value};

use crate::Error;
use crate::validate::{check_model, check_range, typed};

/// Validates a Bedrock Claude body (plus obs's `model`/`model_id` and `stream`) and converts it.
pub fn to_internal(body: Value) -> Result<ChatCompletionRequest, Error> {
    let Value::Object(mut object) = body else {
        return Err(Error::new(ErrorCode::InvalidBody, "The request body must be a JSON object."));
    };
    let model = take_model(&mut object)?;
    let stream = match object.remove("stream") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(b),
        Some(_) => return Err(Error::invalid("stream", "`stream` must be a boolean.")),
    };
    check_claude_body(&object, &BEDROCK_BLOCKS)?;
    let claude: ClaudeRequest = typed(Value::Object(object))?;
    Ok(convert(model, stream, claude))
}

/// `model`, falling back to `model_id` (both removed from the body).
fn take_model(object: &mut Map<String, Value>) -> Result<String, Error> {
    let model = object.remove("model");
    let model_id = object.remove("model_id");
    let chosen = match model {
        Some(Value::Null) | None => model_id,
        some => some,
    };
    check_model(chosen.as_ref())?;
    match chosen {
        Some(Value::String(s)) => Ok(s),
        _ => Err(crate::validate::missing_model()),
    }
}

/// The content-block types a Bedrock Claude body may hold on `/v1/chat/completions`.
const BEDROCK_BLOCKS: [&str; 6] = ["text", "image", "tool_use", "tool_result", "thinking", "redacted_thinking"];

/// Claude's own checks on a body: `max_tokens`, the sampling ranges, and `messages` (roles, content, block types
/// among `known`).
pub(crate) fn check_claude_body(object: &Map<String, Value>, known: &[&str]) -> Result<(), Error> {
    if !object.get("max_tokens").and_then(Value::as_u64).is_some_and(|n| n >= 1 && n <= u64::from(u32::MAX)) {
        return Err(Error::invalid("max_tokens", "`max_tokens` is required and must be an integer of at least 1."));
    }
    // Claude's own ranges (OpenAI allows temperature up to 2).
    check_range(object, "temperature", 0.0, 1.0)?;
    check_range(object, "top_p", 0.0, 1.0)?;
    if object.get("top_k").filter(|v| !v.is_null()).is_some_and(|v| !v.is_u64()) {
        return Err(Error::invalid("top_k", "`top_k` must be a non-negative integer."));
    }
    let messages = match object.get("messages") {
        Some(Value::Array(m)) => m,
        _ => return Err(Error::invalid("messages", "`messages` must be an array.")),
    };
    if messages.is_empty() {
        return Err(Error::new(ErrorCode::EmptyMessages, "`messages` must contain at least one message.")
            .with_param("messages".to_owned()));
    }
    for (i, message) in messages.iter().enumerate() {
        match message.get("role").and_then(Value::as_str) {
            Some("user" | "assistant") => {}
            _ => {
                return Err(Error::invalid(
                    format!("messages.{i}.role"),
                    format!("Invalid role in message {i}: a Claude body takes 'user' or 'assistant'."),
                ));
            }
        }
        match message.get("content") {
            Some(Value::String(_)) => {}
            Some(Value::Array(blocks)) => {
                for (j, block) in blocks.iter().enumerate() {
                    check_block(&format!("messages.{i}.content.{j}"), block, known)?;
                }
            }
            _ => {
                return Err(Error::invalid(
                    format!("messages.{i}.content"),
                    "Message content must be a string or an array of content blocks.",
                ));
            }
        }
    }
    Ok(())
}

fn check_block(at: &str, block: &Value, known: &[&str]) -> Result<(), Error> {
    match block.get("type").and_then(Value::as_str) {
        Some(kind) if known.contains(&kind) => Ok(()),
        Some(other) => Err(Error::invalid(format!("{at}.type"), format!("Unknown content block type '{other}'."))),
        None => Err(Error::invalid(format!("{at}.type"), "Each content block needs a string `type`.")),
    }
}

/// A checked Claude body as the internal request.
pub(crate) fn convert(model: String, stream: Option<bool>, claude: ClaudeRequest) -> ChatCompletionRequest {
    let mut messages = Vec::with_capacity(claude.messages.len() + 1);
    let mut system_blocks = None;
    if let Some(system) = &claude.system {
        messages.push(Message::System(SystemMessage {
            content: MessageContent::Text(system.joined()),
            name: None,
            extra: JsonObject::new(),
        }));
        if let ClaudeSystem::Blocks(blocks) = system {
            system_blocks = Some(blocks.clone());
        }
    }
    for message in claude.messages {
        convert_message(message, &mut messages);
    }
    let (tool_choice, parallel_tool_calls) = match claude.tool_choice {
        None => (None, None),
        Some(choice) => convert_tool_choice(choice),
    };
    let mut request = ChatCompletionRequest::new(model, messages);
    request.max_tokens = Some(claude.max_tokens);
    request.temperature = claude.temperature;
    request.top_p = claude.top_p;
    request.stop = claude.stop_sequences.map(Stop::Many);
    request.stream = stream;
    request.tools = claude.tools.map(|tools| tools.into_iter().map(convert_tool).collect());
    request.tool_choice = tool_choice;
    request.parallel_tool_calls = parallel_tool_calls;
    request.claude = Some(ClaudeIngress {
        anthropic_version: claude.anthropic_version,
        top_k: claude.top_k,
        system_blocks,
        metadata: claude.metadata,
        extra: claude.extra,
    });
    request
}

fn convert_message(message: ClaudeMessage, out: &mut Vec<Message>) {
    match (message.role, message.content) {
        (ClaudeRole::User, ClaudeContent::Text(text)) => out.push(Message::user(text)),
        (ClaudeRole::Assistant, ClaudeContent::Text(text)) => out.push(Message::assistant(text)),
        (ClaudeRole::User, ClaudeContent::Blocks(blocks)) => convert_user_blocks(blocks, out),
        (ClaudeRole::Assistant, ClaudeContent::Blocks(blocks)) => out.push(convert_assistant_blocks(blocks)),
    }
}

/// A user turn's blocks: text and images become one user message; each `tool_result` becomes a `tool` message, in
/// the order the blocks came.
fn convert_user_blocks(blocks: Vec<ContentBlock>, out: &mut Vec<Message>) {
    let mut parts = Vec::new();
    for block in blocks {
        match block {
            ContentBlock::ToolResult(result) => {
                flush_user_parts(&mut parts, out);
                let content = match result.content {
                    None => MessageContent::Text(String::new()),
                    Some(ToolResultContent::Text(text)) => MessageContent::Text(text),
                    Some(ToolResultContent::Blocks(blocks)) => {
                        MessageContent::Parts(blocks.into_iter().filter_map(block_to_part).collect())
                    }
                };
                out.push(Message::Tool(ToolMessage {
                    content,
                    tool_call_id: result.tool_use_id,
                    extra: JsonObject::new(),
                    claude_is_error: result.is_error,
                }));
            }
            other => parts.extend(block_to_part(other)),
        }
    }
    flush_user_parts(&mut parts, out);
}

fn flush_user_parts(parts: &mut Vec<ContentPart>, out: &mut Vec<Message>) {
    if !parts.is_empty() {
        out.push(Message::User(UserMessage {
            content: MessageContent::Parts(std::mem::take(parts)),
            name: None,
            extra: JsonObject::new(),
        }));
    }
}

/// Text and image blocks as OpenAI parts; other blocks have no part form.
fn block_to_part(block: ContentBlock) -> Option<ContentPart> {
    match block {
        ContentBlock::Text(text) => Some(ContentPart::Text(TextPart { text: text.text, extra: text.extra })),
        ContentBlock::Image(image) => Some(ContentPart::image_url(match image.source {
            ImageSource::Base64 { media_type, data } => format!("data:{media_type};base64,{data}"),
            ImageSource::Url { url } => url,
        })),
        _ => None,
    }
}

fn convert_assistant_blocks(blocks: Vec<ContentBlock>) -> Message {
    let mut parts = Vec::new();
    let mut tool_calls = Vec::new();
    let mut thinking = Vec::new();
    for block in blocks {
        match block {
            ContentBlock::ToolUse(call) => {
                tool_calls.push(ToolCall::function(call.id, call.name, call.input.to_string()));
            }
            block @ (ContentBlock::Thinking(_) | ContentBlock::RedactedThinking(_)) => thinking.push(block),
            other => parts.extend(block_to_part(other)),
        }
    }
    Message::Assistant(AssistantMessage {
        content: if parts.is_empty() { None } else { Some(MessageContent::Parts(parts)) },
        name: None,
        tool_calls: if tool_calls.is_empty() { None } else { Some(tool_calls) },
        extra: JsonObject::new(),
        claude_thinking: thinking,
    })
}

fn convert_tool(tool: ClaudeTool) -> Tool {
    let mut converted = Tool::function(tool.name, tool.description, Some(tool.input_schema));
    converted.function = FunctionDefinition { extra: tool.extra, ..converted.function };
    converted
}

fn convert_tool_choice(choice: ClaudeToolChoice) -> (Option<ToolChoice>, Option<bool>) {
    let parallel = |disable: Option<bool>| disable.map(|d| !d);
    match choice {
        ClaudeToolChoice::Auto { disable_parallel_tool_use } => {
            (Some(ToolChoice::Mode(ToolChoiceMode::Auto)), parallel(disable_parallel_tool_use))
        }
        ClaudeToolChoice::Any { disable_parallel_tool_use } => {
            (Some(ToolChoice::Mode(ToolChoiceMode::Required)), parallel(disable_parallel_tool_use))
        }
        ClaudeToolChoice::Tool { name, disable_parallel_tool_use } => {
            (Some(ToolChoice::named(name)), parallel(disable_parallel_tool_use))
        }
        ClaudeToolChoice::None => (Some(ToolChoice::Mode(ToolChoiceMode::None)), None),
    }
}
