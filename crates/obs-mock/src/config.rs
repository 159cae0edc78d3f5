use std::time::Duration;

/// Knobs of the emulator. The defaults answer at once; benchmarks set delays and reply sizes.
#[derive(Debug, Clone)]
pub struct MockConfig {
    /// Wait before the first byte of every answer.
    pub first_byte_delay: Duration,
    /// Wait between stream events.
    pub chunk_delay: Duration,
    /// When set, the default reply is exactly this many chunks long (benchmarks).
    pub chunks: Option<usize>,
    /// Words per streamed text chunk (default 1).
    pub tokens_per_chunk: usize,
    /// The only OpenAI key accepted; `None` accepts any non-empty Bearer token.
    pub openai_api_key: Option<String>,
    /// How many requests the recorder keeps.
    pub record_limit: usize,
    /// How long the `timeout` scenario keeps an OpenAI request waiting (bounded so nothing hangs forever).
    pub hang: Duration,
    /// Seed of the ids the emulator mints (`chatcmpl-…`, `call_…`, `msg_bdrk_…`, `toolu_bdrk_…`,
    /// `tooluse_…`). `None` (the default) draws one per emulator, so ids differ between runs; a fixed seed makes
    /// every id a function of the request's sequence number.
    pub id_seed: Option<u64>,
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            first_byte_delay: Duration::ZERO,
            chunk_delay: Duration::ZERO,
            chunks: None,
            tokens_per_chunk: 1,
            openai_api_key: None,
            record_limit: 256,
            hang: Duration::from_secs(30),
            id_seed: None,
        }
    }
}

/// The access key id the mock refuses (`UnrecognizedClientException`), to exercise bad gateway credentials.
pub const REJECTED_ACCESS_KEY_ID: &str = "AKIDREJECTED";

/// The Bedrock API key the mock refuses (`AccessDeniedException`); any other bearer token is accepted.
pub const REJECTED_BEDROCK_API_KEY: &str = "rejected-bedrock-api-key";
