//! The Bedrock runtime API for targets that do not speak it (OpenAI-kind models): the client's Converse request or
//! Claude / Titan InvokeModel body translated to the internal request once, the answer translated back to
//! Bedrock's JSON, and chunks encoded as Bedrock's event-stream frames (obs-convert does each conversion).

use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use obs_adapters::{Completion, ItemStream, RuntimeFrame, RuntimeFrameStream, RuntimeReply, StreamItem};
use obs_convert::stream::{ChunkFramer, ClaudeEventEncoder, ConverseEventEncoder, StreamEncoder, TitanChunkEncoder};
use obs_models::Error;
use obs_models::error::ErrorCode;
use obs_models::openai::ChatCompletionRequest;
use serde_json::Value;

/// Which body the client sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    Converse,
    Claude,
    Titan,
}

/// The internal request for a body of `shape`; `model` is the path's model id.
pub(crate) fn to_internal(
    body: &[u8],
    model: &str,
    converse: bool,
    stream: bool,
) -> Result<(Shape, ChatCompletionRequest), Error> {
    if converse {
        return Ok((Shape::Converse, obs_convert::converse_in::to_internal(body, model, stream)?));
    }
    let mut object: serde_json::Map<String, Value> = serde_json::from_slice(body)
        .map_err(|e| Error::new(ErrorCode::InvalidJson, format!("The request body is not a JSON object: {e}.")))?;
    object.insert("model".to_owned(), Value::String(model.to_owned()));
    if stream {
        object.insert("stream".to_owned(), Value::Bool(true));
    }
    if object.contains_key("inputText") {
        Ok((Shape::Titan, obs_convert::titan_in::to_internal(Value::Object(object))?))
    } else {
        // Claude's Messages body is what InvokeModel bodies of every other model family are closest to.
        object.remove("anthropic_version");
        Ok((Shape::Claude, obs_convert::claude_in::to_internal(Value::Object(object))?))
    }
}

/// A whole answer in the client's shape. `latency` is how long the upstream took: Converse reports it as
/// `metrics.latencyMs`; an InvokeModel answer carries it, and the token counts, in the headers Bedrock sets
/// (`x-amzn-bedrock-invocation-latency`, `-input-token-count`, `-output-token-count`).
pub(crate) fn answer(shape: Shape, completion: Completion, latency: Duration) -> Result<RuntimeReply, Error> {
    let response = completion.into_typed()?;
    let latency_ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
    let encoded = match shape {
        Shape::Converse => obs_convert::converse_out::from_internal(&response).and_then(|mut converse| {
            converse["metrics"]["latencyMs"] = latency_ms.into();
            encode(&converse)
        })?,
        Shape::Claude => encode(&obs_convert::claude_out::from_internal(&response)?)?,
        Shape::Titan => encode(&obs_convert::titan_out::from_internal(&response)?)?,
    };
    let headers = match (shape, &response.usage) {
        (Shape::Converse, _) => Vec::new(),
        (_, usage) => {
            let mut headers = vec![("x-amzn-bedrock-invocation-latency".to_owned(), latency_ms.to_string())];
            if let Some(usage) = usage {
                headers.push(("x-amzn-bedrock-input-token-count".to_owned(), usage.prompt_tokens.to_string()));
                headers.push(("x-amzn-bedrock-output-token-count".to_owned(), usage.completion_tokens.to_string()));
            }
            headers
        }
    };
    Ok(RuntimeReply { body: encoded, headers })
}

fn encode(value: &impl serde::Serialize) -> Result<Bytes, Error> {
    serde_json::to_vec(value)
        .map(Bytes::from)
        .map_err(|e| Error::new(ErrorCode::InternalError, format!("Could not encode the answer: {e}.")))
}

/// Chunks encoded as the client's event stream; an upstream failure passes through as an error item. `started`:
/// when the upstream request went out (ConverseStream's `metrics.latencyMs` counts from it).
pub(crate) fn frames(shape: Shape, items: ItemStream, started: Instant) -> RuntimeFrameStream {
    let encoder: Box<dyn StreamEncoder> = match shape {
        Shape::Converse => Box::new(ConverseEventEncoder::timed(started)),
        Shape::Claude => Box::new(ChunkFramer::new(Box::new(ClaudeEventEncoder::new()))),
        Shape::Titan => Box::new(ChunkFramer::new(Box::new(TitanChunkEncoder::new()))),
    };
    let state = (items, encoder, false);
    Box::pin(futures::stream::unfold(state, |(mut items, mut encoder, done)| async move {
        if done {
            return None;
        }
        loop {
            let mut out = Vec::new();
            let finished = match items.next().await {
                Some(Ok(StreamItem::Chunk(chunk))) => {
                    encoder.chunk(chunk, &mut out);
                    false
                }
                Some(Ok(StreamItem::Verbatim(chunk))) => {
                    encoder.verbatim(chunk, &mut out);
                    false
                }
                Some(Err(error)) => return Some((Err(error), (items, encoder, true))),
                None => {
                    encoder.finish(&mut out);
                    true
                }
            };
            if !out.is_empty() || finished {
                let frame = RuntimeFrame { event_type: String::new(), frame: Bytes::from(out) };
                return Some((Ok(frame), (items, encoder, finished)));
            }
        }
    }))
}
