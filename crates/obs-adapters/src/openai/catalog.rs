//! Which bare model ids are OpenAI's (docs/reference/formats.md §6): the prefixes of OpenAI's own model names. Any
//! other id reaches an OpenAI-compatible provider only by name (`vllm/…`), through a provider's `models` list, a group,
//! or as the default provider.

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

/// Families of an OpenAI-compatible upstream's models that do not chat: embeddings, moderation, speech, images.
const NOT_CHAT: [&str; 8] =
    ["text-embedding", "embedding", "text-moderation", "omni-moderation", "whisper", "tts-", "dall-e", "gpt-image"];

/// Whether an id from an upstream's model list is a chat model (`/v1/models` lists only what
/// `/v1/chat/completions` serves).
///
/// ```
/// use obs_adapters::openai::catalog::is_chat_model;
///
/// assert!(is_chat_model("gpt-4o") && is_chat_model("meta-llama/Llama-3.1-8B-Instruct"));
/// assert!(!is_chat_model("text-embedding-3-small") && !is_chat_model("whisper-1"));
/// ```
pub fn is_chat_model(id: &str) -> bool {
    !NOT_CHAT.iter().any(|family| id.starts_with(family))
}

/// Whether an id from an upstream's model list is an embedding model (`/v1/models` lists them beside the chat
/// models; `/v1/embeddings` serves them).
///
/// ```
/// use obs_adapters::openai::catalog::is_embedding_model;
///
/// assert!(is_embedding_model("text-embedding-3-small") && !is_embedding_model("gpt-4o"));
/// ```
pub fn is_embedding_model(id: &str) -> bool {
    id.starts_with("text-embedding") || id.starts_with("embedding")
}
