//! The token counts of one answer, read from whichever API's `usage` it carries — OpenAI chat completions and
//! Responses, Anthropic Messages, Bedrock Converse and InvokeModel's invocation metrics — into one shape, for usage
//! records (docs/reference/keys.md §8). `input` always counts every input token, cached or not, as OpenAI's
//! `prompt_tokens` does; APIs that count cache reads and writes beside their input (Anthropic, Converse) are added up.

use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
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

/// A count as the APIs write it: a non-negative integer; anything else (a float, a string, null) counts as absent,
/// as `Value::as_u64` would have it — without building a `Value`.
#[derive(Debug, Default, Clone, Copy)]
struct Count(Option<u64>);

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> Visitor<'de> for Visit {
            type Value = Count;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a token count")
            }
            fn visit_u64<E>(self, n: u64) -> Result<Count, E> {
                Ok(Count(Some(n)))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Count, E> {
                Ok(Count(u64::try_from(n).ok()))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Count, E> {
                Ok(Count(None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Count, E> {
                Ok(Count(None))
            }
            fn visit_str<E>(self, _: &str) -> Result<Count, E> {
                Ok(Count(None))
            }
            fn visit_unit<E>(self) -> Result<Count, E> {
                Ok(Count(None))
            }
            fn visit_none<E>(self) -> Result<Count, E> {
                Ok(Count(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Count, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Count(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Count, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Count(None))
            }
        }
        deserializer.deserialize_any(Visit)
    }
}

/// A `…_details` object: the counts obs reads of it.
#[derive(Debug, Default, Deserialize)]
struct Details {
    #[serde(default)]
    cached_tokens: Count,
    #[serde(default)]
    reasoning_tokens: Count,
}

/// Every member of a `usage` object of any API that obs reads, by its name in each API; the rest is skipped.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
#[allow(non_snake_case)]
struct UsageFields {
    prompt_tokens: Option<Count>,
    input_tokens: Count,
    inputTokens: Count,
    inputTokenCount: Count,
    completion_tokens: Count,
    output_tokens: Count,
    outputTokens: Count,
    outputTokenCount: Count,
    prompt_tokens_details: Option<Lenient<Details>>,
    input_tokens_details: Option<Lenient<Details>>,
    completion_tokens_details: Option<Lenient<Details>>,
    output_tokens_details: Option<Lenient<Details>>,
    cache_read_input_tokens: Count,
    cacheReadInputTokens: Count,
    cacheReadInputTokenCount: Count,
    cache_creation_input_tokens: Count,
    cacheWriteInputTokens: Count,
    cacheWriteInputTokenCount: Count,
}

/// An object read as `T`, or absent when the member is something else (`"usage": 3`, `"usage": null`).
#[derive(Debug)]
struct Lenient<T>(Option<T>);

impl<T> Default for Lenient<T> {
    fn default() -> Self {
        Lenient(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for Visit<T> {
            type Value = Lenient<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Lenient<T>, A::Error> {
                T::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(|t| Lenient(Some(t)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Lenient<T>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Lenient(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Lenient<T>, E> {
                Ok(Lenient(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Lenient<T>, E> {
                Ok(Lenient(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Lenient<T>, E> {
                Ok(Lenient(None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Lenient<T>, E> {
                Ok(Lenient(None))
            }
            fn visit_str<E>(self, _: &str) -> Result<Lenient<T>, E> {
                Ok(Lenient(None))
            }
            fn visit_unit<E>(self) -> Result<Lenient<T>, E> {
                Ok(Lenient(None))
            }
            fn visit_none<E>(self) -> Result<Lenient<T>, E> {
                Ok(Lenient(None))
            }
        }
        deserializer.deserialize_any(Visit(std::marker::PhantomData))
    }
}

fn details(details: Option<&Lenient<Details>>) -> Option<&Details> {
    details.and_then(|d| d.0.as_ref())
}

impl UsageFields {
    fn counts(&self) -> Option<TokenCounts> {
        let first = |counts: &[Count]| counts.iter().find_map(|c| c.0);
        let prompt = self.prompt_tokens.and_then(|c| c.0);
        let input = prompt.or_else(|| first(&[self.input_tokens, self.inputTokens, self.inputTokenCount]));
        let output = first(&[self.completion_tokens, self.output_tokens, self.outputTokens, self.outputTokenCount]);
        if input.is_none() && output.is_none() {
            return None;
        }
        // OpenAI's shapes (chat, Responses) report cache reads inside their input, in a details object.
        let input_details =
            details(self.prompt_tokens_details.as_ref()).or_else(|| details(self.input_tokens_details.as_ref()));
        let details_read = input_details.and_then(|d| d.cached_tokens.0);
        let beside_read =
            first(&[self.cache_read_input_tokens, self.cacheReadInputTokens, self.cacheReadInputTokenCount]);
        let write =
            first(&[self.cache_creation_input_tokens, self.cacheWriteInputTokens, self.cacheWriteInputTokenCount])
                .unwrap_or(0);
        let input = input.unwrap_or(0);
        let (input, cache_read) = match (details_read, beside_read) {
            // Anthropic and Converse: input counts only the uncached part.
            (None, Some(read)) => (input + read + write, read),
            (None, None) if self.prompt_tokens.is_none() && self.input_tokens_details.is_none() => (input + write, 0),
            (read, _) => (input, read.unwrap_or(0)),
        };
        let reasoning = details(self.completion_tokens_details.as_ref())
            .or_else(|| details(self.output_tokens_details.as_ref()))
            .and_then(|d| d.reasoning_tokens.0)
            .unwrap_or(0);
        Some(TokenCounts { input, cache_read, cache_write: write, output: output.unwrap_or(0), reasoning })
    }
}

impl TokenCounts {
    /// Counts from one `usage` object of any of the shapes above; `None` when it holds no token count.
    pub fn from_usage(usage: &Value) -> Option<Self> {
        Lenient::<UsageFields>::deserialize(usage).ok()?.0?.counts()
    }

    /// Counts from a whole answer's JSON: its top-level `usage` (chat, Responses, Messages, Converse, embeddings),
    /// a `message_start` event's `message.usage`, a Responses event's `response.usage`, or InvokeModel's
    /// `amazon-bedrock-invocationMetrics`. Only the counts are read — into fixed fields, nothing built — and the rest
    /// of the document is skipped (an answer can be large, and this runs once per answer).
    pub fn from_answer(json: &[u8]) -> Option<Self> {
        #[derive(Deserialize)]
        struct Inner {
            #[serde(default)]
            usage: Lenient<UsageFields>,
        }
        #[derive(Deserialize)]
        struct Shapes {
            #[serde(default)]
            usage: Lenient<UsageFields>,
            #[serde(default)]
            message: Lenient<Inner>,
            #[serde(default)]
            response: Lenient<Inner>,
            #[serde(rename = "amazon-bedrock-invocationMetrics", default)]
            metrics: Lenient<UsageFields>,
        }
        let shapes: Shapes = serde_json::from_slice(json).ok()?;
        let inner = |inner: Lenient<Inner>| inner.0.and_then(|i| i.usage.0);
        shapes
            .usage
            .0
            .or_else(|| inner(shapes.message))
            .or_else(|| inner(shapes.response))
            .and_then(|usage| usage.counts())
            .or_else(|| shapes.metrics.0.and_then(|m| m.counts()))
    }

    /// Counts from one `usage` object's JSON text (as [`TokenCounts::from_usage`]).
    pub fn from_usage_json(json: &[u8]) -> Option<Self> {
        serde_json::from_slice::<Lenient<UsageFields>>(json).ok()?.0?.counts()
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
