//! A guarded stream's finish chunk carries the guardrail's outcome. Bedrock reports it after the stop reason
//! (Converse's `metadata.trace`, InvokeModel's last chunk), which the decoders put on the chunk after the finish
//! chunk; so the finish chunk is held until the next chunk (or the end) and gets the outcome moved onto it — and
//! `finish_reason: "content_filter"` when the guardrail intervened. Only guarded requests pay for the hold.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use aws_sdk_bedrockruntime::types::{ConverseStreamOutput, StopReason};
use futures::Stream;
use obs_models::guardrail::ANSWER_FIELD;
use obs_models::openai::{ChatCompletionChunk, FinishReason};

use crate::bedrock::event_stream::EventDecoder;
use crate::{Error, ItemStream, StreamItem};

/// The stream with its finish chunk carrying the guardrail outcome.
pub(crate) fn finish_with_outcome(items: ItemStream) -> ItemStream {
    Box::pin(HoldFinish { inner: items, held: None, ready: VecDeque::new(), done: false })
}

struct HoldFinish {
    inner: ItemStream,
    held: Option<ChatCompletionChunk>,
    ready: VecDeque<Result<StreamItem, Error>>,
    done: bool,
}

impl HoldFinish {
    fn release(&mut self) {
        if let Some(held) = self.held.take() {
            self.ready.push_back(Ok(StreamItem::Chunk(held)));
        }
    }

    fn chunk(&mut self, mut chunk: ChatCompletionChunk) {
        if let Some(outcome) = chunk.extra.shift_remove(ANSWER_FIELD) {
            match self.held.as_mut() {
                Some(held) => put(held, outcome),
                None => put(&mut chunk, outcome),
            }
        }
        let finishes = chunk.choices.iter().any(|c| c.finish_reason.is_some());
        self.release();
        if finishes {
            self.held = Some(chunk);
        } else {
            self.ready.push_back(Ok(StreamItem::Chunk(chunk)));
        }
    }
}

/// The outcome on the chunk; an intervention is the finish reason.
fn put(chunk: &mut ChatCompletionChunk, outcome: serde_json::Value) {
    chunk.extra.insert(ANSWER_FIELD.to_owned(), outcome);
    if obs_convert::guardrail::intervened(&chunk.extra) {
        for choice in chunk.choices.iter_mut().filter(|c| c.finish_reason.is_some()) {
            choice.finish_reason = Some(FinishReason::ContentFilter);
        }
    }
}

impl Stream for HoldFinish {
    type Item = Result<StreamItem, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if let Some(item) = self.ready.pop_front() {
                return Poll::Ready(Some(item));
            }
            if self.done {
                return Poll::Ready(None);
            }
            match self.inner.as_mut().poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => {
                    self.done = true;
                    self.release();
                }
                Poll::Ready(Some(Ok(StreamItem::Chunk(chunk)))) => self.chunk(chunk),
                Poll::Ready(Some(other)) => {
                    self.release();
                    self.ready.push_back(other);
                }
            }
        }
    }
}

/// An InvokeModel stream decoder's eye on the guardrail keys Bedrock puts on a chunk's payload: seen as they pass,
/// then put on the last chunk decoded (which [`finish_with_outcome`] moves onto the finish chunk).
#[derive(Debug, Default)]
pub(crate) struct InvokeWatch {
    guarded: bool,
    outcome: Option<serde_json::Value>,
}

impl InvokeWatch {
    /// A watch that looks only when the call applied a guardrail.
    pub(crate) fn new(guarded: bool) -> Self {
        InvokeWatch { guarded, outcome: None }
    }

    /// Reads a payload's guardrail keys, if it has any.
    pub(crate) fn see(&mut self, payload: &[u8]) {
        if self.guarded
            && super::mentions_guardrail(payload)
            && let Some(outcome) = super::invoke_outcome(payload)
        {
            self.outcome = Some(outcome);
        }
    }

    /// Puts the outcome seen so far on the last chunk of `out`.
    pub(crate) fn attach(&mut self, out: &mut [ChatCompletionChunk]) {
        if let Some(last) = out.last_mut()
            && let Some(outcome) = self.outcome.take()
        {
            last.extra.insert(ANSWER_FIELD.to_owned(), outcome);
        }
    }
}

/// Applies [`finish_with_outcome`] to guarded streams only.
pub(crate) fn when_guarded(guarded: bool, items: ItemStream) -> ItemStream {
    if guarded { finish_with_outcome(items) } else { items }
}

/// A ConverseStream decoder with an eye on the guardrail: the `messageStop` reason and `metadata.trace.guardrail`
/// become the outcome, put on the chunk the metadata event yields (or, with no metadata, the stream's last chunk).
pub(crate) struct ConverseWatch<D> {
    inner: D,
    stop: Option<StopReason>,
    reported: bool,
}

impl<D> ConverseWatch<D> {
    pub(crate) fn new(inner: D) -> Self {
        ConverseWatch { inner, stop: None, reported: false }
    }

    fn attach(&mut self, outcome: Option<serde_json::Value>, out: &mut [ChatCompletionChunk]) {
        if let (Some(outcome), Some(last)) = (outcome, out.last_mut()) {
            last.extra.insert(ANSWER_FIELD.to_owned(), outcome);
            self.reported = true;
        }
    }
}

impl<D: EventDecoder<ConverseStreamOutput, Out = ChatCompletionChunk>> EventDecoder<ConverseStreamOutput>
    for ConverseWatch<D>
{
    type Out = ChatCompletionChunk;

    fn event(&mut self, event: ConverseStreamOutput, out: &mut Vec<ChatCompletionChunk>) -> Result<(), Error> {
        let outcome = match &event {
            ConverseStreamOutput::MessageStop(stop) => {
                self.stop = Some(stop.stop_reason.clone());
                None
            }
            ConverseStreamOutput::Metadata(metadata) if !self.reported => {
                let stop = self.stop.clone().unwrap_or(StopReason::EndTurn);
                super::converse_stream_outcome(&stop, metadata.trace.as_ref())
            }
            _ => None,
        };
        self.inner.event(event, out)?;
        self.attach(outcome, out);
        Ok(())
    }

    fn end(&mut self, out: &mut Vec<ChatCompletionChunk>) -> Result<(), Error> {
        self.inner.end(out)?;
        if !self.reported
            && let Some(stop) = self.stop.clone()
        {
            self.attach(super::converse_stream_outcome(&stop, None), out);
        }
        Ok(())
    }
}
