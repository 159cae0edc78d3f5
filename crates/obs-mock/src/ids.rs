//! Identifiers and timestamps shaped like the real APIs' (`chatcmpl-` + 29 base62, `call_` + 24, Bedrock Claude's
//! `msg_bdrk_01…` and `toolu_bdrk_01…`, Converse's `tooluse_` + 22), derived from a seed and the request's sequence
//! number: they never count up, yet a fixed [`crate::MockConfig::id_seed`] makes them reproducible.

use std::hash::{BuildHasher, Hasher};
use std::time::{SystemTime, UNIX_EPOCH};

/// OpenAI's `system_fingerprint`: one per backend configuration, so one per emulator.
pub(crate) const FINGERPRINT: &str = "fp_5f2b9c04d1";

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A seed that differs between processes and between emulators of one process.
pub(crate) fn random_seed() -> u64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    hasher.write_u128(nanos);
    hasher.write_u32(std::process::id());
    hasher.finish()
}

/// Unix seconds now (`created` of OpenAI answers).
pub(crate) fn now_unix() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// The ids of one request's answer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestIds {
    seed: u64,
    seq: u64,
}

/// Kinds of id, so one request's ids of different kinds are unrelated.
#[derive(Debug, Clone, Copy)]
enum Kind {
    ChatCompletion = 1,
    Call = 2,
    ClaudeMessage = 3,
    ClaudeToolUse = 4,
    ConverseToolUse = 5,
}

impl RequestIds {
    pub(crate) fn new(seed: u64, seq: u64) -> RequestIds {
        RequestIds { seed, seq }
    }

    /// `chatcmpl-` + 29 base62.
    pub(crate) fn chat_completion(self) -> String {
        format!("chatcmpl-{}", self.base62(Kind::ChatCompletion, 0, 29))
    }

    /// `call_` + 24 base62: the OpenAI tool call at `index`.
    pub(crate) fn call(self, index: usize) -> String {
        format!("call_{}", self.base62(Kind::Call, index, 24))
    }

    /// `msg_bdrk_01` + 22 base62 (Claude on Bedrock).
    pub(crate) fn claude_message(self) -> String {
        format!("msg_bdrk_01{}", self.base62(Kind::ClaudeMessage, 0, 22))
    }

    /// `toolu_bdrk_01` + 22 base62 (Claude on Bedrock).
    pub(crate) fn claude_tool_use(self, index: usize) -> String {
        format!("toolu_bdrk_01{}", self.base62(Kind::ClaudeToolUse, index, 22))
    }

    /// `tooluse_` + 22 base62 (Converse).
    pub(crate) fn converse_tool_use(self, index: usize) -> String {
        format!("tooluse_{}", self.base62(Kind::ConverseToolUse, index, 22))
    }

    fn base62(self, kind: Kind, index: usize, len: usize) -> String {
        let mut state = self.seed
            ^ splitmix(self.seq)
            ^ splitmix((kind as u64) << 32 | u64::try_from(index).unwrap_or(u64::MAX) & 0xffff_ffff);
        (0..len)
            .map(|_| {
                state = splitmix(state);
                // The modulo bias of 2^64 over 62 is far below anything a reader of ids could notice.
                char::from(BASE62[usize::try_from(state % 62).unwrap_or(0)])
            })
            .collect()
    }
}

/// SplitMix64's finaliser: a cheap, well-mixed bijection of u64.
fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_and_spread() {
        let ids = RequestIds::new(7, 0);
        assert_eq!(ids.chat_completion().len(), "chatcmpl-".len() + 29);
        assert_eq!(ids.call(0).len(), "call_".len() + 24);
        assert_eq!(ids.claude_message().len(), "msg_bdrk_".len() + 24);
        assert_eq!(ids.claude_tool_use(0).len(), "toolu_bdrk_".len() + 24);
        assert_eq!(ids.converse_tool_use(0).len(), "tooluse_".len() + 22);
        assert_ne!(ids.call(0), ids.call(1));
        assert_ne!(ids.chat_completion(), RequestIds::new(7, 1).chat_completion());
        assert_eq!(ids.chat_completion(), RequestIds::new(7, 0).chat_completion());
        assert_ne!(ids.chat_completion(), RequestIds::new(8, 0).chat_completion());
        assert!(ids.chat_completion()[9..].bytes().all(|b| b.is_ascii_alphanumeric()));
    }
}
