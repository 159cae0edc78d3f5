//! ConverseStream events → internal chunks. Tool-call indices count tool calls from 0 in order of appearance;
//! `contentBlockIndex` only tells which call a fragment belongs to.

use aws_sdk_bedrockruntime::types::{
    ContentBlockDelta, ContentBlockStart, ConverseStreamOutput, ReasoningContentBlockDelta,
};
use obs_convert::bedrock::ResponseMeta;
use obs_convert::bedrock::reasoning::{block_delta, signed_block};
use obs_convert::finish;
use obs_models::openai::{ChatCompletionChunk, Delta, FinishReason, Usage};

use crate::Error;
use crate::bedrock::event_stream::EventDecoder;

pub(crate) struct ConverseStreamDecoder {
    meta: ResponseMeta,
    started: bool,
    tool_blocks: Vec<(i32, u32)>,
    finished: bool,
    usage_sent: bool,
    /// The text of the reasoning block being streamed, for the signed block sent when its signature arrives.
    reasoning: String,
}

impl ConverseStreamDecoder {
    pub(crate) fn new(meta: ResponseMeta) -> Self {
        ConverseStreamDecoder {
            meta,
            started: false,
            tool_blocks: Vec::new(),
            finished: false,
            usage_sent: false,
            reasoning: String::new(),
        }
    }

    fn start(&mut self, out: &mut Vec<ChatCompletionChunk>) {
        if !self.started {
            self.started = true;
            out.push(self.meta.chunk(Delta::role_start(), None));
        }
    }

    fn finish(&mut self, reason: FinishReason, out: &mut Vec<ChatCompletionChunk>) {
        if !self.finished {
            self.finished = true;
            out.push(self.meta.chunk(Delta::default(), Some(reason)));
        }
    }
}

impl EventDecoder<ConverseStreamOutput> for ConverseStreamDecoder {
    type Out = ChatCompletionChunk;

    fn event(&mut self, event: ConverseStreamOutput, out: &mut Vec<ChatCompletionChunk>) -> Result<(), Error> {
        self.start(out);
        match event {
            ConverseStreamOutput::ContentBlockStart(start) => {
                if let Some(ContentBlockStart::ToolUse(tool)) = start.start {
                    let index = u32::try_from(self.tool_blocks.len()).unwrap_or(u32::MAX);
                    self.tool_blocks.push((start.content_block_index, index));
                    out.push(self.meta.chunk(Delta::tool_call_start(index, tool.tool_use_id, tool.name), None));
                }
            }
            ConverseStreamOutput::ContentBlockDelta(delta) => match delta.delta {
                Some(ContentBlockDelta::Text(text)) if !text.is_empty() => {
                    out.push(self.meta.chunk(Delta::text(text), None))
                }
                Some(ContentBlockDelta::ToolUse(tool)) if !tool.input.is_empty() => {
                    if let Some(&(_, index)) =
                        self.tool_blocks.iter().find(|(block, _)| *block == delta.content_block_index)
                    {
                        out.push(self.meta.chunk(Delta::tool_call_arguments(index, tool.input), None));
                    }
                }
                Some(ContentBlockDelta::ReasoningContent(ReasoningContentBlockDelta::Text(text)))
                    if !text.is_empty() =>
                {
                    self.reasoning.push_str(&text);
                    out.push(self.meta.chunk(Delta::reasoning(text), None));
                }
                // The whole signed block once its signature arrives, as the InvokeModel path sends it.
                Some(ContentBlockDelta::ReasoningContent(ReasoningContentBlockDelta::Signature(signature)))
                    if !signature.is_empty() =>
                {
                    let text = std::mem::take(&mut self.reasoning);
                    out.push(self.meta.chunk(block_delta(signed_block(text, signature)), None));
                }
                Some(ContentBlockDelta::ReasoningContent(ReasoningContentBlockDelta::RedactedContent(data))) => {
                    out.push(self.meta.chunk(block_delta(super::reasoning::redacted_block(data.as_ref())), None));
                }
                _ => {}
            },
            ConverseStreamOutput::MessageStop(stop) => {
                let (reason, known) = finish::from_bedrock(stop.stop_reason.as_str());
                if !known {
                    tracing::warn!(
                        stop_reason = stop.stop_reason.as_str(),
                        "unknown Converse stop reason mapped to stop"
                    );
                }
                self.finish(reason, out);
            }
            // One usage chunk per stream: a second metadata event is not counted again.
            ConverseStreamOutput::Metadata(metadata) if !self.usage_sent => {
                let usage = metadata.usage.as_ref().map_or_else(Usage::default, super::usage);
                out.push(self.meta.usage_chunk(usage));
                self.usage_sent = true;
            }
            _ => {}
        }
        Ok(())
    }

    fn end(&mut self, out: &mut Vec<ChatCompletionChunk>) -> Result<(), Error> {
        if !self.finished {
            return Err(Error::new(
                obs_models::error::ErrorCode::UpstreamError,
                "The Bedrock stream ended before the end of the message.",
            ));
        }
        if !self.usage_sent {
            out.push(self.meta.usage_chunk(Usage::default()));
        }
        Ok(())
    }
}
