//! The Bedrock ingress routes' errors as Bedrock's runtime API writes them, so AWS SDKs raise their own typed
//! exceptions: `{"message":…}` with `x-amzn-errortype` and the matching status
//! ([`obs_models::converse::aws_error`]), `retry-after` kept; after a stream began, one exception frame. The
//! OpenAI-shape mapping of the other routes is `errors.rs`; this is its counterpart for this ingress API.

use aws_smithy_types::event_stream::{Header, HeaderValue as FrameHeader, Message};
use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use obs_models::Error;
use obs_models::converse::{aws_error, stream_exception};
use obs_models::error::ErrorCode;

use crate::body::{Body, json};

/// The header AWS SDKs read the exception type from.
pub(crate) const X_AMZN_ERRORTYPE: &str = "x-amzn-errortype";

fn message(error: &Error) -> String {
    if error.code == ErrorCode::InternalError { "Internal server error".to_owned() } else { error.message.clone() }
}

/// The HTTP response for an error on a Bedrock ingress route.
pub(crate) fn error_response(error: &Error) -> Response<Body> {
    let (status, kind) = aws_error(error.code);
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = json(status, &serde_json::json!({ "message": message(error) }));
    response.headers_mut().insert(X_AMZN_ERRORTYPE, HeaderValue::from_static(kind));
    if let Some(value) = error.retry_after.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// A failure after the stream began: one exception frame (`:message-type: exception`, `:exception-type`,
/// `:content-type: application/json`, the `{"message":…}` payload).
pub(crate) fn exception_frame(error: &Error) -> Bytes {
    let payload = serde_json::to_vec(&serde_json::json!({ "message": message(error) })).unwrap_or_default();
    let frame = Message::new(payload)
        .add_header(Header::new(":message-type", FrameHeader::String("exception".into())))
        .add_header(Header::new(":exception-type", FrameHeader::String(stream_exception(error.code).into())))
        .add_header(Header::new(":content-type", FrameHeader::String("application/json".into())));
    encode(&frame)
}

/// A frame's bytes (prelude, headers, payload, CRCs) by `aws-smithy-eventstream`.
pub(crate) fn encode(frame: &Message) -> Bytes {
    let mut out = Vec::with_capacity(frame.payload().len() + 128);
    // Writing to a Vec fails only for a header or payload beyond the format's limits, which obs never builds.
    if aws_smithy_eventstream::frame::write_message_to(frame, &mut out).is_err() {
        out.clear();
    }
    Bytes::from(out)
}
