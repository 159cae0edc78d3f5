//! The Bedrock ingress routes' streams as `application/vnd.amazon.eventstream`: each upstream frame relayed as it
//! came, a mid-stream failure as one exception frame (`aws_errors.rs`) that ends the stream (`byte_relay.rs`).

use std::sync::Arc;

use futures::StreamExt;
use http::Response;
use obs_service::RuntimeFrameStream;

use crate::app::App;
use crate::body::Body;
use crate::observe::RequestLog;

pub(crate) fn relay(app: Arc<App>, upstream: RuntimeFrameStream, log: RequestLog) -> Response<Body> {
    let bytes = Box::pin(upstream.map(|frame| frame.map(|frame| frame.frame)));
    // Each item is one whole frame: its tokens are read from it alone.
    let tap: Option<crate::byte_relay::Tap> =
        log.records_usage().then(|| Box::new(crate::usage_taps::from_frame) as crate::byte_relay::Tap);
    crate::byte_relay::relay(
        app,
        bytes,
        log,
        "application/vnd.amazon.eventstream",
        |error| Some(crate::aws_errors::exception_frame(error)),
        tap,
    )
}
