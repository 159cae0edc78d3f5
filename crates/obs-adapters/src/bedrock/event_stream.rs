//! Drives an SDK event receiver into a stream: one event at a time, the idle timeout between events, a decoder per
//! API family — into typed chunks ([`drive`], an [`ItemStream`]) or, for the Messages route's Claude passthrough,
//! the upstream's own events ([`drive_events`]). Dropping the stream drops the receiver, which closes the upstream
//! connection.

use std::collections::VecDeque;
use std::time::Duration;

use aws_sdk_bedrockruntime::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_bedrockruntime::primitives::event_stream::EventReceiver;
use aws_smithy_types::event_stream::RawMessage;
use futures::Stream;
use obs_models::error::ErrorCode;
use obs_models::openai::ChatCompletionChunk;

use super::errors;
use crate::{Error, ItemStream, StreamItem};

/// Turns one family's events into items (chunks, or relayed events).
pub(crate) trait EventDecoder<T>: Send + 'static {
    /// What the stream yields.
    type Out: Send + 'static;
    /// One event.
    fn event(&mut self, event: T, out: &mut Vec<Self::Out>) -> Result<(), Error>;
    /// The upstream stream ended; complete the answer or say it was cut short.
    fn end(&mut self, out: &mut Vec<Self::Out>) -> Result<(), Error>;
}

struct State<T, E, D: EventDecoder<T>> {
    receiver: EventReceiver<T, E>,
    decoder: D,
    pending: VecDeque<Result<D::Out, Error>>,
    scratch: Vec<D::Out>,
    idle: Duration,
    done: bool,
}

/// The typed chunks of a chat stream.
pub(crate) fn drive<T, E, D>(receiver: EventReceiver<T, E>, decoder: D, idle: Duration) -> ItemStream
where
    T: Send + 'static,
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    D: EventDecoder<T, Out = ChatCompletionChunk>,
{
    Box::pin(futures::StreamExt::map(drive_events(receiver, decoder, idle), |item| item.map(StreamItem::Chunk)))
}

/// Whatever the decoder makes of the events.
pub(crate) fn drive_events<T, E, D>(
    receiver: EventReceiver<T, E>,
    decoder: D,
    idle: Duration,
) -> std::pin::Pin<Box<dyn Stream<Item = Result<D::Out, Error>> + Send>>
where
    T: Send + 'static,
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    D: EventDecoder<T>,
{
    let state = State { receiver, decoder, pending: VecDeque::new(), scratch: Vec::new(), idle, done: false };
    // Boxed: unfold moves its state in and out on every item; a box moves as one pointer.
    Box::pin(futures::stream::unfold(Box::new(state), |mut state| async move {
        loop {
            if let Some(item) = state.pending.pop_front() {
                return Some((item, state));
            }
            if state.done {
                return None;
            }
            let outcome = match tokio::time::timeout(state.idle, state.receiver.recv()).await {
                Err(_) => {
                    Err(Error::new(ErrorCode::UpstreamTimeout, "Bedrock stopped sending in the middle of the answer."))
                }
                Ok(Err(error)) => Err(stream_error(&error)),
                Ok(Ok(Some(event))) => state.decoder.event(event, &mut state.scratch),
                Ok(Ok(None)) => {
                    state.done = true;
                    state.decoder.end(&mut state.scratch)
                }
            };
            state.pending.extend(state.scratch.drain(..).map(Ok));
            if let Err(error) = outcome {
                state.pending.push_back(Err(error));
                state.done = true;
            }
        }
    }))
}

/// A failure while events arrive. The connection was up, so a transport failure here is the connection dropped
/// mid-answer: `upstream_error`, as the same drop is before a whole answer is read, never `upstream_unreachable`.
fn stream_error<E>(error: &SdkError<E, RawMessage>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let mapped = errors::from_sdk(error);
    if mapped.code == ErrorCode::UpstreamUnreachable { errors::closed_mid_answer() } else { mapped }
}
