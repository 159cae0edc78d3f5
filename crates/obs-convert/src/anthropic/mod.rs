//! The Anthropic Messages API (`POST /v1/messages`, `/v1/messages/count_tokens`): the request read and checked
//! ([`request`]), the body sent to Claude on Bedrock as the client wrote it ([`bedrock_body`]), the conversion to
//! the internal request for every other target ([`to_internal`]), and message ids in Anthropic's shape
//! ([`message_id`]). Answers and streams of converted targets are written by [`crate::claude_out`] and
//! [`crate::stream::ClaudeEventEncoder`].

mod bedrock_body;
mod request;

pub use bedrock_body::{bedrock_body, bedrock_body_with_images, count_tokens_body, image_urls};
pub use request::{parse_count_tokens_request, parse_messages_request, to_internal};

/// An id in Anthropic's `msg_…` shape: kept when it has it (Bedrock's `msg_bdrk_…` too), else the upstream's id
/// with its own prefix (`chatcmpl-`) replaced, so the two can still be matched in logs.
///
/// ```
/// use obs_convert::anthropic::message_id;
///
/// assert_eq!(message_id("msg_bdrk_01abc"), "msg_bdrk_01abc");
/// assert_eq!(message_id("chatcmpl-XyZ"), "msg_XyZ");
/// assert_eq!(message_id(""), "msg_");
/// ```
pub fn message_id(id: &str) -> String {
    if id.starts_with("msg_") {
        return id.to_owned();
    }
    let rest = id.strip_prefix("chatcmpl-").unwrap_or(id);
    let mut shaped = String::with_capacity(4 + rest.len());
    shaped.push_str("msg_");
    shaped.push_str(rest);
    shaped
}
