//! How a model route's outcome becomes its response, the same on every route: a whole answer names the target that
//! served (`x-obs-target`, unless `server.expose_target_header` is off) and the retries obs made (`x-obs-retries`);
//! a stream carries both on its head and hands its log to the body, which completes it when the stream ends; an
//! error is logged with its code and detail and answered in the route's own shape (OpenAI's, Anthropic's, AWS's).

use http::{HeaderName, HeaderValue, Response};
use obs_models::Error;
use obs_service::routing::Served;

use crate::app::App;
use crate::body::Body;
use crate::observe::RequestLog;

pub(crate) const X_OBS_TARGET: HeaderName = HeaderName::from_static("x-obs-target");
pub(crate) const X_OBS_RETRIES: HeaderName = HeaderName::from_static("x-obs-retries");

/// A response, and the request's log when the response is whole (a stream's body completes it).
pub(crate) type Answered = (Response<Body>, Option<RequestLog>);

/// A whole answer.
pub(crate) fn whole(app: &App, mut response: Response<Body>, served: &Served, mut log: RequestLog) -> Answered {
    if let Some(value) = name_target(app, served, &mut log) {
        response.headers_mut().insert(X_OBS_TARGET, value);
    }
    count_retries(served.retries, &mut response, &mut log);
    (response, Some(log))
}

/// A streamed answer: its body is built by `respond`, which takes the log.
pub(crate) fn streamed(
    app: &App,
    served: &Served,
    mut log: RequestLog,
    respond: impl FnOnce(RequestLog) -> Response<Body>,
) -> Answered {
    log.status = 200;
    log.outcome = "completed";
    let header = name_target(app, served, &mut log);
    log.retries = served.retries;
    let mut response = respond(log);
    if let Some(value) = header {
        response.headers_mut().insert(X_OBS_TARGET, value);
    }
    if served.retries > 0 {
        response.headers_mut().insert(X_OBS_RETRIES, HeaderValue::from(served.retries));
    }
    (response, None)
}

/// A failure, answered in the route's shape by `shape`.
pub(crate) fn failed(error: &Error, mut log: RequestLog, shape: impl FnOnce(&Error) -> Response<Body>) -> Answered {
    log.error_code = Some(error.code.as_str());
    log.error_detail.clone_from(&error.detail);
    log.outcome = "error";
    let mut response = shape(error);
    count_retries(error.retries, &mut response, &mut log);
    (response, Some(log))
}

/// Names the retries obs made (a throttled upstream's 429s) in the log and, when there were any, in
/// `x-obs-retries`: a client sees that its answer, or its error, came after repeated calls.
pub(crate) fn count_retries(retries: u32, response: &mut Response<Body>, log: &mut RequestLog) {
    log.retries = retries;
    if retries > 0 {
        response.headers_mut().insert(X_OBS_RETRIES, HeaderValue::from(retries));
    }
}

/// Logs who served the answer; the `x-obs-target` value naming it, unless `server.expose_target_header` is off.
pub(crate) fn name_target(app: &App, served: &Served, log: &mut RequestLog) -> Option<HeaderValue> {
    let target = served.target();
    let header = if app.expose_target { HeaderValue::try_from(target.as_bytes()).ok() } else { None };
    log.provider = Some(served.provider.clone());
    log.target = Some(target);
    header
}
