use obs_models::claude::{
    BlockDelta, ClaudeResponse, ClaudeUsage, ContentBlock, MessageDeltaBody, MessageDeltaUsage, StreamEvent, TextBlock,
    ThinkingBlock, ToolUseBlock,
};
use obs_models::error::ErrorBody;
use obs_models::openai::{ChatCompletionChunk, FinishReason};

use super::{StreamEncoder, write_json};
use crate::finish;

/// The Anthropic event sequence with `event:` lines (contract §6.1): `message_start`, per block
/// `content_block_start` / `content_block_delta` / `content_block_stop`, then `message_delta` (stop reason,
/// output tokens) and `message_stop`. No `[DONE]`. Blocks are opened in order of appearance: thinking, text, and
/// one `tool_use` block per tool call.
#[derive(Debug, Default)]
pub struct ClaudeEventEncoder {
    started: bool,
    open: Option<OpenBlock>,
    next_block: u32,
    /// (tool-call index, content-block index).
    tool_blocks: Vec<(u32, u32)>,
    finish_reason: Option<FinishReason>,
    output_tokens: u64,
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
                id: chunk.id.clone(),
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
        }
        if let Some(Some(usage)) = &chunk.usage {
            self.output_tokens = usage.completion_tokens;
        }
        for choice in chunk.choices.into_iter().filter(|c| c.index == 0) {
            let delta = choice.delta;
            if let Some(thinking) = delta.reasoning_content.filter(|t| !t.is_empty()) {
                let index = match self.open {
                    Some(OpenBlock::Thinking(i)) => i,
                    _ => self.open_block(
                        OpenBlock::Thinking,
                        ContentBlock::Thinking(ThinkingBlock { thinking: String::new(), signature: None }),
                        out,
                    ),
                };
                self.delta(index, BlockDelta::ThinkingDelta { thinking }, out);
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
                    kind: "api_error".to_owned(),
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
        write_event(
            &StreamEvent::MessageDelta {
                delta: MessageDeltaBody {
                    stop_reason: Some(finish::to_claude(self.finish_reason.as_ref()).to_owned()),
                    stop_sequence: None,
                },
                usage: MessageDeltaUsage { output_tokens: self.output_tokens, extra: Default::default() },
            },
            out,
        );
        write_event(&StreamEvent::MessageStop { extra: Default::default() }, out);
    }
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
