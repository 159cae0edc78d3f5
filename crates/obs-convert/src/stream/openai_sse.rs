use obs_models::JsonObject;
use obs_models::error::ErrorBody;
use obs_models::openai::verbatim::{UsageMember, VerbatimChunk};
use obs_models::openai::{ChatCompletionChunk, Usage};

use super::{StreamEncoder, write_data};

/// OpenAI SSE (docs/reference/streaming.md §2): `data: <chunk>\n\n` per chunk, one id and `created` for the whole
/// stream, `[DONE]` at the end. With `include_usage` every chunk carries `"usage":null` and one `choices: []` chunk
/// with the usage precedes `[DONE]`; without it no `usage` key appears anywhere. Chunks that carry nothing are dropped.
///
/// Typed chunks are serialised; verbatim chunks (an OpenAI upstream's own, checked) are written as they came with
/// the same rules applied as byte edits: the stream's `id` and `created` where they differ, `usage` added, kept or
/// cut. Either kind may follow the other within one stream.
#[derive(Debug)]
pub struct OpenAiSseEncoder {
    include_usage: bool,
    identity: Option<(String, u64, String)>,
    pending_usage: Option<PendingUsage>,
    ended: bool,
}

/// The usage held back for the chunk before `[DONE]`.
#[derive(Debug)]
enum PendingUsage {
    /// The usage and the other top-level fields of the chunk that carried it (`system_fingerprint`, …), which the
    /// usage chunk passes through like every other chunk.
    Typed(Usage, JsonObject),
    /// The upstream's own usage chunk.
    Verbatim(VerbatimChunk),
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
            self.pending_usage = Some(PendingUsage::Typed(usage, chunk.extra.clone()));
        }
        let carries_nothing =
            chunk.choices.iter().all(|c| c.delta.is_empty() && c.finish_reason.is_none() && c.logprobs.is_null());
        if chunk.choices.is_empty() || carries_nothing {
            return;
        }
        chunk.usage = if self.include_usage { Some(None) } else { None };
        write_data(&chunk, out);
    }

    fn verbatim(&mut self, chunk: VerbatimChunk, out: &mut Vec<u8>) {
        if self.ended {
            return;
        }
        if self.identity.is_none() {
            self.identity = Some((chunk.id().to_owned(), chunk.created(), chunk.model().to_owned()));
        }
        if chunk.usage() == &UsageMember::Object {
            // Only a chunk without choices carries a usage object here (the check leaves other cases to the typed
            // path), and such a chunk is otherwise dropped.
            self.pending_usage = Some(PendingUsage::Verbatim(chunk));
            return;
        }
        if chunk.carries_nothing() {
            return;
        }
        self.write_verbatim(&chunk, out);
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
            match usage {
                PendingUsage::Typed(usage, extra) => {
                    let mut chunk = ChatCompletionChunk::usage_only(id, *created, model, usage);
                    chunk.extra = extra;
                    write_data(&chunk, out);
                }
                PendingUsage::Verbatim(chunk) => {
                    self.write_verbatim(&chunk, out);
                }
            }
        }
        out.extend_from_slice(b"data: [DONE]\n\n");
    }
}

impl OpenAiSseEncoder {
    /// A verbatim chunk's event (`data: …\n\n`) with the stream's identity and the client's usage choice:
    /// `"usage":null` on every chunk when it asked, no `usage` key when it did not (the usage chunk keeps its object).
    fn write_verbatim(&self, chunk: &VerbatimChunk, out: &mut Vec<u8>) {
        let (id, created) = match &self.identity {
            Some((id, created, _)) => {
                ((id != chunk.id()).then_some(id.as_str()), (*created != chunk.created()).then_some(*created))
            }
            None => (None, None),
        };
        let usage_null = (chunk.usage() != &UsageMember::Object).then_some(self.include_usage);
        out.extend_from_slice(b"data: ");
        chunk.write_edited(out, id, created, usage_null);
        out.extend_from_slice(b"\n\n");
    }
}
