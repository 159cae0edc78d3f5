//! `encrypted_content` of the reasoning items obs writes: what a stateless client's next turn must send back for
//! the provider to continue (docs/reference/responses.md §5).
//!
//! Encoding: `obs1.` followed by the unpadded URL-safe base64 of `{"claude": [<Claude thinking blocks>]}` — the
//! `thinking` (with its `signature`) and `redacted_thinking` blocks of the turn, as Claude wrote them. It is not
//! encrypted (obs holds no key; the blocks are the model's own output and Claude checks their signatures), only
//! opaque to clients, as OpenAI's is. A block without a signature cannot be replayed to Claude and is dropped on the
//! way back in.

use base64::Engine as _;
use obs_models::Error;
use obs_models::claude::ContentBlock;
use serde::{Deserialize, Serialize};

const PREFIX: &str = "obs1.";

#[derive(Serialize, Deserialize)]
struct Payload {
    #[serde(default)]
    claude: Vec<ContentBlock>,
}

/// The `encrypted_content` for a turn's Claude blocks; `None` when there are none.
pub fn encode(blocks: &[ContentBlock]) -> Option<String> {
    if blocks.is_empty() {
        return None;
    }
    let json = serde_json::to_vec(&Payload { claude: blocks.to_vec() }).ok()?;
    Some(format!("{PREFIX}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)))
}

/// The Claude blocks an `encrypted_content` carries, those that can be replayed (a signed `thinking`, a
/// `redacted_thinking`). `invalid_value` (param `input`) for content obs did not write.
pub fn decode(content: &str) -> Result<Vec<ContentBlock>, Error> {
    let invalid = || {
        Error::invalid(
            "input",
            "A reasoning item's encrypted_content was not written by this gateway (send back the reasoning items obs returned, unchanged).",
        )
    };
    let body = content.strip_prefix(PREFIX).ok_or_else(invalid)?;
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(body).map_err(|_| invalid())?;
    let payload: Payload = serde_json::from_slice(&json).map_err(|_| invalid())?;
    Ok(payload
        .claude
        .into_iter()
        .filter(|block| match block {
            ContentBlock::Thinking(thinking) => thinking.signature.as_deref().is_some_and(|s| !s.is_empty()),
            ContentBlock::RedactedThinking(_) => true,
            _ => false,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use obs_models::claude::ThinkingBlock;

    use super::*;

    #[test]
    fn blocks_round_trip_and_unsigned_ones_are_dropped() {
        let signed = ContentBlock::Thinking(ThinkingBlock { thinking: "hmm".into(), signature: Some("sig".into()) });
        let unsigned = ContentBlock::Thinking(ThinkingBlock { thinking: "x".into(), signature: None });
        let encoded = encode(&[signed.clone(), unsigned]).unwrap();
        assert!(encoded.starts_with("obs1."));
        assert_eq!(decode(&encoded).unwrap(), vec![signed]);
        assert_eq!(encode(&[]), None);
        assert_eq!(decode("gAAAAB-openai").unwrap_err().param.as_deref(), Some("input"));
    }
}
