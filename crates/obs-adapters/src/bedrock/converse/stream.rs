//! ConverseStream events → internal chunks. Tool-call indices count tool calls from 0 in order of appearance;
//! `contentBlockIndex` only tells which call a fragment belongs to.

use aws_sdk_bedrockruntime::types::{
    ContentBlockDelta, ContentBlockStart, ConverseStreamOutput, ReasoningContentBlockDelta,
};
use obs_convert::bedrock::ResponseMeta;
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
}

impl ConverseStreamDecoder {
    pub(crate) fn new(meta: ResponseMeta) -> Self {
        ConverseStreamDecoder { meta, started: false, tool_blocks: Vec::new(), finished: false, usage_sent: false }
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
                    out.push(self.meta.chunk(Delta::reasoning(text), None));
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
            ConverseStreamOutput::Metadata(metadata) => {
                let usage = metadata.usage.map_or_else(Usage::default, |u| {
                    Usage::new(u64::try_from(u.input_tokens).unwrap_or(0), u64::try_from(u.output_tokens).unwrap_or(0))
                });
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
