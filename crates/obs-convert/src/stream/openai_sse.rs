use obs_models::error::ErrorBody;
use obs_models::openai::{ChatCompletionChunk, Usage};

use super::{StreamEncoder, write_data};

/// OpenAI SSE (contract §4.2): `data: <chunk>\n\n` per chunk, one id and `created` for the whole stream, `[DONE]`
/// at the end. With `include_usage` every chunk carries `"usage":null` and one `choices: []` chunk with the usage
/// precedes `[DONE]`; without it no `usage` key appears anywhere. Chunks that carry nothing are dropped.
#[derive(Debug)]
pub struct OpenAiSseEncoder {
    include_usage: bool,
    identity: Option<(String, u64, String)>,
    pending_usage: Option<Usage>,
    ended: bool,
}

impl OpenAiSseEncoder {
    /// An encoder; `include_usage` is the client's `stream_options.include_usage`.
    pub fn new(include_usage: bool) -> Self {
        OpenAiSseEncoder { include_usage, identity: None, pending_usage: None, ended: false }
    }
}

impl StreamEncoder for OpenAiSseEncoder {
    fn chunk(&mut self, mut chunk: ChatCompletionChunk, out: &mut Vec<u8>) {
        if self.ended {
            return;
        }
        match &self.identity {
            None => self.identity = Some((chunk.id.clone(), chunk.created, chunk.model.clone())),
            Some((id, created, _)) => {
                chunk.id.clone_from(id);
                chunk.created = *created;
            }
        }
        if let Some(Some(usage)) = chunk.usage.take() {
            self.pending_usage = Some(usage);
        }
        let carries_nothing =
            chunk.choices.iter().all(|c| c.delta.is_empty() && c.finish_reason.is_none() && c.logprobs.is_null());
        if chunk.choices.is_empty() || carries_nothing {
            return;
        }
        chunk.usage = if self.include_usage { Some(None) } else { None };
        write_data(&chunk, out);
    }

    fn error(&mut self, error: &ErrorBody, out: &mut Vec<u8>) {
        if !self.ended {
            self.ended = true;
            write_data(error, out);
        }
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        if self.ended {
            return;
        }
        self.ended = true;
        if self.include_usage
            && let (Some(usage), Some((id, created, model))) = (self.pending_usage.take(), &self.identity)
        {
            write_data(&ChatCompletionChunk::usage_only(id, *created, model, usage), out);
        }
        out.extend_from_slice(b"data: [DONE]\n\n");
    }
}
