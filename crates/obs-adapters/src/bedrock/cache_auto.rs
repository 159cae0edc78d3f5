//! `cache.auto` (docs/reference/configuration.md, formats.md §7.11): cache breakpoints obs adds after the tools and
//! the system prompt for the models Bedrock caches explicitly, each once its part of the prompt reaches the model's
//! minimum ([`MIN_CACHEABLE_TOKENS`]). The breakpoints are then sent like the client's own.

use obs_convert::bedrock::caching;
use obs_models::openai::ChatCompletionRequest;

use crate::bedrock::Target;
use crate::bedrock::catalog::strip_geo;

/// The fewest tokens a cache checkpoint takes, by model id prefix (after any geo prefix); the first match wins.
/// Models not listed get no automatic breakpoints.
pub const MIN_CACHEABLE_TOKENS: [(&str, u64); 5] = [
    ("anthropic.claude-haiku-4-5", 4096),
    ("anthropic.claude-3-5-haiku", 2048),
    ("anthropic.claude-3-haiku", 2048),
    ("anthropic.claude", 1024),
    ("amazon.nova", 1000),
];

/// Adds the automatic breakpoints to `request` when its group's setting, else the provider's (`on`), says so and
/// the target caches.
pub(crate) fn apply(request: &mut ChatCompletionRequest, target: Target<'_>, on: bool) {
    if !request.cache_auto.unwrap_or(on) {
        return;
    }
    // An inference-profile ARN names its model after the last `/`.
    let id = strip_geo(target.known_as.rsplit('/').next().unwrap_or(target.known_as));
    let Some(&(_, min_tokens)) = MIN_CACHEABLE_TOKENS.iter().find(|(prefix, _)| id.starts_with(prefix)) else {
        return;
    };
    let added = caching::auto(request, min_tokens);
    if added > 0 {
        tracing::debug!(model = target.model_id, added, "cache.auto added cache breakpoints");
    }
}
