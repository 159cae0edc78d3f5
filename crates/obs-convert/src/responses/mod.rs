//! The OpenAI Responses API (docs/reference/responses.md) over the internal chat format: a Responses request in
//! ([`request`]: input items → messages, tools, `text.format`, reasoning), the internal answer out as a response
//! object ([`answer`]), and the internal chunk stream out as the typed event sequence ([`stream`]). What continuing a
//! turn needs (Claude's thinking and its signature) travels in a reasoning item's `encrypted_content`
//! ([`reasoning`]).

pub mod answer;
pub mod reasoning;
pub mod request;
pub mod stream;

use rand::Rng;

/// `<prefix>_` followed by 48 random lowercase hex digits, the shape of OpenAI's Responses ids (`resp_…`, `msg_…`,
/// `fc_…`, `rs_…`).
pub fn new_id(prefix: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes: [u8; 24] = rand::rng().random();
    let mut id = String::with_capacity(prefix.len() + 49);
    id.push_str(prefix);
    id.push('_');
    for byte in bytes {
        id.push(char::from(HEX[usize::from(byte >> 4)]));
        id.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    id
}

/// Unix seconds now (0 before 1970).
pub(crate) fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}
