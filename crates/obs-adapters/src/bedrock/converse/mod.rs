//! Converse / ConverseStream mapping between the internal OpenAI types and the SDK's own Converse types
//! (docs/reference/formats.md §7.5). Dispatch is in `strategy/converse.rs`.

pub(crate) mod reasoning;
pub(crate) mod request;
pub(crate) mod response;
pub(crate) mod stream;

/// Converse's token usage, cache reads and writes counted once (docs/reference/formats.md §8.3). Bedrock reports
/// `inputTokens` without the cached part (then `totalTokens` is the sum of all four); an upstream that includes it
/// (`totalTokens` = input + output) is read that way too, so nothing is counted twice.
pub(crate) fn usage(usage: &aws_sdk_bedrockruntime::types::TokenUsage) -> obs_models::openai::Usage {
    let count = |n: i32| u64::try_from(n).unwrap_or(0);
    let (input, output) = (count(usage.input_tokens), count(usage.output_tokens));
    let read = usage.cache_read_input_tokens.map_or(0, count);
    let write = usage.cache_write_input_tokens.map_or(0, count);
    let includes_cache = count(usage.total_tokens) == input + output && read + write > 0;
    let uncached = if includes_cache { input.saturating_sub(read + write) } else { input };
    obs_convert::bedrock::usage::InputTokens { uncached, cache_read: read, cache_write: write }.usage(output)
}

#[cfg(test)]
mod tests {
    use aws_sdk_bedrockruntime::types::TokenUsage;
    use serde_json::json;

    fn usage(input: i32, output: i32, total: i32, read: Option<i32>, write: Option<i32>) -> serde_json::Value {
        let usage = TokenUsage::builder()
            .input_tokens(input)
            .output_tokens(output)
            .total_tokens(total)
            .set_cache_read_input_tokens(read)
            .set_cache_write_input_tokens(write)
            .build()
            .unwrap();
        serde_json::to_value(super::usage(&usage)).unwrap()
    }

    #[test]
    fn cache_reads_and_writes_are_counted_once_whichever_way_input_is_reported() {
        let expected = json!({"prompt_tokens":1210,"completion_tokens":5,"total_tokens":1215,
            "prompt_tokens_details":{"cached_tokens":1000},"cache_read_input_tokens":1000,"cache_creation_input_tokens":200});
        // Bedrock's way: inputTokens without the cached part, totalTokens the sum of all.
        assert_eq!(usage(10, 5, 1215, Some(1000), Some(200)), expected);
        // inputTokens with the cached part inside (totalTokens = input + output): not counted twice.
        assert_eq!(usage(1210, 5, 1215, Some(1000), Some(200)), expected);
        assert_eq!(usage(3, 4, 7, None, None), json!({"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}));
    }
}
