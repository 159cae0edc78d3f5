//! Prompt caching as Claude on Bedrock reports it: the prompt up to the last `cache_control` breakpoint (tools,
//! then system, then messages) is written to the cache the first time an emulator sees it and read from it after
//! that. Usage then splits the input into `input_tokens` (after the breakpoint), `cache_creation_input_tokens` and
//! `cache_read_input_tokens`, whose sum is the whole input — what CountTokens counts.

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Mutex, OnceLock, PoisonError};

use serde_json::Value;

use crate::plan::count_words;

/// Prefixes seen, per emulator (its id seed) — one process may run several.
fn seen() -> &'static Mutex<HashSet<(u64, u64)>> {
    static SEEN: OnceLock<Mutex<HashSet<(u64, u64)>>> = OnceLock::new();
    SEEN.get_or_init(Mutex::default)
}

/// The usage split of a request whose whole input is `input_tokens`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CacheUsage {
    pub input_tokens: u64,
    pub creation: u64,
    pub read: u64,
}

/// Looks the request's cached prefix up (and records it) for the emulator of `seed`.
pub(crate) fn usage(request: &Value, input_tokens: u64, seed: u64) -> CacheUsage {
    split(cached_prefix(request), input_tokens, seed)
}

/// [`usage`] for a Converse request, whose prefix ends at its last `cachePoint` block (tools, then system, then
/// messages, as Converse orders the prompt).
pub(crate) fn converse_usage(request: &Value, input_tokens: u64, seed: u64) -> CacheUsage {
    let array = |pointer: &str| request.pointer(pointer).and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
    let mut parts: Vec<&Value> = Vec::new();
    parts.extend(array("/toolConfig/tools"));
    parts.extend(array("/system"));
    for message in array("/messages") {
        parts.extend(message.get("content").and_then(Value::as_array).into_iter().flatten());
    }
    split(prefix_up_to(&parts, |part| part.get("cachePoint").is_some()), input_tokens, seed)
}

fn split(prefix: Option<(u64, u64)>, input_tokens: u64, seed: u64) -> CacheUsage {
    let Some((prefix_words, key)) = prefix else {
        return CacheUsage { input_tokens, creation: 0, read: 0 };
    };
    let cached = prefix_words.min(input_tokens.saturating_sub(1));
    let fresh = seen().lock().unwrap_or_else(PoisonError::into_inner).insert((seed, key));
    let rest = input_tokens - cached;
    if fresh {
        CacheUsage { input_tokens: rest, creation: cached, read: 0 }
    } else {
        CacheUsage { input_tokens: rest, creation: 0, read: cached }
    }
}

/// Words up to and including the last block marked `cache_control`, and a hash of that prefix.
fn cached_prefix(request: &Value) -> Option<(u64, u64)> {
    let mut parts: Vec<&Value> = Vec::new();
    let array = |key: &str| request.get(key).and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
    parts.extend(array("tools"));
    parts.extend(array("system"));
    for message in array("messages") {
        match message.get("content") {
            Some(Value::Array(blocks)) => parts.extend(blocks),
            Some(other) => parts.push(other),
            None => {}
        }
    }
    prefix_up_to(&parts, |part| part.get("cache_control").is_some())
}

/// Words up to and including the last part `marks`, and a hash of that prefix.
fn prefix_up_to(parts: &[&Value], marks: impl Fn(&Value) -> bool) -> Option<(u64, u64)> {
    let last = parts.iter().rposition(|part| marks(part))?;
    let mut hasher = DefaultHasher::new();
    let mut words = 0;
    for part in &parts[..=last] {
        part.to_string().hash(&mut hasher);
        words += words_in(part);
    }
    Some((words, hasher.finish()))
}

fn words_in(part: &Value) -> u64 {
    match part {
        Value::String(text) => count_words(text),
        _ => ["text", "description", "content", "toolSpec"]
            .iter()
            .filter_map(|key| part.get(*key))
            .map(|value| match value {
                Value::String(text) => count_words(text),
                Value::Array(items) => items.iter().map(words_in).sum(),
                Value::Object(_) => words_in(value),
                _ => 0,
            })
            .sum(),
    }
}
