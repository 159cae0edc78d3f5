//! Token usage with prompt caching, counted as OpenAI counts it (docs/reference/formats.md §8.3): Bedrock reports
//! uncached input, cache reads and cache writes apart; `prompt_tokens` is their sum, `prompt_tokens_details
//! .cached_tokens` the reads, and the reads and writes also appear as `cache_read_input_tokens` /
//! `cache_creation_input_tokens` (Anthropic's names), so no client has to guess which convention applies.

use obs_models::openai::Usage;
use serde_json::{Value, json};

/// Input counted three ways by Bedrock.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InputTokens {
    /// Input neither read from nor written to the cache.
    pub uncached: u64,
    /// Input read from the cache.
    pub cache_read: u64,
    /// Input written to the cache.
    pub cache_write: u64,
}

impl InputTokens {
    /// Claude's `usage` (`input_tokens`, `cache_read_input_tokens`, `cache_creation_input_tokens`).
    pub fn from_claude(input_tokens: u64, extra: &obs_models::JsonObject) -> Self {
        let count = |key: &str| extra.get(key).and_then(Value::as_u64).unwrap_or(0);
        InputTokens {
            uncached: input_tokens,
            cache_read: count("cache_read_input_tokens"),
            cache_write: count("cache_creation_input_tokens"),
        }
    }

    /// The usage of an answer with `completion` output tokens.
    pub fn usage(self, completion: u64) -> Usage {
        let prompt = self.uncached.saturating_add(self.cache_read).saturating_add(self.cache_write);
        let mut usage = Usage::new(prompt, completion);
        if self.cache_read > 0 || self.cache_write > 0 {
            usage.extra.insert("prompt_tokens_details".to_owned(), json!({"cached_tokens": self.cache_read}));
            usage.extra.insert("cache_read_input_tokens".to_owned(), json!(self.cache_read));
            usage.extra.insert("cache_creation_input_tokens".to_owned(), json!(self.cache_write));
        }
        usage
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_input_is_inside_prompt_tokens_and_named_both_ways() {
        let usage = InputTokens { uncached: 10, cache_read: 1000, cache_write: 200 }.usage(5);
        assert_eq!(
            serde_json::to_value(usage).unwrap(),
            json!({"prompt_tokens":1210,"completion_tokens":5,"total_tokens":1215,
                "prompt_tokens_details":{"cached_tokens":1000},"cache_read_input_tokens":1000,
                "cache_creation_input_tokens":200})
        );
        let plain = InputTokens { uncached: 3, ..InputTokens::default() }.usage(4);
        assert_eq!(
            serde_json::to_value(plain).unwrap(),
            json!({"prompt_tokens":3,"completion_tokens":4,"total_tokens":7})
        );
    }
}
