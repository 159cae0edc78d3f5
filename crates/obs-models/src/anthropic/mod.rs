//! The Anthropic Messages API as clients send it to `POST /v1/messages`: the thin request obs reads and forwards
//! ([`MessagesRequest`]), the error body and its table of statuses ([`AnthropicErrorBody`], [`error_kind`]), and the
//! `count_tokens` answer. The content blocks, answers and stream events are those of [`crate::claude`]: a Messages
//! body is the Bedrock Claude body plus `model` and `stream`, without `anthropic_version`.

mod error;
mod request;

pub use error::{AnthropicError, AnthropicErrorBody, error_code, error_kind};
pub use request::{CountTokensResponse, MessagesRequest};

/// The beta names of `anthropic-beta` that Bedrock refuses (`invalid beta flag`) or that name features of
/// Anthropic's own platform (Files API, MCP connector, server tools run by Anthropic, OAuth, batches): obs drops
/// them before the body goes to Claude on Bedrock instead of failing the request. Every other beta is forwarded in
/// the body's `anthropic_beta`. Kept in step with `docs/reference/messages.md` §4.
pub const BEDROCK_REJECTED_BETAS: [&str; 21] = [
    "claude-code-20250219",
    "oauth-2025-04-20",
    "files-api-2025-04-14",
    "mcp-client-2025-04-04",
    "mcp-client-2025-11-20",
    "mcp-servers-2025-12-04",
    "code-execution-2025-05-22",
    "code-execution-2025-08-25",
    "web-fetch-2025-09-10",
    "web-search-2025-03-05",
    "skills-2025-10-02",
    "advisor-tool-2026-03-01",
    "fast-mode-2026-02-01",
    "advanced-tool-use-2025-11-20",
    "structured-output-2024-03-01",
    "prompt-caching-scope-2026-01-05",
    "message-batches-2024-09-24",
    "prompt-caching-2024-07-31",
    "pdfs-2024-09-25",
    "token-counting-2024-11-01",
    "extended-cache-ttl-2025-04-11",
];

/// The `anthropic-beta` header (comma-separated, possibly repeated) as a list, each name trimmed, empty names
/// left out, in the order given.
///
/// ```
/// use obs_models::anthropic::parse_betas;
///
/// assert_eq!(parse_betas(["a-1, b-2", "c-3,"]), vec!["a-1", "b-2", "c-3"]);
/// ```
pub fn parse_betas<'a>(headers: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    headers
        .into_iter()
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The betas to send to Claude on Bedrock: those of [`BEDROCK_REJECTED_BETAS`] left out, each name once.
///
/// ```
/// use obs_models::anthropic::bedrock_betas;
///
/// let betas = ["claude-code-20250219".to_owned(), "interleaved-thinking-2025-05-14".to_owned()];
/// assert_eq!(bedrock_betas(&betas), vec!["interleaved-thinking-2025-05-14"]);
/// ```
pub fn bedrock_betas(betas: &[String]) -> Vec<&str> {
    let mut kept: Vec<&str> = Vec::with_capacity(betas.len());
    for beta in betas {
        if !BEDROCK_REJECTED_BETAS.contains(&beta.as_str()) && !kept.contains(&beta.as_str()) {
            kept.push(beta);
        }
    }
    kept
}
