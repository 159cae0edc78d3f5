//! Identifiers obs mints. Random, never time-based, so they cannot collide between concurrent requests.

use rand::Rng;
use rand::distr::Alphanumeric;

fn random_alphanumeric(len: usize) -> String {
    rand::rng().sample_iter(&Alphanumeric).take(len).map(char::from).collect()
}

/// `chatcmpl-` followed by 29 random alphanumerics, like OpenAI's.
pub fn chat_completion_id() -> String {
    format!("chatcmpl-{}", random_alphanumeric(29))
}

/// `msg_` followed by 24 random alphanumerics (Anthropic message ids).
pub fn claude_message_id() -> String {
    format!("msg_{}", random_alphanumeric(24))
}

/// `call_` followed by 24 random alphanumerics, for tool calls whose upstream gave no id.
pub fn tool_call_id() -> String {
    format!("call_{}", random_alphanumeric(24))
}
