//! Claude via InvokeModel / InvokeModelWithResponseStream with the Anthropic Messages body (contract §9.1).

use aws_sdk_bedrockruntime::types::ResponseStream;
use obs_convert::bedrock::ResponseMeta;
use obs_convert::bedrock::claude_request;
use obs_convert::bedrock::claude_response;
use obs_convert::bedrock::claude_stream::ClaudeStreamDecoder;
use obs_convert::bedrock::image::remote_image_urls;
use obs_models::error::ErrorCode;
use obs_models::openai::{ChatCompletionChunk, ChatCompletionRequest, ChatCompletionResponse};

use super::{chunk_payload, encode_body, invoke, invoke_stream};
use crate::bedrock::event_stream::{EventDecoder, drive};
use crate::bedrock::{Shared, Target, images};
use crate::{Error, ItemStream, unix_now};

async fn body(shared: &Shared, request: &ChatCompletionRequest) -> Result<Vec<u8>, Error> {
    let fetched = images::fetch_all(remote_image_urls(request), &shared.settings.images).await?;
    encode_body(&claude_request::build(request, shared.settings.claude_max_tokens, &fetched)?)
}

pub(crate) async fn chat(
    shared: &Shared,
    request: ChatCompletionRequest,
    target: Target<'_>,
) -> Result<ChatCompletionResponse, Error> {
    let body = body(shared, &request).await?;
    let output = invoke(shared, target, body).await?;
    let parsed = claude_response::parse(output.as_ref())?;
    let (response, unknown) = claude_response::to_internal(parsed, &ResponseMeta::new(request.model, unix_now()));
    if let Some(reason) = unknown {
        tracing::warn!(stop_reason = %reason.0, "unknown Claude stop reason mapped to stop");
    }
    Ok(response)
}

pub(crate) async fn chat_stream(
    shared: &Shared,
    request: ChatCompletionRequest,
    target: Target<'_>,
) -> Result<ItemStream, Error> {
    let body = body(shared, &request).await?;
    let events = invoke_stream(shared, target, body).await?;
    let decoder = Decoder(ClaudeStreamDecoder::new(ResponseMeta::new(request.model, unix_now())));
    Ok(drive(events, decoder, shared.settings.timeouts.idle))
}

struct Decoder(ClaudeStreamDecoder);

impl EventDecoder<ResponseStream> for Decoder {
    fn event(&mut self, event: ResponseStream, out: &mut Vec<ChatCompletionChunk>) -> Result<(), Error> {
        match chunk_payload(event) {
            Some(payload) => self.0.decode(&payload, out),
            None => Ok(()),
        }
    }

    fn end(&mut self, out: &mut Vec<ChatCompletionChunk>) -> Result<(), Error> {
        if !self.0.is_done() {
            return Err(Error::new(
                ErrorCode::UpstreamError,
                "The Bedrock stream ended before the end of the message.",
            ));
        }
        if let Some(reason) = self.0.unknown_stop_reason() {
            tracing::warn!(stop_reason = %reason.0, "unknown Claude stop reason mapped to stop");
        }
        self.0.end(out);
        Ok(())
    }
}
