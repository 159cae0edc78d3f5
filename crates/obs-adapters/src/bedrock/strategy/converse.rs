//! Every other chat family (and Claude when `claude_api = "converse"`) via Converse / ConverseStream
//! (docs/reference/formats.md §7.5).

use obs_convert::bedrock::ResponseMeta;
use obs_convert::bedrock::image::remote_image_urls;
use obs_models::openai::{ChatCompletionRequest, ChatCompletionResponse};

use crate::bedrock::converse::{reasoning, request, response, stream::ConverseStreamDecoder};
use crate::bedrock::event_stream::drive;
use crate::bedrock::guardrails::{self, stream::ConverseWatch};
use crate::bedrock::structured::{self, Structured};
use crate::bedrock::tiers::{self, CallOptions};
use crate::bedrock::{Shared, Target, cache_auto, errors, images};
use crate::{Error, ItemStream, unix_now};

/// Applies the request parts to a Converse or ConverseStream fluent builder (same setters, different types).
macro_rules! with_parts {
    ($builder:expr, $target:expr, $parts:expr) => {{
        let parts = $parts;
        $builder
            .model_id($target.model_id)
            .set_messages(Some(parts.messages))
            .set_system((!parts.system.is_empty()).then_some(parts.system))
            .set_inference_config(parts.inference)
            .set_tool_config(parts.tool_config)
            .set_additional_model_request_fields(parts.additional)
            .set_output_config(parts.output_config)
            .set_service_tier(parts.service_tier)
            .set_performance_config(parts.performance)
    }};
}

async fn parts(
    shared: &Shared,
    chat: &ChatCompletionRequest,
    target: Target<'_>,
    structured: Option<&Structured>,
) -> Result<request::ConverseParts, Error> {
    let fetched = images::fetch_all(remote_image_urls(chat), &shared.settings.images).await?;
    let mut parts = request::build(chat, target.family, &fetched)?;
    reasoning::apply(&mut parts, chat, target, shared.settings.claude_max_tokens, &shared.settings.effort_budgets)?;
    parts.output_config = structured::output_config(structured);
    let options = CallOptions::of(chat)?;
    parts.service_tier = options.converse_tier();
    parts.performance = options.converse_performance();
    Ok(parts)
}

pub(crate) async fn chat(
    shared: &Shared,
    mut chat: ChatCompletionRequest,
    target: Target<'_>,
) -> Result<ChatCompletionResponse, Error> {
    cache_auto::apply(&mut chat, target, shared.settings.cache_auto);
    let structured = structured::prepare(&mut chat, target, shared.settings.structured_output)?;
    reasoning::restore(&mut chat, target, &shared.thinking);
    let parts = parts(shared, &chat, target, structured.as_ref()).await?;
    let guardrail = guardrails::converse(guardrails::of(&chat, &shared.settings));
    let call = with_parts!(shared.client().converse(), target, parts).set_guardrail_config(guardrail).send();
    let output = shared.first_byte(Box::pin(call)).await?.map_err(|e| errors::from_sdk(&e))?;
    let served_tier = output.service_tier().map(|tier| tier.r#type().clone());
    let outcome = guardrails::converse_outcome(&output.stop_reason, output.trace.as_ref());
    let mut response = response::to_internal(output, &ResponseMeta::new(chat.model, unix_now()));
    tiers::report(&mut response, served_tier.as_ref());
    guardrails::report(&mut response, outcome);
    super::claude::keep_thinking(shared, &response);
    Ok(structured::finish(structured.as_ref(), response))
}

pub(crate) async fn chat_stream(
    shared: &Shared,
    mut chat: ChatCompletionRequest,
    target: Target<'_>,
) -> Result<ItemStream, Error> {
    cache_auto::apply(&mut chat, target, shared.settings.cache_auto);
    let structured = structured::prepare(&mut chat, target, shared.settings.structured_output)?;
    reasoning::restore(&mut chat, target, &shared.thinking);
    let parts = parts(shared, &chat, target, structured.as_ref()).await?;
    let guardrail = guardrails::converse_stream(guardrails::of(&chat, &shared.settings));
    let guarded = guardrail.is_some();
    let call = with_parts!(shared.client().converse_stream(), target, parts).set_guardrail_config(guardrail).send();
    let output = shared.first_byte(Box::pin(call)).await?.map_err(|e| errors::from_sdk(&e))?;
    let decoder = ConverseWatch::new(ConverseStreamDecoder::new(ResponseMeta::new(chat.model, unix_now())));
    let items = guardrails::stream::when_guarded(guarded, drive(output.stream, decoder, shared.settings.timeouts.idle));
    Ok(structured::stream(structured, super::claude::keeping_thinking(shared.thinking.clone(), items)))
}
