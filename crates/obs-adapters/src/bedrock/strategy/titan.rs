//! Titan Text via InvokeModel / InvokeModelWithResponseStream (docs/reference/formats.md §7.4).

use aws_sdk_bedrockruntime::types::ResponseStream;
use obs_convert::bedrock::ResponseMeta;
use obs_convert::bedrock::titan::{self, TitanStreamDecoder};
use obs_models::error::ErrorCode;
use obs_models::openai::{ChatCompletionChunk, ChatCompletionRequest, ChatCompletionResponse};

use super::{chunk_payload, encode_body, invoke_stream_with, invoke_with};
use crate::bedrock::Shared;
use crate::bedrock::Target;
use crate::bedrock::event_stream::{EventDecoder, drive};
use crate::bedrock::guardrails::{self, stream::InvokeWatch};
use crate::bedrock::structured;
use crate::bedrock::tiers::{self, CallOptions};
use crate::{Error, ItemStream, unix_now};

pub(crate) async fn chat(
    shared: &Shared,
    mut request: ChatCompletionRequest,
    target: Target<'_>,
) -> Result<ChatCompletionResponse, Error> {
    // Titan can give no structured output: a response_format is refused here, not answered with prose.
    structured::prepare(&mut request, target, shared.settings.structured_output)?;
    let body = encode_body(&titan::build(&request, shared.settings.titan_max_tokens)?)?;
    let options = CallOptions::of(&request)?.guarded(guardrails::of(&request, &shared.settings));
    let (output, served_tier) = invoke_with(shared, target, body, &options).await?;
    let parsed = titan::parse_response(output.as_ref())?;
    let (mut response, unknown) = titan::response_to_internal(parsed, &ResponseMeta::new(request.model, unix_now()))?;
    tiers::report(&mut response, served_tier.as_ref());
    if options.guardrail.is_some() {
        guardrails::report(&mut response, guardrails::invoke_outcome(output.as_ref()));
    }
    if let Some(reason) = unknown {
        tracing::warn!(completion_reason = %reason.0, "unknown Titan completion reason mapped to stop");
    }
    Ok(response)
}

pub(crate) async fn chat_stream(
    shared: &Shared,
    mut request: ChatCompletionRequest,
    target: Target<'_>,
) -> Result<ItemStream, Error> {
    structured::prepare(&mut request, target, shared.settings.structured_output)?;
    let body = encode_body(&titan::build(&request, shared.settings.titan_max_tokens)?)?;
    let options = CallOptions::of(&request)?.guarded(guardrails::of(&request, &shared.settings));
    let events = invoke_stream_with(shared, target, body, &options).await?;
    let guarded = options.guardrail.is_some();
    let decoder =
        Decoder(TitanStreamDecoder::new(ResponseMeta::new(request.model, unix_now())), InvokeWatch::new(guarded));
    Ok(guardrails::stream::when_guarded(guarded, drive(events, decoder, shared.settings.timeouts.idle)))
}

struct Decoder(TitanStreamDecoder, InvokeWatch);

impl EventDecoder<ResponseStream> for Decoder {
    type Out = ChatCompletionChunk;

    fn event(&mut self, event: ResponseStream, out: &mut Vec<ChatCompletionChunk>) -> Result<(), Error> {
        match chunk_payload(event) {
            Some(payload) => {
                self.1.see(&payload);
                self.0.decode(&payload, out)?;
                // Titan's guardrail keys come on its last chunk, beside the completion reason.
                self.1.attach(out);
                Ok(())
            }
            None => Ok(()),
        }
    }

    fn end(&mut self, out: &mut Vec<ChatCompletionChunk>) -> Result<(), Error> {
        self.1.attach(out);
        if !self.0.is_done() {
            return Err(Error::new(ErrorCode::UpstreamError, "The Bedrock stream ended before the end of the answer."));
        }
        if let Some(reason) = self.0.unknown_stop_reason() {
            tracing::warn!(completion_reason = %reason.0, "unknown Titan completion reason mapped to stop");
        }
        Ok(())
    }
}
