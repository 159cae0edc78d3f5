//! The thinking blocks of Claude's tool turns, kept for clients that drop them (docs/reference/formats.md §7.10):
//! many OpenAI-format clients rebuild the conversation from `content` and `tool_calls` only, and Claude refuses a
//! thinking-enabled tool turn that does not start with its signed thinking block. Keyed by the turn's first
//! tool-call id, bounded in entries and expiring, in this process only (another replica starts empty, and the
//! request is then sent without thinking).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use obs_models::claude::ContentBlock;
use serde_json::Value;

/// Entries kept at most; the oldest go first beyond it.
pub(crate) const CAPACITY: usize = 10_000;
/// How long a tool turn's thinking is kept.
pub(crate) const TTL: Duration = Duration::from_secs(3600);

#[derive(Debug, Default)]
pub(crate) struct ThinkingCache {
    entries: Mutex<HashMap<String, (Instant, Vec<ContentBlock>)>>,
}

impl ThinkingCache {
    /// Keeps `blocks` for the tool turn whose first call is `tool_call_id`.
    pub(crate) fn keep(&self, tool_call_id: &str, blocks: Vec<ContentBlock>) {
        if blocks.is_empty() {
            return;
        }
        let Ok(mut entries) = self.entries.lock() else { return };
        let now = Instant::now();
        entries.retain(|_, (at, _)| now.duration_since(*at) < TTL);
        if entries.len() >= CAPACITY
            && let Some(oldest) = entries.iter().min_by_key(|(_, (at, _))| *at).map(|(id, _)| id.clone())
        {
            entries.remove(&oldest);
        }
        entries.insert(tool_call_id.to_owned(), (now, blocks));
    }

    /// The blocks kept for the tool turn whose first call is `tool_call_id`, if still fresh.
    pub(crate) fn restore(&self, tool_call_id: &str) -> Option<Vec<ContentBlock>> {
        let entries = self.entries.lock().ok()?;
        let (at, blocks) = entries.get(tool_call_id)?;
        (at.elapsed() < TTL).then(|| blocks.clone())
    }

    /// Keeps an answer's `thinking_blocks` (as obs writes them) under its first tool call's id.
    pub(crate) fn keep_answer(&self, thinking_blocks: Option<&Value>, first_tool_call_id: Option<&str>) {
        let (Some(blocks), Some(id)) = (thinking_blocks, first_tool_call_id) else { return };
        if let Ok(blocks) = serde_json::from_value::<Vec<ContentBlock>>(blocks.clone()) {
            self.keep(id, blocks);
        }
    }
}

#[cfg(test)]
mod tests {
    use obs_models::claude::ThinkingBlock;

    use super::*;

    fn block(text: &str) -> Vec<ContentBlock> {
        vec![ContentBlock::Thinking(ThinkingBlock { thinking: text.into(), signature: Some("s".into()) })]
    }

    #[test]
    fn kept_blocks_come_back_and_the_oldest_go_first_at_capacity() {
        let cache = ThinkingCache::default();
        assert_eq!(cache.restore("toolu_1"), None);
        cache.keep("toolu_1", block("a"));
        assert_eq!(cache.restore("toolu_1"), Some(block("a")));
        for i in 0..CAPACITY {
            cache.keep(&format!("t{i}"), block("x"));
        }
        assert_eq!(cache.restore("toolu_1"), None, "the oldest entry made room");
        assert!(cache.restore(&format!("t{}", CAPACITY - 1)).is_some());
        cache.keep("empty", Vec::new());
        assert_eq!(cache.restore("empty"), None);
    }
}
