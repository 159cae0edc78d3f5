//! The Bedrock runtime passthrough (docs/reference/bedrock-ingress.md): the client's Converse JSON, InvokeModel body
//! or CountTokens request sent to Bedrock as it came, through the SDK's own operations — so signing, endpoints,
//! credentials and timeouts are the adapter's as for every other call — with an interceptor that swaps the SDK's
//! serialized body for the client's before signing and takes Bedrock's answer before the SDK decodes it: the JSON
//! as Bedrock wrote it, and a stream's frames relayed byte for byte.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_bedrockruntime::config::interceptors::{
    AfterDeserializationInterceptorContextRef, BeforeDeserializationInterceptorContextMut,
    BeforeTransmitInterceptorContextMut,
};
use aws_sdk_bedrockruntime::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_bedrockruntime::error::BoxError;
use aws_sdk_bedrockruntime::primitives::Blob;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;
use aws_smithy_types::event_stream::{HeaderValue, Message};
use bytes::{Buf, Bytes, BytesMut};
use obs_models::error::ErrorCode;

use super::{BedrockAdapter, errors, guardrails};
use crate::Error;
use crate::runtime::{
    RuntimeAdapter, RuntimeCall, RuntimeFrame, RuntimeFrameStream, RuntimeOptions, RuntimeReply, RuntimeStream,
};

/// The largest frame obs accepts from Bedrock (its own limit is far below).
const MAX_FRAME: usize = 16 * 1024 * 1024;

#[async_trait]
impl RuntimeAdapter for BedrockAdapter {
    async fn call(&self, operation: RuntimeCall, body: Bytes, model: &str) -> Result<RuntimeReply, Error> {
        self.call_guarded(operation, body, model, RuntimeOptions::default()).await
    }

    async fn stream(&self, operation: RuntimeStream, body: Bytes, model: &str) -> Result<RuntimeFrameStream, Error> {
        self.stream_guarded(operation, body, model, RuntimeOptions::default()).await
    }

    async fn call_guarded(
        &self,
        operation: RuntimeCall,
        body: Bytes,
        model: &str,
        options: RuntimeOptions<'_>,
    ) -> Result<RuntimeReply, Error> {
        let client = self.shared.client();
        let guardrail = options.guardrail.or(self.shared.settings.guardrail.as_ref());
        let body =
            if operation == RuntimeCall::Converse { guardrails::into_converse_body(body, guardrail) } else { body };
        let mut raw = Raw::new(body, false);
        if operation == RuntimeCall::Invoke {
            raw.forward = options.headers.to_vec();
        }
        match operation {
            RuntimeCall::Invoke => {
                // InvokeModel's body is the SDK's blob as it is, and so is its answer; the interceptor is there
                // for the headers.
                let call = guardrails::invoke_guardrail!(client.invoke_model(), guardrail)
                    .model_id(model)
                    .content_type("application/json")
                    .accept("application/json")
                    .body(Blob::new(raw.request.clone()))
                    .customize()
                    .interceptor(raw.clone())
                    .send();
                let output = self.shared.first_byte(Box::pin(call)).await?.map_err(|e| errors::from_sdk(&e))?;
                return Ok(RuntimeReply { body: Bytes::from(output.body.into_inner()), headers: raw.headers() });
            }
            RuntimeCall::Converse => {
                let call = client.converse().model_id(model).customize().interceptor(raw.clone()).send();
                self.shared.first_byte(Box::pin(call)).await?.map_err(|e| errors::from_sdk(&e))?;
            }
            RuntimeCall::CountTokens => {
                let call = client.count_tokens().model_id(model).customize().interceptor(raw.clone()).send();
                self.shared.first_byte(Box::pin(call)).await?.map_err(|e| errors::from_sdk(&e))?;
            }
        }
        let body = raw
            .take()
            .and_then(|body| body.bytes().map(Bytes::copy_from_slice))
            .ok_or_else(errors::closed_mid_answer)?;
        Ok(RuntimeReply { body, headers: raw.headers() })
    }

    async fn stream_guarded(
        &self,
        operation: RuntimeStream,
        body: Bytes,
        model: &str,
        options: RuntimeOptions<'_>,
    ) -> Result<RuntimeFrameStream, Error> {
        let client = self.shared.client();
        let guardrail = options.guardrail.or(self.shared.settings.guardrail.as_ref());
        let body = if operation == RuntimeStream::ConverseStream {
            guardrails::into_converse_body(body, guardrail)
        } else {
            body
        };
        let mut raw = Raw::new(body, true);
        if operation == RuntimeStream::InvokeStream {
            raw.forward = options.headers.to_vec();
        }
        // The SDK's own receiver reads the empty body left in place of Bedrock's; it is dropped unread.
        match operation {
            RuntimeStream::ConverseStream => {
                let call = client.converse_stream().model_id(model).customize().interceptor(raw.clone()).send();
                drop(self.shared.first_byte(Box::pin(call)).await?.map_err(|e| errors::from_sdk(&e))?);
            }
            RuntimeStream::InvokeStream => {
                let call = guardrails::invoke_guardrail!(client.invoke_model_with_response_stream(), guardrail)
                    .model_id(model)
                    .content_type("application/json")
                    .accept("application/json")
                    .body(Blob::new(raw.request.clone()))
                    .customize()
                    .interceptor(raw.clone())
                    .send();
                drop(self.shared.first_byte(Box::pin(call)).await?.map_err(|e| errors::from_sdk(&e))?);
            }
        }
        let body = raw.take().ok_or_else(errors::closed_mid_answer)?;
        // A Converse stream ends with messageStop (then metadata); an InvokeModel stream's end is the model's.
        let needs_stop = operation == RuntimeStream::ConverseStream;
        Ok(frames(ByteStream::new(body), self.shared.settings.timeouts.idle, needs_stop))
    }
}

/// Puts the client's body in the request and takes Bedrock's successful answer out of the response, with the
/// `x-amzn-bedrock-*` headers beside it.
#[derive(Debug, Clone)]
struct Raw {
    request: Bytes,
    streaming: bool,
    answer: Arc<Mutex<Option<SdkBody>>>,
    headers: Arc<Mutex<Vec<(String, String)>>>,
    /// The client's own request headers to send as they came (signed with the rest).
    forward: Vec<(String, String)>,
}

/// The prefix of the answer headers relayed to the client (InvokeModel's token counts, latency and tier).
const RELAYED_PREFIX: &str = "x-amzn-bedrock-";

impl Raw {
    fn new(request: Bytes, streaming: bool) -> Self {
        Raw {
            request,
            streaming,
            answer: Arc::new(Mutex::new(None)),
            headers: Arc::new(Mutex::new(Vec::new())),
            forward: Vec::new(),
        }
    }

    fn headers(&self) -> Vec<(String, String)> {
        self.headers.lock().map(|mut headers| std::mem::take(&mut *headers)).unwrap_or_default()
    }

    fn take(&self) -> Option<SdkBody> {
        self.answer.lock().ok().and_then(|mut slot| slot.take())
    }

    fn put(&self, body: SdkBody) {
        if let Ok(mut slot) = self.answer.lock() {
            *slot = Some(body);
        }
    }
}

impl Intercept for Raw {
    fn name(&self) -> &'static str {
        "obs-converse-passthrough"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        *request.body_mut() = SdkBody::from(self.request.clone());
        request.headers_mut().insert("content-length", self.request.len().to_string());
        for (name, value) in &self.forward {
            request.headers_mut().insert(name.clone(), value.clone());
        }
        Ok(())
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // A failure stays with the SDK, which reads its exception type; a stream's frames are taken here.
        let response = context.response_mut();
        if self.streaming && response.status().is_success() {
            self.put(std::mem::replace(response.body_mut(), SdkBody::empty()));
        }
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // The whole answer is in memory by now (the SDK read it to decode it).
        let response = context.response();
        if let Ok(mut kept) = self.headers.lock() {
            *kept = response
                .headers()
                .iter()
                .filter(|(name, _)| {
                    name.get(..RELAYED_PREFIX.len()).is_some_and(|p| p.eq_ignore_ascii_case(RELAYED_PREFIX))
                })
                .map(|(name, value)| (name.to_ascii_lowercase(), value.to_owned()))
                .collect();
        }
        if !self.streaming
            && response.status().is_success()
            && let Some(bytes) = response.body().bytes()
        {
            self.put(SdkBody::from(Bytes::copy_from_slice(bytes)));
        }
        Ok(())
    }
}

struct State {
    body: ByteStream,
    buffer: BytesMut,
    idle: Duration,
    stopped: bool,
    done: bool,
}

/// Splits the body into frames (each checked by `aws-smithy-eventstream`, CRCs included) and relays them as they
/// are; an exception frame becomes the error it names and ends the stream, as does a stream cut before
/// `messageStop` when `needs_stop`.
fn frames(body: ByteStream, idle: Duration, needs_stop: bool) -> RuntimeFrameStream {
    let state = State { body, buffer: BytesMut::new(), idle, stopped: !needs_stop, done: false };
    Box::pin(futures::stream::unfold(Box::new(state), |mut state| async move {
        if state.done {
            return None;
        }
        let item = next_frame(&mut state).await;
        match &item {
            Some(Err(_)) => state.done = true,
            None => {
                state.done = true;
                if !state.stopped {
                    return Some((Err(errors::closed_mid_answer()), state));
                }
            }
            Some(Ok(_)) => {}
        }
        item.map(|item| (item, state))
    }))
}

async fn next_frame(state: &mut State) -> Option<Result<RuntimeFrame, Error>> {
    loop {
        if state.buffer.len() >= 4 {
            let total = usize::try_from((&state.buffer[..4]).get_u32()).unwrap_or(usize::MAX);
            if !(16..=MAX_FRAME).contains(&total) {
                return Some(Err(errors::closed_mid_answer()));
            }
            if state.buffer.len() >= total {
                let frame = state.buffer.split_to(total).freeze();
                return Some(read_frame(frame, &mut state.stopped));
            }
        }
        match tokio::time::timeout(state.idle, state.body.next()).await {
            Err(_) => {
                return Some(Err(Error::new(
                    ErrorCode::UpstreamTimeout,
                    "Bedrock stopped sending in the middle of the answer.",
                )));
            }
            Ok(Some(Ok(bytes))) => state.buffer.extend_from_slice(&bytes),
            Ok(Some(Err(_))) => return Some(Err(errors::closed_mid_answer())),
            Ok(None) if state.buffer.is_empty() => return None,
            Ok(None) => return Some(Err(errors::closed_mid_answer())),
        }
    }
}

fn read_frame(frame: Bytes, stopped: &mut bool) -> Result<RuntimeFrame, Error> {
    let message = aws_smithy_eventstream::frame::read_message_from(frame.clone())
        .map_err(|e| errors::closed_mid_answer().with_detail(format!("bad event-stream frame: {e}")))?;
    match header(&message, ":message-type") {
        Some("event") => {
            let event_type = header(&message, ":event-type").unwrap_or_default().to_owned();
            if event_type == "messageStop" {
                *stopped = true;
            }
            Ok(RuntimeFrame { event_type, frame })
        }
        Some("exception") => {
            let kind = header(&message, ":exception-type").unwrap_or("internalServerException");
            let text = serde_json::from_slice::<serde_json::Value>(message.payload())
                .ok()
                .and_then(|v| v.get("message").and_then(serde_json::Value::as_str).map(str::to_owned))
                .unwrap_or_else(|| "Bedrock failed in the middle of the answer.".to_owned());
            Err(errors::from_code(kind, &text))
        }
        _ => {
            let code = header(&message, ":error-code").unwrap_or("internalServerException");
            let text = header(&message, ":error-message").unwrap_or("Bedrock failed in the middle of the answer.");
            Err(errors::from_code(code, text))
        }
    }
}

fn header<'m>(message: &'m Message, name: &str) -> Option<&'m str> {
    message.headers().iter().find(|h| h.name().as_str() == name).and_then(|h| match h.value() {
        HeaderValue::String(value) => Some(value.as_str()),
        _ => None,
    })
}
