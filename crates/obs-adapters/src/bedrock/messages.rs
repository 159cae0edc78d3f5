//! The Messages route's Claude passthrough: InvokeModel with the client's body ([`obs_convert::anthropic::
//! bedrock_body`]), the answer's JSON and the stream's events relayed as Bedrock sent them — Bedrock's
//! InvokeModelWithResponseStream chunks are Anthropic stream events — and CountTokens for `count_tokens`.

use std::borrow::Cow;

use async_trait::async_trait;
use aws_sdk_bedrockruntime::primitives::Blob;
use aws_sdk_bedrockruntime::types::{CountTokensInput, InvokeModelTokensRequest, ResponseStream};
use bytes::Bytes;
use obs_convert::anthropic::{bedrock_body_with_images, count_tokens_body, image_urls, message_id};
use obs_models::anthropic::{MessagesRequest, error_code};
use obs_models::error::ErrorCode;
use obs_models::guardrail::Guardrail;
use serde::Deserialize;
use serde_json::Value;

use super::event_stream::{EventDecoder, drive_events};
use super::strategy::{chunk_payload, invoke_stream_with, invoke_with};
use super::{BedrockAdapter, BedrockFamily, Target, catalog, errors};
use crate::Error;
use crate::messages::{MessagesAdapter, MessagesEvent, MessagesEventStream};

#[async_trait]
impl MessagesAdapter for BedrockAdapter {
    async fn native(&self, model: &str) -> bool {
        let underlying = self.shared.profiles.underlying(&self.shared, model).await;
        matches!(
            self.target_known_as(model, underlying.as_deref()),
            Ok(Target { family: BedrockFamily::ClaudeInvoke, .. })
        )
    }

    async fn messages(
        &self,
        request: &MessagesRequest,
        model: &str,
        guardrail: Option<&Guardrail>,
    ) -> Result<Bytes, Error> {
        let underlying = self.shared.profiles.underlying(&self.shared, model).await;
        let target = self.target_known_as(model, underlying.as_deref())?;
        let (answer, _) =
            invoke_with(&self.shared, target, self.body(request).await?, &self.guarded(guardrail)).await?;
        shape_message(answer.into_inner())
    }

    async fn messages_stream(
        &self,
        request: &MessagesRequest,
        model: &str,
        guardrail: Option<&Guardrail>,
    ) -> Result<MessagesEventStream, Error> {
        let underlying = self.shared.profiles.underlying(&self.shared, model).await;
        let target = self.target_known_as(model, underlying.as_deref())?;
        let options = self.guarded(guardrail);
        let events = invoke_stream_with(&self.shared, target, self.body(request).await?, &options).await?;
        Ok(drive_events(events, Relay::default(), self.shared.settings.timeouts.idle))
    }

    async fn count_tokens(&self, request: &MessagesRequest, model: &str) -> Result<u64, Error> {
        let underlying = self.shared.profiles.underlying(&self.shared, model).await;
        let target = self.target_known_as(model, underlying.as_deref())?;
        let family = target.family;
        if !matches!(family, BedrockFamily::ClaudeInvoke | BedrockFamily::ClaudeConverse) {
            return Err(crate::no_token_counter(model));
        }
        let body = count_tokens_body(request, self.shared.settings.claude_max_tokens)?;
        let input = InvokeModelTokensRequest::builder()
            .body(Blob::new(body))
            .build()
            .map_err(|e| Error::new(ErrorCode::InternalError, format!("Could not build the count request: {e}.")))?;
        // CountTokens takes the foundation model, not an inference profile (an application profile's is looked up).
        let call = self
            .shared
            .client()
            .count_tokens()
            .model_id(catalog::foundation_id(target.known_as))
            .input(CountTokensInput::InvokeModel(input))
            .send();
        let output = self.shared.first_byte(Box::pin(call)).await?.map_err(|e| errors::from_sdk(&e))?;
        Ok(u64::try_from(output.input_tokens).unwrap_or(0))
    }
}

impl BedrockAdapter {
    /// The request's (or its group's) guardrail, else the provider's (`guardrail` on a Bedrock provider): the
    /// Messages route is guarded like the others.
    fn guarded(&self, guardrail: Option<&Guardrail>) -> super::tiers::CallOptions {
        let guardrail = guardrail.cloned().or_else(|| self.shared.settings.guardrail.clone());
        super::tiers::CallOptions { guardrail, ..Default::default() }
    }

    /// The client's body for InvokeModel, its images given by URL fetched and inlined (Bedrock takes base64 only).
    async fn body(&self, request: &MessagesRequest) -> Result<Vec<u8>, Error> {
        let urls = image_urls(request);
        let fetched = if urls.is_empty() {
            Default::default()
        } else {
            super::images::fetch_all(urls, &self.shared.settings.images).await?
        };
        bedrock_body_with_images(request, &fetched)
    }
}

#[derive(Deserialize)]
struct Head<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(default, borrow)]
    id: Option<Cow<'a, str>>,
}

/// A whole answer, as Bedrock wrote it unless its id needs the `msg_…` shape.
fn shape_message(answer: Vec<u8>) -> Result<Bytes, Error> {
    let head: Head<'_> = serde_json::from_slice(&answer).map_err(|_| errors::closed_mid_answer())?;
    if head.id.as_deref().is_none_or(|id| id.starts_with("msg_")) {
        return Ok(Bytes::from(answer));
    }
    let mut message: Value = serde_json::from_slice(&answer).map_err(|_| errors::closed_mid_answer())?;
    shape_id(&mut message);
    reencode(&message)
}

fn shape_id(message: &mut Value) {
    if let Some(id) = message.get_mut("id")
        && let Some(text) = id.as_str()
        && !text.starts_with("msg_")
    {
        *id = Value::String(message_id(text));
    }
}

fn reencode(value: &Value) -> Result<Bytes, Error> {
    serde_json::to_vec(value)
        .map(Bytes::from)
        .map_err(|e| Error::new(ErrorCode::InternalError, format!("Could not encode an event: {e}.")))
}

/// Relays each chunk as one event, as it came: a `ping` added after `message_start` (Anthropic's API sends one
/// there), `message_start`'s id shaped `msg_…` when it is not, and an in-band `error` event turned into the error
/// it reports (the stream ends with it).
#[derive(Default)]
struct Relay {
    stopped: bool,
}

#[derive(Deserialize)]
struct InBandError<'a> {
    #[serde(borrow)]
    error: ErrorDetail<'a>,
}

#[derive(Deserialize)]
struct ErrorDetail<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    message: Cow<'a, str>,
}

impl EventDecoder<ResponseStream> for Relay {
    type Out = MessagesEvent;

    fn event(&mut self, event: ResponseStream, out: &mut Vec<MessagesEvent>) -> Result<(), Error> {
        let Some(payload) = chunk_payload(event) else { return Ok(()) };
        let head: Head<'_> = serde_json::from_slice(&payload).map_err(|_| errors::closed_mid_answer())?;
        let kind = head.kind.into_owned();
        match kind.as_str() {
            "error" => {
                let error: InBandError<'_> =
                    serde_json::from_slice(&payload).map_err(|_| errors::closed_mid_answer())?;
                return Err(Error::new(error_code(&error.error.kind), error.error.message.into_owned()));
            }
            "message_start" => {
                let mut start: Value = serde_json::from_slice(&payload).map_err(|_| errors::closed_mid_answer())?;
                let needs_shape =
                    start.pointer("/message/id").and_then(Value::as_str).is_some_and(|id| !id.starts_with("msg_"));
                let data = if needs_shape {
                    if let Some(message) = start.get_mut("message") {
                        shape_id(message);
                    }
                    reencode(&start)?
                } else {
                    Bytes::from(payload)
                };
                out.push(MessagesEvent { kind, data });
                out.push(MessagesEvent { kind: "ping".to_owned(), data: Bytes::from_static(br#"{"type":"ping"}"#) });
                return Ok(());
            }
            "message_stop" => self.stopped = true,
            _ => {}
        }
        out.push(MessagesEvent { kind, data: Bytes::from(payload) });
        Ok(())
    }

    fn end(&mut self, _out: &mut Vec<MessagesEvent>) -> Result<(), Error> {
        if self.stopped {
            Ok(())
        } else {
            Err(Error::new(ErrorCode::UpstreamError, "The Bedrock stream ended before the end of the message."))
        }
    }
}
