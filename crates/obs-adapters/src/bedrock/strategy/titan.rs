//! Titan Text via InvokeModel / InvokeModelWithResponseStream (contract §9.2).

use aws_sdk_bedrockruntime::types::ResponseStream;
use obs_convert::bedrock::ResponseMeta;
use obs_convert::bedrock::titan::{self, TitanStreamDecoder};
use obs_models::error::ErrorCode;
use obs_models::openai::{ChatCompletionChunk, ChatCompletionRequest, ChatCompletionResponse};

use super::{chunk_payload, encode_body, invoke, invoke_stream};
use crate::bedrock::Shared;
use crate::bedrock::Target;
use crate::bedrock::event_stream::{EventDecoder, drive};
use crate::{Error, ItemStream, unix_now};

pub(crate) async fn chat(
    shared: &Shared,
    request: ChatCompletionRequest,
    target: Target<'_>,
) -> Result<ChatCompletionResponse, Error> {
    let body = encode_body(&titan::build(&request, shared.settings.titan_max_tokens)?)?;
    let output = invoke(shared, target, body).await?;
    let parsed = titan::parse_response(output.as_ref())?;
    let (response, unknown) = titan::response_to_internal(parsed, &ResponseMeta::new(request.model, unix_now()))?;
    if let Some(reason) = unknown {
        tracing::warn!(completion_reason = %reason.0, "unknown Titan completion reason mapped to stop");
    }
    Ok(response)
}

pub(crate) async fn chat_stream(
    shared: &Shared,
    request: ChatCompletionRequest,
    target: Target<'_>,
) -> Result<ItemStream, Error> {
    let body = encode_body(&titan::build(&request, shared.settings.titan_max_tokens)?)?;
    let events = invoke_stream(shared, target, body).await?;
    let decoder = Decoder(TitanStreamDecoder::new(ResponseMeta::new(request.model, unix_now())));
    Ok(drive(events, decoder, shared.settings.timeouts.idle))
}

struct Decoder(TitanStreamDecoder);

impl EventDecoder<ResponseStream> for Decoder {
    fn event(&mut self, event: ResponseStream, out: &mut Vec<ChatCompletionChunk>) -> Result<(), Error> {
        match chunk_payload(event) {
            Some(payload) => self.0.decode(&payload, out),
            None => Ok(()),
        }
    }

    fn end(&mut self, _out: &mut Vec<ChatCompletionChunk>) -> Result<(), Error> {
        if !self.0.is_done() {
            return Err(Error::new(ErrorCode::UpstreamError, "The Bedrock stream ended before the end of the answer."));
        }
        if let Some(reason) = self.0.unknown_stop_reason() {
            tracing::warn!(completion_reason = %reason.0, "unknown Titan completion reason mapped to stop");
        }
        Ok(())
    }
}
