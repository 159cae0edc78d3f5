//! One file per Bedrock API family: Claude and Titan through InvokeModel with their native bodies, everything
//! else (and Claude when configured) through Converse.

pub(crate) mod claude;
pub(crate) mod converse;
pub(crate) mod titan;

use aws_sdk_bedrockruntime::types::ResponseStream;
use obs_models::error::ErrorCode;

use crate::AdapterError;

/// The JSON payload of an InvokeModelWithResponseStream event (`chunk.bytes`); other events carry none.
pub(crate) fn chunk_payload(event: ResponseStream) -> Option<Vec<u8>> {
    match event {
        ResponseStream::Chunk(part) => part.bytes.map(|blob| blob.into_inner()),
        _ => None,
    }
}

pub(crate) fn encode_body<T: serde::Serialize>(body: &T) -> Result<Vec<u8>, AdapterError> {
    serde_json::to_vec(body)
        .map_err(|e| AdapterError::new(ErrorCode::InternalError, format!("Could not encode the Bedrock body: {e}.")))
}
