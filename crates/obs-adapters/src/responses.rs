//! The OpenAI Responses API as a provider capability: an upstream with its own `/responses` (OpenAI; a provider
//! configured `responses = "native"`) gets the client's request as sent and answers with its own JSON or event
//! stream, relayed byte for byte (docs/reference/responses.md §9). Other providers are served through
//! [`crate::ChatAdapter`] with the request translated (obs-server decides per plan).

use std::pin::Pin;

use async_trait::async_trait;
use bytes::Bytes;
use futures::Stream;

use crate::Error;

/// The upstream's bytes as they arrive. Dropping it cancels the upstream request.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, Error>> + Send>>;

/// What a provider with its own Responses API offers (see [`crate::ChatAdapter::responses`]).
#[async_trait]
pub trait ResponsesAdapter: Send + Sync {
    /// `POST /responses` with `body` (the client's, its `model` already the upstream id): the answer's JSON as it
    /// came. A refusal is the upstream's error, mapped as every other call's.
    async fn create(&self, body: Bytes) -> Result<Bytes, Error>;

    /// The same with `stream: true` in `body`: the event stream's bytes as they arrive, once the upstream has
    /// accepted the request; a failure after that ends the stream with an error item.
    async fn create_stream(&self, body: Bytes) -> Result<ByteStream, Error>;
}
