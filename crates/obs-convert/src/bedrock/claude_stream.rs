//! Claude stream events → internal chunks (docs/reference/formats.md §7.3, streaming.md §2.2): a small state machine.
//!
//! Tool-call indices count tool calls from 0 in order of appearance — never the content-block index, the bug that
//! hit several gateways. Events that carry nothing (ping, block stops) produce no chunk; a thinking block's
//! signature produces one carrying the whole signed block in `delta.thinking_blocks`. Usage is
//! `message_start.message.usage.input_tokens` + `message_delta.usage.output_tokens`.

use std::borrow::Cow;

use obs_models::claude::{BlockDelta, ContentBlock, StreamEvent};
use obs_models::openai::{ChatCompletionChunk, Delta, FinishReason};
use serde::Deserialize;

use super::reasoning::{block_delta, redacted_block, signed_block};
use super::usage::InputTokens;
use super::{ResponseMeta, UnknownStopReason};
use crate::{Error, finish};

/// A `content_block_delta` event read in one pass. The derived [`StreamEvent`] and [`BlockDelta`] are internally
/// tagged, which makes serde buffer each event whole before parsing it a second time; this flat view of the same
/// keys skips that for the event that arrives once per fragment. Anything it does not recognise goes the typed way.
#[derive(Deserialize)]
struct FragmentEvent<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    index: Option<u32>,
    delta: Option<Fragment<'a>>,
}

/// The `delta` of a [`FragmentEvent`]: one of the keys, named by `type`.
#[derive(Deserialize)]
struct Fragment<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    text: Option<String>,
    partial_json: Option<String>,
    thinking: Option<String>,
    signature: Option<String>,
}

impl Fragment<'_> {
    /// The typed delta, or None when the type is unknown or its key is missing (the typed parse then decides).
    fn into_block_delta(self) -> Option<BlockDelta> {
        match self.kind.as_deref()? {
            "text_delta" | "text" => self.text.map(|text| BlockDelta::TextDelta { text }),
            "input_json_delta" => self.partial_json.map(|partial_json| BlockDelta::InputJsonDelta { partial_json }),
            "thinking_delta" => self.thinking.map(|thinking| BlockDelta::ThinkingDelta { thinking }),
            "signature_delta" => self.signature.map(|signature| BlockDelta::SignatureDelta { signature }),
            _ => None,
        }
    }
}

/// Decodes one Claude stream into internal chunks.
#[derive(Debug)]
pub struct ClaudeStreamDecoder {
    meta: ResponseMeta,
    /// (content-block index, tool-call index) of every tool_use block seen.
    tool_blocks: Vec<(u32, u32)>,
    input_tokens: u64,
    output_tokens: u64,
    started: bool,
    finish: Option<FinishReason>,
    done: bool,
    unknown_stop_reason: Option<UnknownStopReason>,
    /// `message_start`'s input counts, cache reads and writes apart.
    input: InputTokens,
    /// The text of the thinking block being streamed, for the signed block sent when its signature arrives.
    thinking: String,
}

impl ClaudeStreamDecoder {
    /// A decoder whose chunks carry `meta`'s id, created and model.
    pub fn new(meta: ResponseMeta) -> Self {
        ClaudeStreamDecoder {
            meta,
            tool_blocks: Vec::new(),
            input_tokens: 0,
            output_tokens: 0,
            started: false,
            finish: None,
            done: false,
            unknown_stop_reason: None,
            thinking: String::new(),
            input: InputTokens::default(),
        }
    }

    /// Decodes one event's JSON payload, appending the chunks it yields to `out`. Unknown event types are ignored;
    /// an `error` event becomes the error.
    pub fn decode(&mut self, payload: &[u8], out: &mut Vec<ChatCompletionChunk>) -> Result<(), Error> {
        // UTF-8 checked once for the whole event: parsing from `&str` skips serde_json's check of every string.
        let payload = std::str::from_utf8(payload)
            .map_err(|e| Error::upstream(format!("A Claude stream event is not valid UTF-8: {e}.")))?;
        // Fragments are most of a stream and take one pass; every other event takes the typed parse. When that
        // fails, the event is either not JSON (an error) or of a kind obs does not know — an unknown event, block or
        // delta type — which is skipped.
        if let Ok(FragmentEvent { kind: Some(kind), index: Some(index), delta: Some(fragment) }) =
            serde_json::from_str::<FragmentEvent<'_>>(payload)
            && kind == "content_block_delta"
            && let Some(delta) = fragment.into_block_delta()
        {
            return self.on_event(StreamEvent::ContentBlockDelta { index, delta }, out);
        }
        match serde_json::from_str::<StreamEvent>(payload) {
            Ok(event) => self.on_event(event, out),
            Err(_) => match serde_json::from_str::<serde::de::IgnoredAny>(payload) {
                Ok(_) => Ok(()),
                Err(e) => Err(Error::upstream(format!("A Claude stream event is not valid JSON: {e}."))),
            },
        }
    }

    /// Applies one parsed event.
    pub fn on_event(&mut self, event: StreamEvent, out: &mut Vec<ChatCompletionChunk>) -> Result<(), Error> {
        match event {
            StreamEvent::MessageStart { message } => {
                self.input_tokens = message.usage.input_tokens;
                self.input = InputTokens::from_claude(message.usage.input_tokens, &message.usage.extra);
                self.start(out);
            }
            StreamEvent::ContentBlockStart { index, content_block } => {
                self.start(out);
                match content_block {
                    ContentBlock::ToolUse(call) => {
                        let tool_index = u32::try_from(self.tool_blocks.len()).unwrap_or(u32::MAX);
                        self.tool_blocks.push((index, tool_index));
                        out.push(self.meta.chunk(Delta::tool_call_start(tool_index, call.id, call.name), None));
                    }
                    ContentBlock::Text(t) if !t.text.is_empty() => out.push(self.meta.chunk(Delta::text(t.text), None)),
                    ContentBlock::Thinking(t) => {
                        self.thinking.clone_from(&t.thinking);
                        if !t.thinking.is_empty() {
                            out.push(self.meta.chunk(Delta::reasoning(t.thinking), None));
                        }
                    }
                    ContentBlock::RedactedThinking(r) => {
                        out.push(self.meta.chunk(block_delta(redacted_block(r.data)), None));
                    }
                    _ => {}
                }
            }
            StreamEvent::ContentBlockDelta { index, delta } => {
                self.start(out);
                match delta {
                    BlockDelta::TextDelta { text } if !text.is_empty() => {
                        out.push(self.meta.chunk(Delta::text(text), None));
                    }
                    BlockDelta::InputJsonDelta { partial_json } if !partial_json.is_empty() => {
                        if let Some(&(_, tool_index)) = self.tool_blocks.iter().find(|(block, _)| *block == index) {
                            out.push(self.meta.chunk(Delta::tool_call_arguments(tool_index, partial_json), None));
                        }
                    }
                    BlockDelta::ThinkingDelta { thinking } if !thinking.is_empty() => {
                        self.thinking.push_str(&thinking);
                        out.push(self.meta.chunk(Delta::reasoning(thinking), None));
                    }
                    BlockDelta::SignatureDelta { signature } if !signature.is_empty() => {
                        let thinking = std::mem::take(&mut self.thinking);
                        out.push(self.meta.chunk(block_delta(signed_block(thinking, signature)), None));
                    }
                    _ => {}
                }
            }
            StreamEvent::MessageDelta { delta, usage } => {
                self.start(out);
                self.output_tokens = usage.output_tokens;
                if let Some(reason) = delta.stop_reason {
                    let (mapped, known) = finish::from_bedrock(&reason);
                    if !known {
                        self.unknown_stop_reason = Some(UnknownStopReason(reason));
                    }
                    self.finish = Some(mapped.clone());
                    out.push(self.meta.chunk(Delta::default(), Some(mapped)));
                }
            }
            StreamEvent::MessageStop { .. } => self.end(out),
            StreamEvent::Error { error } => {
                return Err(Error::new(obs_models::anthropic::error_code(&error.kind), error.message));
            }
            StreamEvent::ContentBlockStop { .. } | StreamEvent::Ping => {}
        }
        Ok(())
    }

    /// Ends the stream: a finish chunk if the upstream never sent a stop reason, then the usage chunk. Idempotent.
    pub fn end(&mut self, out: &mut Vec<ChatCompletionChunk>) {
        if self.done {
            return;
        }
        self.start(out);
        if self.finish.is_none() {
            let reason = if self.tool_blocks.is_empty() { FinishReason::Stop } else { FinishReason::ToolCalls };
            self.finish = Some(reason.clone());
            out.push(self.meta.chunk(Delta::default(), Some(reason)));
        }
        out.push(self.meta.usage_chunk(self.input.usage(self.output_tokens)));
        self.done = true;
    }

    /// Whether the upstream's stream reached its end (`message_stop`).
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// A stop reason obs did not recognise, for the caller's WARN log.
    pub fn unknown_stop_reason(&self) -> Option<&UnknownStopReason> {
        self.unknown_stop_reason.as_ref()
    }

    fn start(&mut self, out: &mut Vec<ChatCompletionChunk>) {
        if !self.started {
            self.started = true;
            let mut chunk = self.meta.chunk(Delta::role_start(), None);
            chunk.prompt_tokens_hint = Some(self.input_tokens);
            out.push(chunk);
        }
    }
}
