//! Claude via InvokeModel / InvokeModelWithResponseStream with the Anthropic Messages body (docs/reference/formats.md
//! §7.3).

use std::sync::Arc;

use aws_sdk_bedrockruntime::types::ResponseStream;
use futures::StreamExt;
use obs_convert::bedrock::ResponseMeta;
use obs_convert::bedrock::claude_request;
use obs_convert::bedrock::claude_response;
use obs_convert::bedrock::claude_stream::ClaudeStreamDecoder;
use obs_convert::bedrock::image::remote_image_urls;
use obs_convert::bedrock::reasoning::Thinking;
use obs_models::error::ErrorCode;
use obs_models::openai::{ChatCompletionChunk, ChatCompletionRequest, ChatCompletionResponse};

use super::{chunk_payload, encode_body, invoke_stream_with, invoke_with};
use crate::bedrock::event_stream::{EventDecoder, drive};
use crate::bedrock::guardrails::{self, stream::InvokeWatch};
use crate::bedrock::thinking_cache::ThinkingCache;
use crate::bedrock::tiers::{self, CallOptions};
use crate::bedrock::{Shared, Target, cache_auto, images, structured};
use crate::{Error, ItemStream, StreamItem, unix_now};

/// The InvokeModel body; `output_config` is native structured output ([`structured::claude_output_config`]).
async fn body(
    shared: &Shared,
    request: &ChatCompletionRequest,
    output_config: Option<serde_json::Value>,
) -> Result<Vec<u8>, Error> {
    let fetched = images::fetch_all(remote_image_urls(request), &shared.settings.images).await?;
    let restore = |id: &str| shared.thinking.restore(id);
    let budgets = &shared.settings.effort_budgets;
    let mut body =
        claude_request::build_restoring(request, shared.settings.claude_max_tokens, &fetched, &restore, budgets)?;
    if let Some(config) = output_config {
        body.extra.insert("output_config".to_owned(), config);
    }
    if request.claude.is_none() && !body.extra.contains_key("thinking") && Thinking::of(request, budgets)?.is_some() {
        if obs_convert::bedrock::reasoning::forces_tool(request) {
            tracing::info!("thinking was asked for with a forced tool_choice, which Claude refuses: sent without");
        } else {
            tracing::info!(
                "thinking was asked for, but the last tool turn came without its thinking blocks and none were \
                 kept: sent without thinking"
            );
        }
    }
    encode_body(&body)
}

/// Keeps a whole answer's thinking for its tool turn (see [`crate::bedrock::thinking_cache`]).
pub(crate) fn keep_thinking(shared: &Shared, response: &ChatCompletionResponse) {
    let Some(message) = response.choices.first().map(|choice| &choice.message) else { return };
    let first_call = message.tool_calls.as_ref().and_then(|calls| calls.first()).map(|call| call.id.as_str());
    shared.thinking.keep_answer(message.extra.get("thinking_blocks"), first_call);
}

/// Keeps a stream's thinking for its tool turn: the signed blocks and the first tool call's id, as they pass.
pub(crate) fn keeping_thinking(cache: Arc<ThinkingCache>, items: ItemStream) -> ItemStream {
    let mut blocks: Vec<serde_json::Value> = Vec::new();
    let mut first_call: Option<String> = None;
    Box::pin(items.map(move |item| {
        if let Ok(StreamItem::Chunk(chunk)) = &item {
            for choice in &chunk.choices {
                if let Some(serde_json::Value::Array(signed)) = choice.delta.extra.get("thinking_blocks") {
                    blocks.extend(signed.iter().cloned());
                }
                if first_call.is_none() {
                    first_call = choice.delta.tool_calls.iter().flatten().find_map(|call| call.id.clone());
                }
                if choice.finish_reason.is_some() && !blocks.is_empty() {
                    let kept = serde_json::Value::Array(std::mem::take(&mut blocks));
                    cache.keep_answer(Some(&kept), first_call.as_deref());
                }
            }
        }
        item
    }))
}

pub(crate) async fn chat(
    shared: &Shared,
    mut request: ChatCompletionRequest,
    target: Target<'_>,
) -> Result<ChatCompletionResponse, Error> {
    cache_auto::apply(&mut request, target, shared.settings.cache_auto);
    let structured = structured::prepare(&mut request, target, shared.settings.structured_output)?;
    let options = CallOptions::of(&request)?.guarded(guardrails::of(&request, &shared.settings));
    let body = body(shared, &request, structured::claude_output_config(structured.as_ref())).await?;
    let (output, served_tier) = invoke_with(shared, target, body, &options).await?;
    let parsed = claude_response::parse(output.as_ref())?;
    let (mut response, unknown) = claude_response::to_internal(parsed, &ResponseMeta::new(request.model, unix_now()));
    if let Some(reason) = unknown {
        tracing::warn!(stop_reason = %reason.0, "unknown Claude stop reason mapped to stop");
    }
    tiers::report(&mut response, served_tier.as_ref());
    if options.guardrail.is_some() {
        guardrails::report(&mut response, guardrails::invoke_outcome(output.as_ref()));
    }
    keep_thinking(shared, &response);
    Ok(structured::finish(structured.as_ref(), response))
}

pub(crate) async fn chat_stream(
    shared: &Shared,
    mut request: ChatCompletionRequest,
    target: Target<'_>,
) -> Result<ItemStream, Error> {
    cache_auto::apply(&mut request, target, shared.settings.cache_auto);
    let structured = structured::prepare(&mut request, target, shared.settings.structured_output)?;
    let options = CallOptions::of(&request)?.guarded(guardrails::of(&request, &shared.settings));
    let body = body(shared, &request, structured::claude_output_config(structured.as_ref())).await?;
    let events = invoke_stream_with(shared, target, body, &options).await?;
    let guarded = options.guardrail.is_some();
    let decoder =
        Decoder(ClaudeStreamDecoder::new(ResponseMeta::new(request.model, unix_now())), InvokeWatch::new(guarded));
    let items = keeping_thinking(shared.thinking.clone(), drive(events, decoder, shared.settings.timeouts.idle));
    Ok(structured::stream(structured, guardrails::stream::when_guarded(guarded, items)))
}

struct Decoder(ClaudeStreamDecoder, InvokeWatch);

impl EventDecoder<ResponseStream> for Decoder {
    type Out = ChatCompletionChunk;

    fn event(&mut self, event: ResponseStream, out: &mut Vec<ChatCompletionChunk>) -> Result<(), Error> {
        match chunk_payload(event) {
            Some(payload) => {
                self.1.see(&payload);
                self.0.decode(&payload, out)?;
                // The keys come on `message_stop`, whose chunks (the usage) carry them on.
                self.1.attach(out);
                Ok(())
            }
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
        self.1.attach(out);
        Ok(())
    }
}
