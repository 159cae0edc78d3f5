//! `[responses]`: where stored Responses API answers live (docs/reference/responses.md §8).

use serde::Deserialize;

/// `[responses]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ResponsesSection {
    /// `RESPONSES_STORE_URL`: `sqlite://<path>` (the default, `sqlite://obs-responses.db` in the working directory;
    /// in-memory in demo mode) or `postgres://user:password@host:port/db` for several replicas.
    pub store_url: Option<String>,
    /// `RESPONSES_STORE_DAYS`: days a stored response is kept (default 30, as OpenAI's); 0 keeps it until deleted.
    pub store_days: u64,
}

impl Default for ResponsesSection {
    fn default() -> Self {
        ResponsesSection { store_url: None, store_days: 30 }
    }
}
