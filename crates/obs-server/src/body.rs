//! Response bodies: whole JSON answers and streamed bodies (whose errors are encoded in-band, so the body type
//! itself cannot fail).

use std::convert::Infallible;

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};

pub(crate) type Body = UnsyncBoxBody<Bytes, Infallible>;

pub(crate) fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).boxed_unsync()
}

/// A JSON answer whose text is already written.
pub(crate) fn json_text(status: StatusCode, text: impl Into<Bytes>) -> Response<Body> {
    let mut response = Response::new(full(text));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

pub(crate) fn json<T: serde::Serialize>(status: StatusCode, value: &T) -> Response<Body> {
    // A typical answer fits: serialising does not grow the buffer step by step from serde_json's 128 bytes.
    let mut bytes = Vec::with_capacity(1024);
    match serde_json::to_writer(&mut bytes, value) {
        Ok(()) => json_text(status, bytes),
        Err(error) => {
            crate::errors::error_response(&crate::errors::internal_error(format!("encoding a response: {error}")))
        }
    }
}
