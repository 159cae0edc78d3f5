//! Internal request → Claude InvokeModel body (docs/reference/formats.md §7.3).
//!
//! System and developer messages are joined into `system`; tool calls become `tool_use` blocks (arguments parsed),
//! tool results `tool_result` blocks inside user turns; consecutive same-role turns are merged so roles alternate as
//! Claude requires. A request that arrived as a Claude body comes out as it went in.

use obs_models::JsonObject;
use obs_models::claude::{
    BEDROCK_ANTHROPIC_VERSION, ClaudeContent, ClaudeMessage, ClaudeRequest, ClaudeRole, ClaudeSystem, ClaudeTool,
    ClaudeToolChoice, ContentBlock, ImageBlock, ImageSource, SystemBlock, TextBlock, ToolResultBlock,
    ToolResultContent, ToolUseBlock,
};
use obs_models::openai::{
    AssistantMessage, ChatCompletionRequest, ContentPart, Message, MessageContent, ToolChoice, ToolChoiceMode,
};
use serde_json::Value;

use super::image::{FetchedImages, resolve};
use super::reasoning::EffortBudgets;
use super::{caching, reasoning};
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
    build_restoring(request, default_max_tokens, fetched, &|_| None, &EffortBudgets::default())
}

/// Thinking blocks a gateway kept for the assistant turn whose first tool call has this id.
pub type RestoreThinking<'a> = &'a dyn Fn(&str) -> Option<Vec<ContentBlock>>;

/// [`build`], with `restore` giving back the thinking blocks of a tool turn the client sent without them, and
/// `budgets` the thinking budget of each `reasoning_effort`. When thinking is on and the last tool turn still has
/// none, Claude would refuse the request: it is sent without thinking instead, and logged.
pub fn build_restoring(
    request: &ChatCompletionRequest,
    default_max_tokens: u32,
    fetched: &FetchedImages,
    restore: RestoreThinking<'_>,
    budgets: &EffortBudgets,
) -> Result<ClaudeRequest, Error> {
    check_bedrock_request(request)?;
    let breakpoints = caching::check(request)?;
    let mut system_texts = Vec::new();
    let mut turns: Vec<ClaudeMessage> = Vec::with_capacity(request.messages.len());
    for (i, message) in request.messages.iter().enumerate() {
        match message {
            Message::System(m) | Message::Developer(m) => system_texts.push(m.content.joined_text(" ")),
            Message::User(m) => push_turn(&mut turns, ClaudeRole::User, user_content(&m.content, i, fetched)?),
            Message::Assistant(m) => {
                if let Some(content) = assistant_content(m, i, restore)? {
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
    let system = if breakpoints > 0
        && let Some(blocks) = cached_system_blocks(request)?
    {
        Some(ClaudeSystem::Blocks(blocks))
    } else if system_texts.is_empty() {
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
                // Only a Claude client's own tool fields are meant for Claude; a cache breakpoint from anyone.
                extra: {
                    let mut extra = if ingress.is_some() { tool.function.extra.clone() } else { JsonObject::new() };
                    if let Some(control) = tool.extra.get("cache_control").or(tool.function.extra.get("cache_control"))
                    {
                        extra.insert("cache_control".to_owned(), control.clone());
                    }
                    extra
                },
            })
            .collect()
    });
    let tool_choice = if tools.is_some() { tool_choice(request) } else { None };
    let mut extra = ingress.map(|c| c.extra.clone()).unwrap_or_default();
    let mut max_tokens = request.output_token_limit().unwrap_or(default_max_tokens);
    let (mut temperature, mut top_p, mut top_k) =
        (clamp_unit(request.temperature), request.top_p, ingress.and_then(|c| c.top_k));
    // A Claude body's own `thinking` is in `extra` already; an OpenAI body asks through reasoning_effort or an
    // Anthropic-style `thinking` object.
    // Claude refuses thinking with a forced tool (the client's or structured output's): sent without it.
    if ingress.is_none()
        && let Some(thinking) = super::reasoning::Thinking::of(request, budgets)?
        && !reasoning::forces_tool(request)
    {
        max_tokens = thinking.max_tokens(max_tokens);
        extra.insert("thinking".to_owned(), thinking.param);
        // Claude takes no temperature but 1, no top_k and a top_p of at least 0.95 with thinking: dropped rather
        // than refused, so an OpenAI client's usual sampling settings do not turn into an upstream 400.
        temperature = temperature.filter(|t| (*t - 1.0).abs() < f64::EPSILON);
        top_p = top_p.filter(|p| *p >= 0.95);
        top_k = None;
    }
    // The caller sees the dropped thinking as a body without `thinking` (and logs it: this crate has no log).
    if ingress.is_none() && extra.contains_key("thinking") && last_tool_turn_lacks_thinking(&turns) {
        extra.remove("thinking");
    }
    Ok(ClaudeRequest {
        anthropic_version: ingress
            .map_or_else(|| BEDROCK_ANTHROPIC_VERSION.to_owned(), |c| c.anthropic_version.clone()),
        max_tokens,
        messages: turns,
        system,
        temperature,
        top_p,
        top_k,
        stop_sequences: Some(request.stop_sequences()).filter(|s| !s.is_empty()),
        tools,
        tool_choice,
        metadata: ingress.and_then(|c| c.metadata.clone()),
        extra,
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

/// The system prompt as text blocks when a system or developer message marks a cache breakpoint (the joined string
/// would lose it): each text part its own block, a message's own `cache_control` on its last block.
fn cached_system_blocks(request: &ChatCompletionRequest) -> Result<Option<Vec<SystemBlock>>, Error> {
    let mut blocks = Vec::new();
    let mut marked = false;
    for (i, message) in request.messages.iter().enumerate() {
        let (Message::System(m) | Message::Developer(m)) = message else { continue };
        marked |= caching::system_breakpoint(&m.extra, &m.content, i)?.is_some();
        let first = blocks.len();
        match &m.content {
            MessageContent::Text(text) => blocks.push(TextBlock { text: text.clone(), extra: JsonObject::new() }),
            MessageContent::Parts(parts) => blocks.extend(parts.iter().filter_map(|part| match part {
                ContentPart::Text(t) => Some(TextBlock { text: t.text.clone(), extra: t.extra.clone() }),
                _ => None,
            })),
        }
        if let (Some(control), Some(last)) =
            (m.extra.get("cache_control"), blocks.get_mut(first..).and_then(<[_]>::last_mut))
        {
            last.extra.insert("cache_control".to_owned(), control.clone());
        }
    }
    Ok(marked.then(|| blocks.into_iter().map(SystemBlock::Text).collect()))
}

/// Whether the last assistant turn uses a tool without starting with a thinking block (Claude refuses such a turn
/// when thinking is on).
fn last_tool_turn_lacks_thinking(turns: &[ClaudeMessage]) -> bool {
    let Some(last) = turns.iter().rev().find(|turn| turn.role == ClaudeRole::Assistant) else { return false };
    let ClaudeContent::Blocks(blocks) = &last.content else { return false };
    let uses_tool = blocks.iter().any(|block| matches!(block, ContentBlock::ToolUse(_)));
    let starts_thinking = matches!(blocks.first(), Some(ContentBlock::Thinking(_) | ContentBlock::RedactedThinking(_)));
    uses_tool && !starts_thinking
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
fn assistant_content(
    message: &AssistantMessage,
    i: usize,
    restore: RestoreThinking<'_>,
) -> Result<Option<ClaudeContent>, Error> {
    let calls = message.tool_calls.as_deref().unwrap_or_default();
    // Thinking as Claude produced it: from a Claude body, else the blocks an OpenAI client sent back, else the ones
    // the gateway kept for this tool turn (clients that rebuild turns from content and tool_calls drop them).
    let mut thinking = if message.claude_thinking.is_empty() {
        reasoning::client_blocks(message)
    } else {
        message.claude_thinking.clone()
    };
    if thinking.is_empty()
        && let Some(first) = calls.first()
    {
        thinking = restore(&first.id).unwrap_or_default();
    }
    if calls.is_empty() && thinking.is_empty() {
        return Ok(match &message.content {
            None => None,
            Some(MessageContent::Text(text)) => Some(ClaudeContent::Text(text.clone())),
            Some(MessageContent::Parts(parts)) => Some(ClaudeContent::Blocks(text_blocks(parts))),
        });
    }
    let mut blocks = thinking;
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
