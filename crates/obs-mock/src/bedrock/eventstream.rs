//! `application/vnd.amazon.eventstream` frames, encoded with the SDK's own codec.

use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use base64::Engine as _;
use bytes::Bytes;
use serde_json::{Value, json};

fn string(value: &str) -> HeaderValue {
    HeaderValue::String(value.to_owned().into())
}

fn encode(message: &Message) -> Bytes {
    let mut buffer = Vec::new();
    // Encoding into a Vec only fails for oversized headers, which these fixed names never are.
    if aws_smithy_eventstream::frame::write_message_to(message, &mut buffer).is_err() {
        buffer.clear();
    }
    Bytes::from(buffer)
}

/// An event frame: `:event-type` `event_type`, JSON payload.
pub(crate) fn event(event_type: &str, payload: &Value) -> Bytes {
    encode(
        &Message::new(payload.to_string().into_bytes())
            .add_header(Header::new(":message-type", string("event")))
            .add_header(Header::new(":event-type", string(event_type)))
            .add_header(Header::new(":content-type", string("application/json"))),
    )
}

/// An InvokeModelWithResponseStream `chunk` frame carrying `payload` as base64 `bytes`.
pub(crate) fn chunk(payload: &Value) -> Bytes {
    let bytes = base64::engine::general_purpose::STANDARD.encode(payload.to_string());
    event("chunk", &json!({ "bytes": bytes }))
}

/// An exception frame (`:exception-type` is the lower-camel member name, e.g. `modelStreamErrorException`).
pub(crate) fn exception(exception_type: &str, message: &str) -> Bytes {
    encode(
        &Message::new(json!({ "message": message }).to_string().into_bytes())
            .add_header(Header::new(":message-type", string("exception")))
            .add_header(Header::new(":exception-type", string(exception_type)))
            .add_header(Header::new(":content-type", string("application/json"))),
    )
}
