//! Internal request → Converse input: messages with text, image, tool-use and tool-result blocks (same-role turns
//! merged, as Converse requires alternation), system blocks, inference config, tool config, and Claude-only fields
//! in `additionalModelRequestFields` for Claude-on-Converse.

use aws_sdk_bedrockruntime::primitives::Blob;
use aws_sdk_bedrockruntime::types::{
    AnyToolChoice, AutoToolChoice, CachePointBlock, CachePointType, ContentBlock, ConversationRole, ImageBlock,
    ImageFormat, ImageSource, InferenceConfiguration, Message, ReasoningContentBlock, ReasoningTextBlock,
    SpecificToolChoice, SystemContentBlock, Tool, ToolChoice as ConverseToolChoice, ToolConfiguration, ToolInputSchema,
    ToolResultBlock, ToolResultContentBlock, ToolResultStatus, ToolSpecification, ToolUseBlock,
};
use aws_smithy_types::Document;
use base64::Engine as _;
use obs_convert::bedrock::caching::{self, CacheTtl};
use obs_convert::bedrock::check_bedrock_request;
use obs_convert::bedrock::claude_request::SYSTEM_ONLY_USER_TURN;
use obs_convert::bedrock::image::{FetchedImages, resolve};
use obs_models::claude::ContentBlock as ClaudeBlock;
use obs_models::error::ErrorCode;
use obs_models::openai::{
    ChatCompletionRequest, ContentPart, Message as OpenAiMessage, MessageContent, ToolChoice, ToolChoiceMode,
};
use serde_json::Value;

use crate::Error;
use crate::bedrock::BedrockFamily;
use crate::bedrock::document;

/// Everything a Converse call takes besides the model id.
#[derive(Debug)]
pub(crate) struct ConverseParts {
    pub messages: Vec<Message>,
    pub system: Vec<SystemContentBlock>,
    pub inference: Option<InferenceConfiguration>,
    pub tool_config: Option<ToolConfiguration>,
    pub additional: Option<Document>,
    /// Native structured output (`outputConfig.textFormat`), set by the caller.
    pub output_config: Option<aws_sdk_bedrockruntime::types::OutputConfig>,
    /// `serviceTier` and `performanceConfig`, set by the caller.
    pub service_tier: Option<aws_sdk_bedrockruntime::types::ServiceTier>,
    pub performance: Option<aws_sdk_bedrockruntime::types::PerformanceConfiguration>,
}

fn build_error(error: impl std::fmt::Display) -> Error {
    Error::new(ErrorCode::InternalError, format!("Could not build the Converse request: {error}."))
}

pub(crate) fn build(
    request: &ChatCompletionRequest,
    family: BedrockFamily,
    fetched: &FetchedImages,
) -> Result<ConverseParts, Error> {
    check_bedrock_request(request)?;
    caching::check(request)?;
    let claude = family == BedrockFamily::ClaudeConverse;
    let mut system = Vec::new();
    let mut turns: Vec<(ConversationRole, Vec<ContentBlock>)> = Vec::new();
    let mut has_tool_blocks = false;
    for (i, message) in request.messages.iter().enumerate() {
        match message {
            OpenAiMessage::System(m) | OpenAiMessage::Developer(m) => {
                system.push(SystemContentBlock::Text(m.content.joined_text(" ")));
                if let Some(ttl) = caching::system_breakpoint(&m.extra, &m.content, i)? {
                    system.push(SystemContentBlock::CachePoint(cache_point(ttl)?));
                }
            }
            OpenAiMessage::User(m) => {
                let mut blocks = content_blocks(&m.content, i, fetched)?;
                if let Some(ttl) = caching::breakpoint(&m.extra, &format!("messages.{i}"))? {
                    blocks.push(ContentBlock::CachePoint(cache_point(ttl)?));
                }
                push(&mut turns, ConversationRole::User, blocks);
            }
            OpenAiMessage::Assistant(m) => {
                let mut blocks = Vec::new();
                if claude {
                    blocks.extend(m.claude_thinking.iter().filter_map(reasoning_block));
                }
                match &m.content {
                    Some(MessageContent::Text(text)) if !text.is_empty() => {
                        blocks.push(ContentBlock::Text(text.clone()))
                    }
                    Some(MessageContent::Parts(parts)) => blocks.extend(parts.iter().filter_map(|p| match p {
                        ContentPart::Text(t) if !t.text.is_empty() => Some(ContentBlock::Text(t.text.clone())),
                        _ => None,
                    })),
                    _ => {}
                }
                for (k, call) in m.tool_calls.iter().flatten().enumerate() {
                    let input: Value = serde_json::from_str(&call.function.arguments).map_err(|_| {
                        obs_convert::Error::invalid(
                            format!("messages.{i}.tool_calls.{k}.function.arguments"),
                            "Tool call arguments must be a JSON object encoded as a string.",
                        )
                    })?;
                    let block = ToolUseBlock::builder()
                        .tool_use_id(&call.id)
                        .name(&call.function.name)
                        .input(document::from_json(&input))
                        .build()
                        .map_err(build_error)?;
                    blocks.push(ContentBlock::ToolUse(block));
                    has_tool_blocks = true;
                }
                if !blocks.is_empty() {
                    push(&mut turns, ConversationRole::Assistant, blocks);
                }
            }
            OpenAiMessage::Tool(m) => {
                let text = m.content.joined_text("\n");
                let result = ToolResultBlock::builder()
                    .tool_use_id(&m.tool_call_id)
                    .content(ToolResultContentBlock::Text(text))
                    .set_status(m.claude_is_error.filter(|e| *e).map(|_| ToolResultStatus::Error))
                    .build()
                    .map_err(build_error)?;
                push(&mut turns, ConversationRole::User, vec![ContentBlock::ToolResult(result)]);
                has_tool_blocks = true;
            }
        }
    }
    if turns.is_empty() {
        turns.push((ConversationRole::User, vec![ContentBlock::Text(SYSTEM_ONLY_USER_TURN.to_owned())]));
    }
    let messages = turns
        .into_iter()
        .map(|(role, content)| Message::builder().role(role).set_content(Some(content)).build().map_err(build_error))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ConverseParts {
        messages,
        system,
        inference: inference(request),
        tool_config: tool_config(request, has_tool_blocks)?,
        additional: if claude { additional_fields(request) } else { None },
        output_config: None,
        service_tier: None,
        performance: None,
    })
}

fn push(turns: &mut Vec<(ConversationRole, Vec<ContentBlock>)>, role: ConversationRole, blocks: Vec<ContentBlock>) {
    match turns.last_mut() {
        Some((last, content)) if *last == role => content.extend(blocks),
        _ => turns.push((role, blocks)),
    }
}

fn content_blocks(content: &MessageContent, i: usize, fetched: &FetchedImages) -> Result<Vec<ContentBlock>, Error> {
    let parts = match content {
        MessageContent::Text(text) => return Ok(vec![ContentBlock::Text(text.clone())]),
        MessageContent::Parts(parts) => parts,
    };
    let mut blocks = Vec::with_capacity(parts.len());
    for (j, part) in parts.iter().enumerate() {
        let param = format!("messages.{i}.content.{j}");
        let (block, extra) = match part {
            ContentPart::Text(t) => (ContentBlock::Text(t.text.clone()), &t.extra),
            ContentPart::ImageUrl(image) => {
                let inline = resolve(&image.url, fetched, &format!("{param}.image_url.url"))?;
                (image_block(&inline.media_type, &inline.base64, &param)?, &image.extra)
            }
            other => {
                return Err(obs_convert::Error::unsupported(
                    param,
                    format!("Content parts of type '{}' are not supported by Bedrock models.", other.type_name()),
                ));
            }
        };
        blocks.push(block);
        // Converse marks a cached prefix with a block of its own after the part Claude clients mark.
        if let Some(ttl) = caching::breakpoint(extra, &param)? {
            blocks.push(ContentBlock::CachePoint(cache_point(ttl)?));
        }
    }
    Ok(blocks)
}

/// A `cachePoint` block with the breakpoint's time to live.
fn cache_point(ttl: CacheTtl) -> Result<CachePointBlock, Error> {
    let ttl = match ttl {
        CacheTtl::FiveMinutes => aws_sdk_bedrockruntime::types::CacheTtl::FiveMinutes,
        CacheTtl::OneHour => aws_sdk_bedrockruntime::types::CacheTtl::OneHour,
    };
    CachePointBlock::builder().r#type(CachePointType::Default).ttl(ttl).build().map_err(build_error)
}

fn image_block(media_type: &str, base64: &str, param: &str) -> Result<ContentBlock, Error> {
    let format = match media_type {
        "image/png" => ImageFormat::Png,
        "image/jpeg" | "image/jpg" => ImageFormat::Jpeg,
        "image/gif" => ImageFormat::Gif,
        "image/webp" => ImageFormat::Webp,
        other => {
            return Err(obs_convert::Error::unsupported(
                param,
                format!("Bedrock takes png, jpeg, gif and webp images, not '{other}'."),
            ));
        }
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(base64.trim())
        .map_err(|_| obs_convert::Error::invalid(param, "The image data is not valid base64."))?;
    let block = ImageBlock::builder()
        .format(format)
        .source(ImageSource::Bytes(Blob::new(bytes)))
        .build()
        .map_err(build_error)?;
    Ok(ContentBlock::Image(block))
}

fn reasoning_block(block: &ClaudeBlock) -> Option<ContentBlock> {
    match block {
        ClaudeBlock::Thinking(thinking) => ReasoningTextBlock::builder()
            .text(&thinking.thinking)
            .set_signature(thinking.signature.clone())
            .build()
            .ok()
            .map(|text| ContentBlock::ReasoningContent(ReasoningContentBlock::ReasoningText(text))),
        ClaudeBlock::RedactedThinking(redacted) => base64::engine::general_purpose::STANDARD
            .decode(&redacted.data)
            .ok()
            .map(|bytes| ContentBlock::ReasoningContent(ReasoningContentBlock::RedactedContent(Blob::new(bytes)))),
        _ => None,
    }
}

fn inference(request: &ChatCompletionRequest) -> Option<InferenceConfiguration> {
    let stop = request.stop_sequences();
    let max_tokens = request.output_token_limit().map(|n| i32::try_from(n).unwrap_or(i32::MAX));
    if max_tokens.is_none() && request.temperature.is_none() && request.top_p.is_none() && stop.is_empty() {
        return None;
    }
    Some(
        InferenceConfiguration::builder()
            .set_max_tokens(max_tokens)
            .set_temperature(request.temperature.map(|t| t as f32))
            .set_top_p(request.top_p.map(|p| p as f32))
            .set_stop_sequences((!stop.is_empty()).then_some(stop))
            .build(),
    )
}

fn tool_config(request: &ChatCompletionRequest, has_tool_blocks: bool) -> Result<Option<ToolConfiguration>, Error> {
    let Some(tools) = request.tools.as_ref().filter(|t| !t.is_empty()) else { return Ok(None) };
    let choice = match &request.tool_choice {
        // Converse has no "none": send no tools — unless the history holds tool blocks, which Converse only
        // accepts next to a tool config.
        Some(ToolChoice::Mode(ToolChoiceMode::None)) if !has_tool_blocks => return Ok(None),
        Some(ToolChoice::Mode(ToolChoiceMode::None)) | None => None,
        Some(ToolChoice::Mode(ToolChoiceMode::Auto)) => {
            Some(ConverseToolChoice::Auto(AutoToolChoice::builder().build()))
        }
        Some(ToolChoice::Mode(ToolChoiceMode::Required)) => {
            Some(ConverseToolChoice::Any(AnyToolChoice::builder().build()))
        }
        Some(ToolChoice::Named(named)) => Some(ConverseToolChoice::Tool(
            SpecificToolChoice::builder().name(&named.function.name).build().map_err(build_error)?,
        )),
    };
    let mut specs = Vec::with_capacity(tools.len());
    for (i, tool) in tools.iter().enumerate() {
        let schema =
            tool.function.parameters.clone().unwrap_or_else(|| serde_json::json!({"type":"object","properties":{}}));
        let spec = ToolSpecification::builder()
            .name(&tool.function.name)
            .set_description(tool.function.description.clone())
            .input_schema(ToolInputSchema::Json(document::from_json(&schema)))
            .build()
            .map_err(build_error)?;
        specs.push(Tool::ToolSpec(spec));
        if let Some(ttl) = caching::tool_breakpoint(tool, i)? {
            specs.push(Tool::CachePoint(cache_point(ttl)?));
        }
    }
    ToolConfiguration::builder().set_tools(Some(specs)).set_tool_choice(choice).build().map(Some).map_err(build_error)
}

fn additional_fields(request: &ChatCompletionRequest) -> Option<Document> {
    let top_k = request.claude.as_ref().and_then(|c| c.top_k)?;
    Some(document::from_json(&serde_json::json!({ "top_k": top_k })))
}
