//! The Bedrock runtime API for AWS clients (docs/reference/bedrock-ingress.md): `POST /model/{modelId}/converse`,
//! `/converse-stream`, `/invoke`, `/invoke-with-response-stream` and `/count-tokens`, `{modelId}` percent-decoded.
//! auth → concurrency limit → body → plan by the path's model id → service → Bedrock's own answer or frames
//! relayed. Every failure is in Bedrock's shape (`aws_errors.rs`), and
//! every answer carries `x-amzn-requestid` as Bedrock's does.

use std::sync::Arc;
use std::time::Instant;

use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use obs_models::Error;
use obs_models::error::ErrorCode;
use obs_service::routing::Served;
use obs_service::{RequestContext, RuntimeAnswer, RuntimeAnswerStream, RuntimeCall, RuntimeInput, RuntimeStream};

use crate::answered::{self, Answered};
use crate::app::App;
use crate::aws_errors::error_response;
use crate::body::{Body, json_text};
use crate::observe::RequestLog;
use crate::{bedrock_stream, request_body, sigv4};

/// Every Bedrock runtime path starts so.
pub(crate) const PREFIX: &str = "/model/";

/// The request id header of Bedrock's answers.
const X_AMZN_REQUESTID: &str = "x-amzn-requestid";

/// Which Bedrock runtime operation a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    Whole(RuntimeCall),
    Stream(RuntimeStream),
}

impl Operation {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "converse" => Operation::Whole(RuntimeCall::Converse),
            "converse-stream" => Operation::Stream(RuntimeStream::ConverseStream),
            "invoke" => Operation::Whole(RuntimeCall::Invoke),
            "invoke-with-response-stream" => Operation::Stream(RuntimeStream::InvokeStream),
            "count-tokens" => Operation::Whole(RuntimeCall::CountTokens),
            _ => return None,
        })
    }

    /// The route name of the request log.
    pub(crate) fn route(self) -> &'static str {
        match self {
            Operation::Whole(RuntimeCall::Converse) => "bedrock_converse",
            Operation::Stream(RuntimeStream::ConverseStream) => "bedrock_converse_stream",
            Operation::Whole(RuntimeCall::Invoke) => "bedrock_invoke",
            Operation::Stream(RuntimeStream::InvokeStream) => "bedrock_invoke_stream",
            Operation::Whole(RuntimeCall::CountTokens) => "bedrock_count_tokens",
        }
    }
}

/// The model id (percent-decoded: ARNs and inference profiles arrive encoded) and operation of a path under
/// [`PREFIX`].
pub(crate) fn parse_path(path: &str) -> Option<(String, Operation)> {
    let rest = path.strip_prefix(PREFIX)?;
    let (model, operation) = rest.rsplit_once('/')?;
    let model = percent_encoding::percent_decode_str(model).decode_utf8().ok()?;
    if model.is_empty() {
        return None;
    }
    Some((model.into_owned(), Operation::parse(operation)?))
}

/// The route name of the request log for a path under [`PREFIX`].
pub(crate) fn route_name(path: &str) -> &'static str {
    parse_path(path).map_or("unmatched", |(_, operation)| operation.route())
}

enum Outcome {
    Whole(Response<Body>, Served),
    Stream(RuntimeAnswerStream),
}

pub(crate) async fn handle(app: &Arc<App>, request: Request<Incoming>, mut log: RequestLog) -> Answered {
    let request_id = log.request_id.clone();
    let (mut response, log) = match run(app, request, &mut log).await {
        Ok(Outcome::Whole(response, served)) => answered::whole(app, response, &served, log),
        Ok(Outcome::Stream(RuntimeAnswerStream { frames, served })) => {
            answered::streamed(app, &served, log, |log| bedrock_stream::relay(app.clone(), frames, log))
        }
        Err(error) => answered::failed(&error, log, |error| {
            let mut response = error_response(error);
            if error.code == ErrorCode::MethodNotAllowed {
                response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
            }
            response
        }),
    };
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(X_AMZN_REQUESTID, value);
    }
    (response, log)
}

async fn run(app: &Arc<App>, request: Request<Incoming>, log: &mut RequestLog) -> Result<Outcome, Error> {
    let path = request.uri().path();
    let Some((model_id, operation)) = parse_path(path) else {
        return Err(Error::new(ErrorCode::NotFound, format!("No Bedrock runtime operation at {path}.")));
    };
    if request.method() != Method::POST {
        let method = request.method();
        return Err(Error::new(
            ErrorCode::MethodNotAllowed,
            format!("Method {method} is not allowed on {path}; use POST."),
        ));
    }
    // A SigV4 signature covers the body, so it is checked once the body is read; a gateway key before.
    let clients = &app.gateway.config().server.aws_clients;
    let signed = !clients.is_empty() && sigv4::is_signed(request.headers());
    if !signed {
        log.caller = gateway_key(app, request.headers())?;
    }
    crate::admission::hold_concurrency_permit(app, log).await?;
    let (parts, body) = request.into_parts();
    let (body, body_permit) =
        request_body::read(&parts.headers, body, app.body_limit, &app.limits, &app.body_budget).await?;
    crate::admission::note_request_body(log, &body);

    let started = Instant::now();
    if signed {
        sigv4::verify(clients, &parts, &body, std::time::SystemTime::now())?;
    }
    check_object(&body)?;
    log.ingress = Some("bedrock");
    log.model = Some(model_id.clone());
    crate::admission::permit_model(app, log).await?;
    let headers = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    // Its own handle on the team: `headers` (which the context's lifetime follows) is read again below.
    let team = log.team().cloned();
    let plan = app.gateway.plan_runtime(&model_id, &RequestContext { headers: Some(&headers), team: team.as_ref() })?;
    log.provider = plan.provider().cloned();
    crate::group_limits::admit(app, log, plan.group()).await?;
    log.overhead += started.elapsed();

    // Bedrock's guardrail headers, else the model group's guardrail (a Bedrock target adds its provider's).
    let guardrail = obs_convert::guardrail::from_headers(headers)?.or_else(|| plan.guardrail().cloned());
    // InvokeModel's own request headers Bedrock reads beside the body (service tier, latency mode), as they came.
    let forwarded = obs_adapters::FORWARDED_INVOKE_HEADERS
        .iter()
        .filter_map(|name| {
            parts.headers.get(*name).and_then(|v| v.to_str().ok()).map(|v| ((*name).to_owned(), v.to_owned()))
        })
        .collect();
    let input = RuntimeInput::with_headers(model_id, body, guardrail, forwarded);
    let waited = Instant::now();
    match operation {
        Operation::Stream(operation) => {
            let answer =
                app.gateway.runtime_stream(plan, operation, input).await.map_err(|e| upstream_failed(app, e))?;
            drop(body_permit);
            app.metrics.upstream_latency(&answer.served.provider, waited.elapsed().as_secs_f64());
            Ok(Outcome::Stream(answer))
        }
        Operation::Whole(operation) => {
            let RuntimeAnswer { body, headers, served } =
                app.gateway.runtime(plan, operation, input).await.map_err(|e| upstream_failed(app, e))?;
            drop(body_permit);
            app.metrics.upstream_latency(&served.provider, waited.elapsed().as_secs_f64());
            if log.records_usage() {
                let tokens = crate::usage_taps::from_invoke_headers(&headers)
                    .or_else(|| obs_convert::token_counts::TokenCounts::from_answer(&body));
                log.note_tokens(tokens);
            }
            let mut response = json_text(StatusCode::OK, body);
            relay_headers(&headers, response.headers_mut());
            Ok(Outcome::Whole(response, served))
        }
    }
}

/// The answer's `x-amzn-bedrock-*` headers (InvokeModel's token counts, latency, tier), as AWS clients read them;
/// a name or value HTTP cannot carry is left out.
fn relay_headers(headers: &[(String, String)], out: &mut http::HeaderMap) {
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (http::HeaderName::try_from(name.as_str()), HeaderValue::from_str(value)) {
            out.insert(name, value);
        }
    }
}

/// A gateway key (Bearer or `x-api-key`), refused with AWS's wording.
fn gateway_key(app: &App, headers: &http::HeaderMap) -> Result<crate::auth::Caller, Error> {
    app.auth.check(headers).map_err(|e| Error::new(e.code, "The security token included in the request is invalid."))
}

/// A request's credentials, either kind: SigV4 against `[[server.aws_clients]]` (over `body`, which the signature
/// covers), else a gateway key.
pub(crate) fn authenticate(app: &App, parts: &http::request::Parts, body: &[u8]) -> Result<(), Error> {
    let clients = &app.gateway.config().server.aws_clients;
    if !clients.is_empty() && sigv4::is_signed(&parts.headers) {
        return sigv4::verify(clients, parts, body, std::time::SystemTime::now()).map(drop);
    }
    gateway_key(app, &parts.headers).map(drop)
}

/// Every body of these operations is one JSON object; Bedrock checks its fields.
fn check_object(body: &[u8]) -> Result<(), Error> {
    serde_json::from_slice::<std::collections::HashMap<String, serde::de::IgnoredAny>>(body)
        .map(drop)
        .map_err(|e| Error::new(ErrorCode::InvalidJson, format!("The request body is not a JSON object: {e}.")))
}

/// Counts an upstream's failure; obs's own refusals are not upstream errors.
fn upstream_failed(app: &App, error: Error) -> Error {
    if error.code.is_upstream() {
        app.metrics.upstream_error(error.code.as_str());
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_a_model_and_an_operation() {
        assert_eq!(
            parse_path("/model/us.anthropic.claude-3-5-haiku-20241022-v1%3A0/converse"),
            Some(("us.anthropic.claude-3-5-haiku-20241022-v1:0".to_owned(), Operation::Whole(RuntimeCall::Converse)))
        );
        assert_eq!(
            parse_path("/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Ainference-profile%2Fus.x/converse-stream"),
            Some((
                "arn:aws:bedrock:us-east-1:1:inference-profile/us.x".to_owned(),
                Operation::Stream(RuntimeStream::ConverseStream)
            ))
        );
        assert_eq!(parse_path("/model//converse"), None);
        assert_eq!(parse_path("/model/x/unknown"), None);
        assert_eq!(parse_path("/model/x"), None);
    }
}
