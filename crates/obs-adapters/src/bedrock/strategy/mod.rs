//! One file per Bedrock API family: Claude and Titan through InvokeModel with their native bodies, everything
//! else (and Claude when configured) through Converse.

pub(crate) mod claude;
pub(crate) mod converse;
pub(crate) mod titan;

use aws_sdk_bedrockruntime::primitives::Blob;
use aws_sdk_bedrockruntime::primitives::event_stream::EventReceiver;
use aws_sdk_bedrockruntime::types::ResponseStream;
use aws_sdk_bedrockruntime::types::error::ResponseStreamError;
use obs_models::error::ErrorCode;

use crate::Error;
use crate::bedrock::{Shared, Target, errors};

/// InvokeModel with a JSON body; the answer's bytes.
pub(crate) async fn invoke(shared: &Shared, target: Target<'_>, body: Vec<u8>) -> Result<Blob, Error> {
    let call = shared
        .client
        .invoke_model()
        .model_id(target.model_id)
        .content_type("application/json")
        .accept("application/json")
        .body(Blob::new(body))
        .send();
    Ok(shared.first_byte(Box::pin(call)).await?.map_err(|e| errors::from_sdk(&e))?.body)
}

/// InvokeModelWithResponseStream with a JSON body; the event receiver.
pub(crate) async fn invoke_stream(
    shared: &Shared,
    target: Target<'_>,
    body: Vec<u8>,
) -> Result<EventReceiver<ResponseStream, ResponseStreamError>, Error> {
    let call = shared
        .client
        .invoke_model_with_response_stream()
        .model_id(target.model_id)
        .content_type("application/json")
        .accept("application/json")
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
