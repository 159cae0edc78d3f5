//! Which bare model ids are OpenAI's (contract §7): the prefixes of OpenAI's own model names. Any other id reaches an
//! OpenAI-compatible provider only by name (`vllm/…`), through a provider's `models` list, a group, or as the
//! default provider.

const PREFIXES: [&str; 9] = ["gpt-", "o1", "o3", "o4", "chatgpt-", "text-", "ft:", "dall-e", "codex-"];

/// Whether a bare model id names one of OpenAI's models.
///
/// ```
/// assert!(obs_adapters::openai::catalog::serves("gpt-4o-mini"));
/// assert!(!obs_adapters::openai::catalog::serves("llama3"));
/// ```
pub fn serves(model: &str) -> bool {
    PREFIXES.iter().any(|prefix| model.starts_with(prefix))
}
