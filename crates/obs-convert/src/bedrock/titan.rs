//! Titan Text via InvokeModel (docs/reference/formats.md §7.4): the body built from the internal request, the response
//! and stream chunks parsed back.
//!
//! The prompt is a transcript — `System: …`, `User: …` / `Bot: …` per turn, a final `Bot:` cue. Tools, tool turns
//! and images have no Titan form: 400 `unsupported_parameter`. A request that arrived as a Titan body goes out as
//! it came in.

use obs_models::JsonObject;
use obs_models::openai::{
    ChatCompletionChunk, ChatCompletionRequest, ChatCompletionResponse, Delta, Message, MessageContent,
    ResponseMessage, Usage,
};
use obs_models::titan::{TitanGenerationConfig, TitanRequest, TitanResponse, TitanStreamChunk};

use super::{ResponseMeta, UnknownStopReason, check_bedrock_request, clamp_unit};
use crate::{Error, finish};

/// Builds the Titan body; `default_max_tokens` applies when the client gave no limit.
pub fn build(request: &ChatCompletionRequest, default_max_tokens: u32) -> Result<TitanRequest, Error> {
    check_bedrock_request(request)?;
    if request.tools.as_ref().is_some_and(|t| !t.is_empty()) {
        return Err(Error::unsupported("tools", "Titan models do not support tools."));
    }
    let input_text = match &request.titan {
        Some(titan) if is_single_user_turn(request, &titan.input_text) => titan.input_text.clone(),
        _ => transcript(request)?,
    };
    let stop = request.stop_sequences();
    Ok(TitanRequest {
        input_text,
        text_generation_config: Some(TitanGenerationConfig {
            max_token_count: Some(request.output_token_limit().unwrap_or(default_max_tokens)),
            temperature: clamp_unit(request.temperature),
            top_p: request.top_p,
            stop_sequences: (!stop.is_empty()).then_some(stop),
            extra: request.titan.as_ref().map(|t| t.config_extra.clone()).unwrap_or_default(),
        }),
        extra: JsonObject::new(),
    })
}

fn is_single_user_turn(request: &ChatCompletionRequest, text: &str) -> bool {
    matches!(&*request.messages, [Message::User(m)] if m.content == MessageContent::Text(text.to_owned()))
}

fn transcript(request: &ChatCompletionRequest) -> Result<String, Error> {
    let mut system = Vec::new();
    let mut lines = Vec::new();
    for (i, message) in request.messages.iter().enumerate() {
        match message {
            Message::System(m) | Message::Developer(m) => system.push(text_only(&m.content, i)?),
            Message::User(m) => lines.push(format!("User: {}", text_only(&m.content, i)?)),
            Message::Assistant(m) => {
                if m.tool_calls.as_ref().is_some_and(|c| !c.is_empty()) {
                    return Err(Error::unsupported(
                        format!("messages.{i}.tool_calls"),
                        "Titan models do not support tool calls.",
                    ));
                }
                let text = match &m.content {
                    None => String::new(),
                    Some(content) => text_only(content, i)?,
                };
                lines.push(format!("Bot: {text}"));
            }
            Message::Tool(_) => {
                return Err(Error::unsupported(format!("messages.{i}"), "Titan models do not support tool messages."));
            }
        }
    }
    let mut all = Vec::with_capacity(lines.len() + 2);
    if !system.is_empty() {
        all.push(format!("System: {}", system.join("\n")));
    }
    all.extend(lines);
    all.push("Bot:".to_owned());
    Ok(all.join("\n"))
}

fn text_only(content: &MessageContent, i: usize) -> Result<String, Error> {
    if let MessageContent::Parts(parts) = content
        && let Some((j, part)) = parts.iter().enumerate().find(|(_, p)| p.type_name() != "text")
    {
        return Err(Error::unsupported(
            format!("messages.{i}.content.{j}"),
            format!("Titan models take text only, not '{}' parts.", part.type_name()),
        ));
    }
    Ok(content.joined_text(" "))
}

/// Parses a Titan response body.
pub fn parse_response(body: &[u8]) -> Result<TitanResponse, Error> {
    serde_json::from_slice(body).map_err(|e| Error::upstream(format!("The Titan response is not readable: {e}.")))
}

/// Converts a Titan response (`results[0]`).
pub fn response_to_internal(
    response: TitanResponse,
    meta: &ResponseMeta,
) -> Result<(ChatCompletionResponse, Option<UnknownStopReason>), Error> {
    let result =
        response.results.into_iter().next().ok_or_else(|| Error::upstream("The Titan response has no results."))?;
    let raw_reason = result.completion_reason.unwrap_or_else(|| "FINISH".to_owned());
    let (finish_reason, known) = finish::from_bedrock(&raw_reason);
    let message = ResponseMessage::assistant(Some(result.output_text), Vec::new());
    let usage = Usage::new(response.input_text_token_count, result.token_count);
    Ok((meta.response(message, finish_reason, usage), (!known).then_some(UnknownStopReason(raw_reason))))
}

/// Decodes one Titan stream into internal chunks: text per chunk, finish and usage on the first non-null
/// `completionReason`.
#[derive(Debug)]
pub struct TitanStreamDecoder {
    meta: ResponseMeta,
    input_tokens: u64,
    started: bool,
    done: bool,
    unknown_stop_reason: Option<UnknownStopReason>,
}

impl TitanStreamDecoder {
    /// A decoder whose chunks carry `meta`'s id, created and model.
    pub fn new(meta: ResponseMeta) -> Self {
        TitanStreamDecoder { meta, input_tokens: 0, started: false, done: false, unknown_stop_reason: None }
    }

    /// Decodes one chunk's JSON payload, appending the chunks it yields to `out`.
    pub fn decode(&mut self, payload: &[u8], out: &mut Vec<ChatCompletionChunk>) -> Result<(), Error> {
        if self.done {
            return Ok(());
        }
        let chunk: TitanStreamChunk = serde_json::from_slice(payload)
            .map_err(|e| Error::upstream(format!("A Titan stream chunk is not readable: {e}.")))?;
        if let Some(tokens) = chunk.input_text_token_count {
            self.input_tokens = tokens;
        }
        if !self.started {
            self.started = true;
            let mut first = self.meta.chunk(Delta::role_start(), None);
            first.prompt_tokens_hint = chunk.input_text_token_count;
            out.push(first);
        }
        if !chunk.output_text.is_empty() {
            out.push(self.meta.chunk(Delta::text(chunk.output_text), None));
        }
        if let Some(reason) = chunk.completion_reason {
            let (mapped, known) = finish::from_bedrock(&reason);
            if !known {
                self.unknown_stop_reason = Some(UnknownStopReason(reason));
            }
            out.push(self.meta.chunk(Delta::default(), Some(mapped)));
            let output_tokens = chunk.total_output_text_token_count.unwrap_or(0);
            out.push(self.meta.usage_chunk(Usage::new(self.input_tokens, output_tokens)));
            self.done = true;
        }
        Ok(())
    }

    /// Whether a completion reason arrived.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// A completion reason obs did not recognise, for the caller's WARN log.
    pub fn unknown_stop_reason(&self) -> Option<&UnknownStopReason> {
        self.unknown_stop_reason.as_ref()
    }
}
