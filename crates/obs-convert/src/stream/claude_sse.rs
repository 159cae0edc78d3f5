use obs_models::claude::{
    BlockDelta, ClaudeResponse, ClaudeUsage, ContentBlock, MessageDeltaBody, MessageDeltaUsage, StreamEvent, TextBlock,
    ThinkingBlock, ToolUseBlock,
};
use obs_models::error::{ErrorBody, ErrorCode};
use obs_models::openai::{ChatCompletionChunk, FinishReason};

use super::{StreamEncoder, write_json};
use crate::finish;

/// The Anthropic event sequence with `event:` lines (docs/reference/formats.md §9.2): `message_start`, per block
/// `content_block_start` / `content_block_delta` / `content_block_stop`, then `message_delta` (stop reason,
/// output tokens) and `message_stop`. No `[DONE]`. Blocks are opened in order of appearance: thinking, text, and
/// one `tool_use` block per tool call.
///
/// [`ClaudeEventEncoder::messages`] is the stream of the Messages route (`/v1/messages`), where the sequence is
/// Anthropic's own to the letter: the id in the `msg_…` shape, a `ping` after `message_start`, thinking blocks
/// opened with a `signature`, and a mid-stream failure's `error` event typed by its code (`overloaded_error`,
/// `rate_limit_error`, …) rather than always `api_error` as docs/reference/formats.md §9.2 has it for
/// `?target_format=`.
#[derive(Debug, Default)]
pub struct ClaudeEventEncoder {
    /// The Messages route's stream.
    messages: bool,
    started: bool,
    open: Option<OpenBlock>,
    next_block: u32,
    /// (tool-call index, content-block index).
    tool_blocks: Vec<(u32, u32)>,
    finish_reason: Option<FinishReason>,
    output_tokens: u64,
    /// The input count a final usage chunk reported (upstreams that give it only at the end: OpenAI, Converse).
    input_tokens: Option<u64>,
    /// A guarded stream's outcome as Bedrock's own `message_stop` keys (target format only; `crate::guardrail`).
    guardrail: obs_models::JsonObject,
    ended: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum OpenBlock {
    Text(u32),
    Thinking(u32),
    Tool(u32),
}

impl OpenBlock {
    fn index(self) -> u32 {
        match self {
            OpenBlock::Text(i) | OpenBlock::Thinking(i) | OpenBlock::Tool(i) => i,
        }
    }
}

impl ClaudeEventEncoder {
    /// A new encoder.
    pub fn new() -> Self {
        Self::default()
    }

    /// The encoder of the Messages route's stream.
    pub fn messages() -> Self {
        ClaudeEventEncoder { messages: true, ..Self::default() }
    }

    fn close_block(&mut self, out: &mut Vec<u8>) {
        if let Some(block) = self.open.take() {
            write_event(&StreamEvent::ContentBlockStop { index: block.index() }, out);
        }
    }

    fn open_block(&mut self, make: fn(u32) -> OpenBlock, content_block: ContentBlock, out: &mut Vec<u8>) -> u32 {
        self.close_block(out);
        let index = self.next_block;
        self.next_block += 1;
        self.open = Some(make(index));
        write_event(&StreamEvent::ContentBlockStart { index, content_block }, out);
        index
    }

    /// On the Messages route, `message_delta.usage.input_tokens` (as Anthropic's API sends it) when the upstream
    /// reported its input count only at the end, so the message a client accumulates counts it.
    fn final_input_usage(&self) -> obs_models::JsonObject {
        let mut usage = obs_models::JsonObject::new();
        if self.messages
            && let Some(input) = self.input_tokens
        {
            usage.insert("input_tokens".to_owned(), input.into());
        }
        usage
    }

    fn delta(&mut self, index: u32, delta: BlockDelta, out: &mut Vec<u8>) {
        write_event(&StreamEvent::ContentBlockDelta { index, delta }, out);
    }
}

impl StreamEncoder for ClaudeEventEncoder {
    fn chunk(&mut self, chunk: ChatCompletionChunk, out: &mut Vec<u8>) {
        if self.ended {
            return;
        }
        if !self.started {
            self.started = true;
            let message = ClaudeResponse {
                // A Claude-shaped message has a Claude-shaped id, whichever model wrote it.
                id: crate::anthropic::message_id(&chunk.id),
                kind: "message".to_owned(),
                role: "assistant".to_owned(),
                model: chunk.model.clone(),
                content: Vec::new(),
                stop_reason: None,
                stop_sequence: None,
                usage: ClaudeUsage {
                    input_tokens: chunk.prompt_tokens_hint.unwrap_or(0),
                    output_tokens: 0,
                    extra: Default::default(),
                },
            };
            write_event(&StreamEvent::MessageStart { message }, out);
            if self.messages {
                write_event(&StreamEvent::Ping, out);
            }
        }
        if let Some(Some(usage)) = &chunk.usage {
            self.output_tokens = usage.completion_tokens;
            self.input_tokens = Some(usage.prompt_tokens);
        }
        if !self.messages {
            self.guardrail
                .extend(crate::guardrail::bedrock_keys(&chunk.extra).into_iter().map(|(k, v)| (k.to_owned(), v)));
        }
        for choice in chunk.choices.into_iter().filter(|c| c.index == 0) {
            let delta = choice.delta;
            if let Some(thinking) = delta.reasoning_content.filter(|t| !t.is_empty()) {
                let index = match self.open {
                    Some(OpenBlock::Thinking(i)) => i,
                    _ => self.open_block(
                        OpenBlock::Thinking,
                        ContentBlock::Thinking(ThinkingBlock {
                            thinking: String::new(),
                            signature: self.messages.then(String::new),
                        }),
                        out,
                    ),
                };
                self.delta(index, BlockDelta::ThinkingDelta { thinking }, out);
            }
            // A signed block arrives whole once its text has streamed (docs/reference/formats.md §7.10): its
            // signature closes the open thinking block, so a Claude client can send the block back.
            if let Some(OpenBlock::Thinking(index)) = self.open {
                let signatures = delta.extra.get("thinking_blocks").and_then(serde_json::Value::as_array);
                for signature in signatures.into_iter().flatten().filter_map(|b| b.get("signature")?.as_str()) {
                    self.delta(index, BlockDelta::SignatureDelta { signature: signature.to_owned() }, out);
                }
            }
            if let Some(text) = delta.content.filter(|t| !t.is_empty()) {
                let index = match self.open {
                    Some(OpenBlock::Text(i)) => i,
                    _ => self.open_block(
                        OpenBlock::Text,
                        ContentBlock::Text(TextBlock { text: String::new(), extra: Default::default() }),
                        out,
                    ),
                };
                self.delta(index, BlockDelta::TextDelta { text }, out);
            }
            for call in delta.tool_calls.into_iter().flatten() {
                let function =
                    call.function.unwrap_or(obs_models::openai::FunctionCallDelta { name: None, arguments: None });
                let index = match (&call.id, self.tool_blocks.iter().find(|(tool, _)| *tool == call.index)) {
                    (Some(id), _) => {
                        let block = ContentBlock::ToolUse(ToolUseBlock {
                            id: id.clone(),
                            name: function.name.clone().unwrap_or_default(),
                            input: serde_json::Value::Object(Default::default()),
                        });
                        let index = self.open_block(OpenBlock::Tool, block, out);
                        self.tool_blocks.push((call.index, index));
                        index
                    }
                    (None, Some(&(_, index))) => index,
                    // Arguments for a call whose start was never seen: nothing to attach them to.
                    (None, None) => continue,
                };
                if let Some(partial_json) = function.arguments.filter(|a| !a.is_empty()) {
                    self.delta(index, BlockDelta::InputJsonDelta { partial_json }, out);
                }
            }
            if choice.finish_reason.is_some() {
                self.finish_reason = choice.finish_reason;
            }
        }
    }

    fn error(&mut self, error: &ErrorBody, out: &mut Vec<u8>) {
        if self.ended {
            return;
        }
        self.ended = true;
        write_event(
            &StreamEvent::Error {
                error: obs_models::claude::ClaudeStreamError {
                    kind: if self.messages { error_kind(error) } else { "api_error" }.to_owned(),
                    message: error.error.message.clone(),
                },
            },
            out,
        );
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        if self.ended {
            return;
        }
        self.ended = true;
        self.close_block(out);
        // As Bedrock streams a guarded answer: `end_turn` even when the guardrail intervened, its keys on
        // `message_stop`.
        let intervened = self.guardrail.get(obs_models::guardrail::INVOKE_ACTION_KEY).and_then(|a| a.as_str())
            == Some(obs_models::guardrail::INTERVENED);
        let stop_reason = if intervened { "end_turn" } else { finish::to_claude(self.finish_reason.as_ref()) };
        write_event(
            &StreamEvent::MessageDelta {
                delta: MessageDeltaBody { stop_reason: Some(stop_reason.to_owned()), stop_sequence: None },
                usage: MessageDeltaUsage { output_tokens: self.output_tokens, extra: self.final_input_usage() },
            },
            out,
        );
        write_event(&StreamEvent::MessageStop { extra: std::mem::take(&mut self.guardrail) }, out);
    }
}

/// The Anthropic error type of an error body's code (`api_error` for a code obs does not know).
fn error_kind(error: &ErrorBody) -> &'static str {
    let code = error.error.code.as_deref().and_then(|code| ErrorCode::ALL.into_iter().find(|c| c.as_str() == code));
    code.map_or("api_error", |code| obs_models::anthropic::error_kind(code).1)
}

fn write_event(event: &StreamEvent, out: &mut Vec<u8>) {
    let name = match event {
        StreamEvent::MessageStart { .. } => "message_start",
        StreamEvent::ContentBlockStart { .. } => "content_block_start",
        StreamEvent::ContentBlockDelta { .. } => "content_block_delta",
        StreamEvent::ContentBlockStop { .. } => "content_block_stop",
        StreamEvent::MessageDelta { .. } => "message_delta",
        StreamEvent::MessageStop { .. } => "message_stop",
        StreamEvent::Ping => "ping",
        StreamEvent::Error { .. } => "error",
    };
    out.extend_from_slice(b"event: ");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\ndata: ");
    write_json(event, out);
    out.extend_from_slice(b"\n\n");
}
