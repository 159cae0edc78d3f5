//! Internal request → Claude InvokeModel body (contract §9.1).
//!
//! System and developer messages are joined into `system`; tool calls become `tool_use` blocks (arguments parsed),
//! tool results `tool_result` blocks inside user turns; consecutive same-role turns are merged so roles alternate as
//! Claude requires. A request that arrived as a Claude body comes out as it went in.

use obs_models::JsonObject;
use obs_models::claude::{
    BEDROCK_ANTHROPIC_VERSION, ClaudeContent, ClaudeMessage, ClaudeRequest, ClaudeRole, ClaudeSystem, ClaudeTool,
    ClaudeToolChoice, ContentBlock, ImageBlock, ImageSource, TextBlock, ToolResultBlock, ToolResultContent,
    ToolUseBlock,
};
use obs_models::openai::{
    AssistantMessage, ChatCompletionRequest, ContentPart, Message, MessageContent, ToolChoice, ToolChoiceMode,
};
use serde_json::Value;

use super::image::{FetchedImages, resolve};
use super::{check_bedrock_request, clamp_unit};
use crate::Error;

/// The user turn Claude gets when the conversation holds only system messages (it rejects empty `messages`).
pub const SYSTEM_ONLY_USER_TURN: &str = "Please provide assistance based on the system instructions.";

/// Builds the Claude body. `default_max_tokens` applies when the client gave no limit; `fetched` holds the
/// http(s) images the adapter downloaded.
pub fn build(
    request: &ChatCompletionRequest,
    default_max_tokens: u32,
    fetched: &FetchedImages,
) -> Result<ClaudeRequest, Error> {
    check_bedrock_request(request)?;
    let mut system_texts = Vec::new();
    let mut turns: Vec<ClaudeMessage> = Vec::with_capacity(request.messages.len());
    for (i, message) in request.messages.iter().enumerate() {
        match message {
            Message::System(m) | Message::Developer(m) => system_texts.push(m.content.joined_text(" ")),
            Message::User(m) => push_turn(&mut turns, ClaudeRole::User, user_content(&m.content, i, fetched)?),
            Message::Assistant(m) => {
                if let Some(content) = assistant_content(m, i)? {
                    push_turn(&mut turns, ClaudeRole::Assistant, content);
                }
            }
            Message::Tool(m) => {
                let result = ToolResultBlock {
                    tool_use_id: m.tool_call_id.clone(),
                    content: Some(match &m.content {
                        MessageContent::Text(text) => ToolResultContent::Text(text.clone()),
                        MessageContent::Parts(parts) => ToolResultContent::Blocks(parts_to_blocks(parts, i, fetched)?),
                    }),
                    is_error: m.claude_is_error,
                };
                push_turn(&mut turns, ClaudeRole::User, ClaudeContent::Blocks(vec![ContentBlock::ToolResult(result)]));
            }
        }
    }
    if turns.is_empty() {
        turns
            .push(ClaudeMessage { role: ClaudeRole::User, content: ClaudeContent::Text(SYSTEM_ONLY_USER_TURN.into()) });
    }
    let ingress = request.claude.as_ref();
    let system = if system_texts.is_empty() {
        None
    } else {
        let joined = system_texts.join("\n");
        match ingress.and_then(|c| c.system_blocks.as_ref()) {
            Some(blocks) if ClaudeSystem::Blocks(blocks.clone()).joined() == joined => {
                Some(ClaudeSystem::Blocks(blocks.clone()))
            }
            _ => Some(ClaudeSystem::Text(joined)),
        }
    };
    let tools = request.tools.as_ref().filter(|t| !t.is_empty()).map(|tools| {
        tools
            .iter()
            .map(|tool| ClaudeTool {
                name: tool.function.name.clone(),
                description: tool.function.description.clone(),
                input_schema: tool
                    .function
                    .parameters
                    .clone()
                    .unwrap_or_else(|| serde_json::json!({"type": "object", "properties": {}})),
                // Only a Claude client's own tool fields (cache_control, …) are meant for Claude.
                extra: if ingress.is_some() { tool.function.extra.clone() } else { JsonObject::new() },
            })
            .collect()
    });
    let tool_choice = if tools.is_some() { tool_choice(request) } else { None };
    Ok(ClaudeRequest {
        anthropic_version: ingress
            .map_or_else(|| BEDROCK_ANTHROPIC_VERSION.to_owned(), |c| c.anthropic_version.clone()),
        max_tokens: request.output_token_limit().unwrap_or(default_max_tokens),
        messages: turns,
        system,
        temperature: clamp_unit(request.temperature),
        top_p: request.top_p,
        top_k: ingress.and_then(|c| c.top_k),
        stop_sequences: Some(request.stop_sequences()).filter(|s| !s.is_empty()),
        tools,
        tool_choice,
        metadata: ingress.and_then(|c| c.metadata.clone()),
        extra: ingress.map(|c| c.extra.clone()).unwrap_or_default(),
    })
}

fn tool_choice(request: &ChatCompletionRequest) -> Option<ClaudeToolChoice> {
    let disable_parallel_tool_use = request.parallel_tool_calls.map(|parallel| !parallel);
    match &request.tool_choice {
        None if disable_parallel_tool_use == Some(true) => Some(ClaudeToolChoice::Auto { disable_parallel_tool_use }),
        None => None,
        Some(ToolChoice::Mode(ToolChoiceMode::Auto)) => Some(ClaudeToolChoice::Auto { disable_parallel_tool_use }),
        Some(ToolChoice::Mode(ToolChoiceMode::Required)) => Some(ClaudeToolChoice::Any { disable_parallel_tool_use }),
        Some(ToolChoice::Mode(ToolChoiceMode::None)) => Some(ClaudeToolChoice::None),
        Some(ToolChoice::Named(named)) => {
            Some(ClaudeToolChoice::Tool { name: named.function.name.clone(), disable_parallel_tool_use })
        }
    }
}

/// Appends a turn, merging it into the previous one when the role repeats.
fn push_turn(turns: &mut Vec<ClaudeMessage>, role: ClaudeRole, content: ClaudeContent) {
    if let Some(last) = turns.last_mut().filter(|last| last.role == role) {
        let mut blocks = into_blocks(std::mem::replace(&mut last.content, ClaudeContent::Blocks(Vec::new())));
        blocks.extend(into_blocks(content));
        last.content = ClaudeContent::Blocks(blocks);
        return;
    }
    turns.push(ClaudeMessage { role, content });
}

fn into_blocks(content: ClaudeContent) -> Vec<ContentBlock> {
    match content {
        ClaudeContent::Text(text) => vec![ContentBlock::text(text)],
        ClaudeContent::Blocks(blocks) => blocks,
    }
}

fn user_content(content: &MessageContent, i: usize, fetched: &FetchedImages) -> Result<ClaudeContent, Error> {
    Ok(match content {
        MessageContent::Text(text) => ClaudeContent::Text(text.clone()),
        MessageContent::Parts(parts) => ClaudeContent::Blocks(parts_to_blocks(parts, i, fetched)?),
    })
}

fn parts_to_blocks(parts: &[ContentPart], i: usize, fetched: &FetchedImages) -> Result<Vec<ContentBlock>, Error> {
    parts
        .iter()
        .enumerate()
        .map(|(j, part)| {
            let param = format!("messages.{i}.content.{j}");
            match part {
                ContentPart::Text(t) => {
                    Ok(ContentBlock::Text(TextBlock { text: t.text.clone(), extra: t.extra.clone() }))
                }
                ContentPart::ImageUrl(image) => {
                    let inline = resolve(&image.url, fetched, &format!("{param}.image_url.url"))?;
                    Ok(ContentBlock::Image(ImageBlock {
                        source: ImageSource::Base64 { media_type: inline.media_type, data: inline.base64 },
                    }))
                }
                other => Err(Error::unsupported(
                    param,
                    format!("Content parts of type '{}' are not supported by Bedrock models.", other.type_name()),
                )),
            }
        })
        .collect()
}

/// An assistant turn: thinking blocks first (as Claude produced them), then text, then one `tool_use` per call.
/// `None` when the turn carries nothing Claude would accept.
fn assistant_content(message: &AssistantMessage, i: usize) -> Result<Option<ClaudeContent>, Error> {
    let calls = message.tool_calls.as_deref().unwrap_or_default();
    if calls.is_empty() && message.claude_thinking.is_empty() {
        return Ok(match &message.content {
            None => None,
            Some(MessageContent::Text(text)) => Some(ClaudeContent::Text(text.clone())),
            Some(MessageContent::Parts(parts)) => Some(ClaudeContent::Blocks(text_blocks(parts))),
        });
    }
    let mut blocks = message.claude_thinking.clone();
    match &message.content {
        Some(MessageContent::Text(text)) if !text.is_empty() => blocks.push(ContentBlock::text(text.clone())),
        Some(MessageContent::Parts(parts)) => blocks.extend(text_blocks(parts)),
        _ => {}
    }
    for (k, call) in calls.iter().enumerate() {
        let input: Value = serde_json::from_str(&call.function.arguments).map_err(|_| {
            Error::invalid(
                format!("messages.{i}.tool_calls.{k}.function.arguments"),
                "Tool call arguments must be a JSON object encoded as a string.",
            )
        })?;
        blocks.push(ContentBlock::ToolUse(ToolUseBlock {
            id: call.id.clone(),
            name: call.function.name.clone(),
            input,
        }));
    }
    Ok(Some(ClaudeContent::Blocks(blocks)))
}

fn text_blocks(parts: &[ContentPart]) -> Vec<ContentBlock> {
    parts
        .iter()
        .filter_map(|part| match part {
            ContentPart::Text(t) if !t.text.is_empty() => {
                Some(ContentBlock::Text(TextBlock { text: t.text.clone(), extra: t.extra.clone() }))
            }
            _ => None,
        })
        .collect()
}
