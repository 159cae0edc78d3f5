//! The token counts of one answer, read from whichever API's `usage` it carries — OpenAI chat completions and
//! Responses, Anthropic Messages, Bedrock Converse and InvokeModel's invocation metrics — into one shape, for usage
//! records (docs/reference/keys.md §8). `input` always counts every input token, cached or not, as OpenAI's
//! `prompt_tokens` does; APIs that count cache reads and writes beside their input (Anthropic, Converse) are added up.

use serde_json::Value;

/// One answer's tokens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenCounts {
    /// Every input token: uncached, read from the cache, written to it.
    pub input: u64,
    /// Input tokens read from the prompt cache.
    pub cache_read: u64,
    /// Input tokens written to the prompt cache.
    pub cache_write: u64,
    /// Output tokens, reasoning included.
    pub output: u64,
    /// Output tokens spent reasoning, where the upstream says.
    pub reasoning: u64,
}

fn number(object: &Value, names: &[&str]) -> Option<u64> {
    names.iter().find_map(|name| object.get(*name).and_then(Value::as_u64))
}

impl TokenCounts {
    /// Counts from one `usage` object of any of the shapes above; `None` when it holds no token count.
    pub fn from_usage(usage: &Value) -> Option<Self> {
        let input = number(usage, &["prompt_tokens", "input_tokens", "inputTokens", "inputTokenCount"]);
        let output = number(usage, &["completion_tokens", "output_tokens", "outputTokens", "outputTokenCount"]);
        if input.is_none() && output.is_none() {
            return None;
        }
        // OpenAI's shapes (chat, Responses) report cache reads inside their input, in a details object.
        let details = usage.get("prompt_tokens_details").or_else(|| usage.get("input_tokens_details"));
        let details_read = details.and_then(|d| number(d, &["cached_tokens"]));
        let beside_read =
            number(usage, &["cache_read_input_tokens", "cacheReadInputTokens", "cacheReadInputTokenCount"]);
        let write =
            number(usage, &["cache_creation_input_tokens", "cacheWriteInputTokens", "cacheWriteInputTokenCount"])
                .unwrap_or(0);
        let input = input.unwrap_or(0);
        let (input, cache_read) = match (details_read, beside_read) {
            // Anthropic and Converse: input counts only the uncached part.
            (None, Some(read)) => (input + read + write, read),
            (None, None) if usage.get("prompt_tokens").is_none() && usage.get("input_tokens_details").is_none() => {
                (input + write, 0)
            }
            (read, _) => (input, read.unwrap_or(0)),
        };
        let reasoning = usage
            .get("completion_tokens_details")
            .or_else(|| usage.get("output_tokens_details"))
            .and_then(|d| number(d, &["reasoning_tokens"]))
            .unwrap_or(0);
        Some(TokenCounts { input, cache_read, cache_write: write, output: output.unwrap_or(0), reasoning })
    }

    /// Counts from a whole answer's JSON: its top-level `usage` (chat, Responses, Messages, Converse, embeddings),
    /// a `message_start` event's `message.usage`, a Responses event's `response.usage`, or InvokeModel's
    /// `amazon-bedrock-invocationMetrics`. Only those members are built; the rest of the document is skipped
    /// without allocating (an answer can be large, and this runs once per answer).
    pub fn from_answer(json: &[u8]) -> Option<Self> {
        #[derive(serde::Deserialize)]
        struct Inner {
            usage: Option<Value>,
        }
        #[derive(serde::Deserialize)]
        struct Shapes {
            usage: Option<Value>,
            message: Option<Inner>,
            response: Option<Inner>,
            #[serde(rename = "amazon-bedrock-invocationMetrics")]
            metrics: Option<Value>,
        }
        let shapes: Shapes = serde_json::from_slice(json).ok()?;
        shapes
            .usage
            .filter(Value::is_object)
            .or_else(|| shapes.message.and_then(|m| m.usage))
            .or_else(|| shapes.response.and_then(|r| r.usage))
            .as_ref()
            .and_then(Self::from_usage)
            .or_else(|| shapes.metrics.as_ref().and_then(Self::from_usage))
    }

    /// [`TokenCounts::from_answer`] of a parsed value.
    pub fn from_answer_value(value: &Value) -> Option<Self> {
        value
            .get("usage")
            .filter(|u| u.is_object())
            .or_else(|| value.get("message").and_then(|m| m.get("usage")))
            .or_else(|| value.get("response").and_then(|r| r.get("usage")))
            .and_then(Self::from_usage)
            .or_else(|| value.get("amazon-bedrock-invocationMetrics").and_then(Self::from_usage))
    }

    /// Folds a later report of the same answer in: a stream reports input first (Anthropic's `message_start`) and
    /// output last (`message_delta`, cumulative), so each count keeps the largest seen.
    pub fn merge(&mut self, later: TokenCounts) {
        self.input = self.input.max(later.input);
        self.cache_read = self.cache_read.max(later.cache_read);
        self.cache_write = self.cache_write.max(later.cache_write);
        self.output = self.output.max(later.output);
        self.reasoning = self.reasoning.max(later.reasoning);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn counts(input: u64, cache_read: u64, cache_write: u64, output: u64, reasoning: u64) -> Option<TokenCounts> {
        Some(TokenCounts { input, cache_read, cache_write, output, reasoning })
    }

    #[test]
    fn every_api_s_usage_shape_adds_up_the_same_way() {
        let table = [
            // OpenAI chat: cached inside prompt_tokens.
            (
                json!({"usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120,
                "prompt_tokens_details": {"cached_tokens": 60}, "completion_tokens_details": {"reasoning_tokens": 5}}}),
                counts(100, 60, 0, 20, 5),
            ),
            // obs's chat answers from Claude: cached inside prompt_tokens, writes beside as well.
            (
                json!({"usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120,
                "prompt_tokens_details": {"cached_tokens": 60}, "cache_read_input_tokens": 60,
                "cache_creation_input_tokens": 30}}),
                counts(100, 60, 30, 20, 0),
            ),
            // Responses.
            (
                json!({"usage": {"input_tokens": 50, "output_tokens": 9, "total_tokens": 59,
                "input_tokens_details": {"cached_tokens": 10}, "output_tokens_details": {"reasoning_tokens": 4}}}),
                counts(50, 10, 0, 9, 4),
            ),
            // Anthropic Messages: input is the uncached part.
            (
                json!({"usage": {"input_tokens": 10, "cache_read_input_tokens": 60, "cache_creation_input_tokens": 30,
                "output_tokens": 20}}),
                counts(100, 60, 30, 20, 0),
            ),
            (
                json!({"type": "message_start", "message": {"usage": {"input_tokens": 7, "output_tokens": 1}}}),
                counts(7, 0, 0, 1, 0),
            ),
            // Converse.
            (
                json!({"usage": {"inputTokens": 10, "outputTokens": 5, "totalTokens": 75, "cacheReadInputTokens": 40,
                "cacheWriteInputTokens": 20}}),
                counts(70, 40, 20, 5, 0),
            ),
            // InvokeModel's last stream chunk.
            (
                json!({"type": "message_stop", "amazon-bedrock-invocationMetrics": {"inputTokenCount": 12,
                "outputTokenCount": 3, "invocationLatency": 100}}),
                counts(12, 0, 0, 3, 0),
            ),
            // Embeddings.
            (json!({"usage": {"prompt_tokens": 8, "total_tokens": 8}}), counts(8, 0, 0, 0, 0)),
            (json!({"usage": null}), None),
            (json!({"choices": []}), None),
        ];
        for (answer, expected) in table {
            assert_eq!(TokenCounts::from_answer(answer.to_string().as_bytes()), expected, "{answer}");
        }
    }

    #[test]
    fn a_stream_s_reports_merge_to_the_largest_of_each() {
        let mut total = TokenCounts { input: 7, output: 1, ..TokenCounts::default() };
        total.merge(TokenCounts { output: 30, ..TokenCounts::default() });
        assert_eq!(total, TokenCounts { input: 7, output: 30, ..TokenCounts::default() });
    }
}
