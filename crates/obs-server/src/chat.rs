//! `POST /v1/chat/completions`: auth → target format → body (size cap) → detect and convert → validate → route →
//! service → convert to the target format → encode (docs/reference/errors.md §2's order of checks).

use std::sync::Arc;
use std::time::Instant;

use http::{Request, Response, StatusCode};
use hyper::body::Incoming;
use obs_convert::guardrail::with_bedrock_keys;
use obs_convert::ingress::parse_chat_request;
use obs_convert::stream::encoder_for;
use obs_convert::target::TargetFormat;
use obs_convert::titan_out;
use obs_models::openai::ChatCompletionResponse;
use obs_service::routing::Served;
use obs_service::{Answer, AnswerStream, ChatService, Completion, RequestContext};

use crate::answered::{self, Answered};
use crate::app::App;
use crate::body::{Body, json, json_text};
use obs_models::Error;

use crate::errors::error_response;
use crate::observe::RequestLog;
use crate::{request_body, sse};

enum Outcome {
    Whole(Response<Body>, Served),
    Stream { answer: AnswerStream, target: TargetFormat, include_usage: bool },
}

pub(crate) async fn handle(app: &Arc<App>, request: Request<Incoming>, mut log: RequestLog) -> Answered {
    match run(app, request, &mut log).await {
        Ok(Outcome::Whole(response, served)) => answered::whole(app, response, &served, log),
        Ok(Outcome::Stream { answer, target, include_usage }) => {
            let encoder = encoder_for(target, include_usage);
            let AnswerStream { stream, served } = answer;
            answered::streamed(app, &served, log, |log| sse::response(app.clone(), stream, encoder, log))
        }
        Err(error) => answered::failed(&error, log, error_response),
    }
}

async fn run(app: &Arc<App>, request: Request<Incoming>, log: &mut RequestLog) -> Result<Outcome, Error> {
    log.caller = app.auth.check(request.headers())?;
    let target = TargetFormat::parse(query_param(request.uri().query(), "target_format").as_deref())?;
    crate::admission::hold_concurrency_permit(app, log).await?;
    let (parts, body) = request.into_parts();
    let (body, body_permit) =
        request_body::read(&parts.headers, body, app.body_limit, &app.limits, &app.body_budget).await?;
    crate::admission::note_request_body(log, &body);

    let started = Instant::now();
    let (format, mut chat) = parse_chat_request(&body)?;
    drop(body);
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    if chat.guardrail.is_none() {
        // Bedrock's own guardrail headers, for clients that cannot add a body field.
        chat.guardrail = obs_convert::guardrail::from_headers(header)?;
    }
    log.ingress = Some(format.as_str());
    log.model = Some(chat.model.clone());
    crate::admission::permit_model(app, log).await?;
    // Routed once: the plan names every target in order; nothing below routes again.
    let headers = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let plan = app.gateway.plan(&chat, &RequestContext { headers: Some(&headers), team: log.team() })?;
    log.provider = plan.provider().cloned();
    crate::group_limits::admit(app, log, plan.group()).await?;
    log.overhead += started.elapsed();

    let waited = Instant::now();
    if chat.is_stream() {
        let include_usage = chat.wants_stream_usage();
        let answer = app.gateway.complete_stream(plan, chat).await.map_err(|e| upstream_failed(app, e))?;
        // The request (and the memory it held) is gone upstream.
        drop(body_permit);
        app.metrics.upstream_latency(&answer.served.provider, waited.elapsed().as_secs_f64());
        return Ok(Outcome::Stream { answer, target, include_usage });
    }
    let Answer { completion, served } = app.gateway.complete(plan, chat).await.map_err(|e| upstream_failed(app, e))?;
    drop(body_permit);
    app.metrics.upstream_latency(&served.provider, waited.elapsed().as_secs_f64());

    let started = Instant::now();
    let answer = match completion {
        // An OpenAI upstream's own answer, checked: sent as it came.
        Completion::Verbatim(verbatim) if target == TargetFormat::OpenAi => {
            log.note_verbatim(&verbatim);
            json_text(StatusCode::OK, verbatim.into_string())
        }
        completion => {
            let response = completion.into_typed().map_err(|e| upstream_failed(app, e))?;
            if let Some(usage) = &response.usage {
                log.note_usage(usage);
            }
            answer_in(target, &response, log)?
        }
    };
    log.overhead += started.elapsed();
    Ok(Outcome::Whole(answer, served))
}

/// A typed non-streamed answer in the target format.
fn answer_in(
    target: TargetFormat,
    response: &ChatCompletionResponse,
    log: &RequestLog,
) -> Result<Response<Body>, Error> {
    Ok(match target {
        TargetFormat::OpenAi => json(StatusCode::OK, response),
        TargetFormat::BedrockClaude => json(StatusCode::OK, &obs_convert::guardrail::claude_answer(response)?),
        TargetFormat::BedrockTitan => {
            if titan_out::drops_tool_calls(response) {
                tracing::info!(request_id = %log.request_id, "tool calls dropped: the Titan format cannot express them");
            }
            json(StatusCode::OK, &with_bedrock_keys(&titan_out::from_internal(response)?, response)?)
        }
    })
}

/// Counts an upstream's failure; obs's own refusals (a parameter a target cannot honour, …) are not upstream errors.
fn upstream_failed(app: &App, error: obs_service::Error) -> Error {
    if error.code.is_upstream() {
        app.metrics.upstream_error(error.code.as_str());
    }
    error
}

/// The percent-decoded value of `key` in a query string.
pub(crate) fn query_param(query: Option<&str>, key: &str) -> Option<String> {
    query?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == key).then(|| percent_decode(v))
    })
}

fn percent_decode(value: &str) -> String {
    percent_encoding::percent_decode_str(&value.replace('+', " ")).decode_utf8_lossy().into_owned()
}
