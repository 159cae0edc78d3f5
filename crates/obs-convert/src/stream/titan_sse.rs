use obs_models::error::ErrorBody;
use obs_models::openai::{ChatCompletionChunk, FinishReason};
use obs_models::titan::TitanStreamChunk;

use super::{StreamEncoder, write_data};
use crate::finish;

/// Titan chunks (docs/reference/formats.md §9.3): one `data:` event per text delta (the first also carries
/// `inputTextTokenCount` when the upstream reported it by then), then a final event with `totalOutputTextTokenCount`
/// and `completionReason` (and `inputTextTokenCount` if it was not sent yet). No `[DONE]`. Tool calls cannot be
/// expressed and are dropped ([`StreamEncoder::dropped_tool_calls`]).
#[derive(Debug, Default)]
pub struct TitanChunkEncoder {
    input_tokens: Option<u64>,
    input_tokens_sent: bool,
    output_tokens: u64,
    finish_reason: Option<FinishReason>,
    dropped_tool_calls: bool,
    /// A guarded stream's outcome as Bedrock's own keys on the last chunk (`crate::guardrail`).
    guardrail: obs_models::JsonObject,
    ended: bool,
}

impl TitanChunkEncoder {
    /// A new encoder.
    pub fn new() -> Self {
        Self::default()
    }

    fn event(&mut self, text: String, final_reason: Option<&str>, extra: obs_models::JsonObject, out: &mut Vec<u8>) {
        let input_text_token_count = if self.input_tokens_sent { None } else { self.input_tokens };
        self.input_tokens_sent |= input_text_token_count.is_some();
        write_data(
            &TitanStreamChunk {
                output_text: text,
                index: 0,
                total_output_text_token_count: final_reason.map(|_| self.output_tokens),
                completion_reason: final_reason.map(str::to_owned),
                input_text_token_count,
                extra,
            },
            out,
        );
    }
}

impl StreamEncoder for TitanChunkEncoder {
    fn chunk(&mut self, chunk: ChatCompletionChunk, out: &mut Vec<u8>) {
        if self.ended {
            return;
        }
        if let Some(hint) = chunk.prompt_tokens_hint {
            self.input_tokens.get_or_insert(hint);
        }
        if let Some(Some(usage)) = &chunk.usage {
            self.input_tokens = Some(usage.prompt_tokens);
            self.output_tokens = usage.completion_tokens;
        }
        self.guardrail.extend(crate::guardrail::bedrock_keys(&chunk.extra).into_iter().map(|(k, v)| (k.to_owned(), v)));
        for choice in chunk.choices.into_iter().filter(|c| c.index == 0) {
            self.dropped_tool_calls |= choice.delta.tool_calls.is_some();
            if let Some(text) = choice.delta.content.filter(|t| !t.is_empty()) {
                self.event(text, None, Default::default(), out);
            }
            if choice.finish_reason.is_some() {
                self.finish_reason = choice.finish_reason;
            }
        }
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
        let reason = finish::to_titan(self.finish_reason.as_ref());
        let guardrail = std::mem::take(&mut self.guardrail);
        self.event(String::new(), Some(reason), guardrail, out);
    }

    fn dropped_tool_calls(&self) -> bool {
        self.dropped_tool_calls
    }
}
