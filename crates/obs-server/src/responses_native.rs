//! `/v1/responses` to upstreams with their own Responses API (docs/reference/responses.md §9): the client's body to
//! the provider's `/responses` through the plan (`obs_service::NativeInput`), the answer relayed as the upstream
//! wrote it — the JSON unchanged, the event stream byte for byte. obs stores nothing: `store`,
//! `previous_response_id` and retrieval are the upstream's.

use std::sync::Arc;
use std::time::Instant;

use http::{HeaderValue, Response, StatusCode, header};
use obs_models::Error;
use obs_service::routing::{Plan, Served};
use obs_service::{ByteStream, NativeInput, NativeResponse, NativeResponseStream};
use serde_json::Value;

use crate::app::App;
use crate::body::{Body, json_text};
use crate::observe::RequestLog;
use crate::request_body::BodyPermit;

/// What is read of a Responses body before its plan: a JSON object with a non-empty string `model`, its `stream`
/// and `user`. Everything else is the upstream's to check on a native plan (built-in tools, item types obs does
/// not translate), or the full parse's on any other.
pub(crate) struct Head {
    pub(crate) model: String,
    pub(crate) stream: bool,
    pub(crate) user: Option<String>,
}

impl Head {
    /// The head, or `None` for a body the full parse refuses (and names the error of).
    pub(crate) fn read(body: &[u8]) -> Option<Head> {
        let object: serde_json::Map<String, Value> = serde_json::from_slice(body).ok()?;
        let model = object.get("model").and_then(Value::as_str).filter(|m| !m.is_empty())?.to_owned();
        let stream = object.get("stream") == Some(&Value::Bool(true));
        let user = object.get("user").and_then(Value::as_str).map(str::to_owned);
        Some(Head { model, stream, user })
    }
}

/// A native answer: whole, or the stream to relay.
pub(crate) enum Native {
    Whole(Response<Body>, Served),
    Stream(NativeResponseStream),
}

/// Runs a plan whose every target is native; `permit` holds the request body's share of the in-flight budget
/// until the upstream has it.
pub(crate) async fn run(
    app: &App,
    plan: Plan,
    stream: bool,
    input: Arc<NativeInput>,
    permit: BodyPermit,
    log: &mut RequestLog,
) -> Result<Native, Error> {
    let waited = Instant::now();
    if stream {
        let answer = app
            .gateway
            .responses_passthrough_stream(plan, input)
            .await
            .map_err(|e| crate::responses::upstream_failed(app, e))?;
        drop(permit);
        app.metrics.upstream_latency(&answer.served.provider, waited.elapsed().as_secs_f64());
        return Ok(Native::Stream(answer));
    }
    let NativeResponse { body, served } =
        app.gateway.responses_passthrough(plan, input).await.map_err(|e| crate::responses::upstream_failed(app, e))?;
    drop(permit);
    app.metrics.upstream_latency(&served.provider, waited.elapsed().as_secs_f64());
    log.note_answer(&body);
    Ok(Native::Whole(json_text(StatusCode::OK, body), served))
}

/// The upstream's event stream as it arrives. A failure after it began ends the stream where it stands: obs adds
/// no bytes of its own (the upstream's `error` and `response.failed` events pass like any other).
pub(crate) fn relay(app: Arc<App>, upstream: ByteStream, log: RequestLog) -> Response<Body> {
    let tap = log.records_usage().then(|| {
        let mut tap = crate::usage_taps::ResponsesSseTap::default();
        Box::new(move |bytes: &[u8]| tap.feed(bytes)) as crate::byte_relay::Tap
    });
    let mut response = crate::byte_relay::relay(app, upstream, log, "text/event-stream", |_| None, tap);
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}
