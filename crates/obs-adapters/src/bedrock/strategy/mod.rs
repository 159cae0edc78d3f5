//! One file per Bedrock API family: Claude and Titan through InvokeModel with their native bodies, everything
//! else (and Claude when configured) through Converse.

pub(crate) mod claude;
pub(crate) mod converse;
pub(crate) mod titan;

use aws_sdk_bedrockruntime::primitives::Blob;
use aws_sdk_bedrockruntime::primitives::event_stream::EventReceiver;
use aws_sdk_bedrockruntime::types::error::ResponseStreamError;
use aws_sdk_bedrockruntime::types::{ResponseStream, ServiceTierType};
use obs_models::error::ErrorCode;

use crate::Error;
use crate::bedrock::tiers::CallOptions;
use crate::bedrock::{Shared, Target, errors, guardrails};

/// InvokeModel with a JSON body and the request's tier and latency; the answer's body and the tier that served.
pub(crate) async fn invoke_with(
    shared: &Shared,
    target: Target<'_>,
    body: Vec<u8>,
    options: &CallOptions,
) -> Result<(Blob, Option<ServiceTierType>), Error> {
    let call = guardrails::invoke_guardrail!(shared.client().invoke_model(), options.guardrail.as_ref())
        .model_id(target.model_id)
        .content_type("application/json")
        .accept("application/json")
        .set_service_tier(options.service_tier.clone())
        .set_performance_config_latency(options.latency.clone())
        .body(Blob::new(body))
        .send();
    let output = shared.first_byte(Box::pin(call)).await?.map_err(|e| errors::from_sdk(&e))?;
    Ok((output.body, output.service_tier))
}

/// InvokeModelWithResponseStream with the request's tier and latency.
pub(crate) async fn invoke_stream_with(
    shared: &Shared,
    target: Target<'_>,
    body: Vec<u8>,
    options: &CallOptions,
) -> Result<EventReceiver<ResponseStream, ResponseStreamError>, Error> {
    let call =
        guardrails::invoke_guardrail!(shared.client().invoke_model_with_response_stream(), options.guardrail.as_ref())
            .model_id(target.model_id)
            .content_type("application/json")
            .accept("application/json")
            .set_service_tier(options.service_tier.clone())
            .set_performance_config_latency(options.latency.clone())
            .body(Blob::new(body))
            .send();
    Ok(shared.first_byte(Box::pin(call)).await?.map_err(|e| errors::from_sdk(&e))?.body)
}

/// The JSON payload of an InvokeModelWithResponseStream event (`chunk.bytes`); other events carry none.
pub(crate) fn chunk_payload(event: ResponseStream) -> Option<Vec<u8>> {
    match event {
        ResponseStream::Chunk(part) => part.bytes.map(|blob| blob.into_inner()),
        _ => None,
    }
}

pub(crate) fn encode_body<T: serde::Serialize>(body: &T) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(body)
        .map_err(|e| Error::new(ErrorCode::InternalError, format!("Could not encode the Bedrock body: {e}.")))
}
