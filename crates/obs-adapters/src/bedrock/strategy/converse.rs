//! Every other chat family (and Claude when `claude_api = "converse"`) via Converse / ConverseStream (contract §9.3).

use obs_convert::bedrock::ResponseMeta;
use obs_convert::bedrock::image::remote_image_urls;
use obs_models::openai::{ChatCompletionRequest, ChatCompletionResponse};

use crate::bedrock::converse::{request, response, stream::ConverseStreamDecoder};
use crate::bedrock::event_stream::drive;
use crate::bedrock::{Shared, Target, errors, images};
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
    }};
}

async fn parts(
    shared: &Shared,
    chat: &ChatCompletionRequest,
    target: Target<'_>,
) -> Result<request::ConverseParts, Error> {
    let fetched = images::fetch_all(remote_image_urls(chat), &shared.settings.images).await?;
    request::build(chat, target.family, &fetched)
}

pub(crate) async fn chat(
    shared: &Shared,
    chat: ChatCompletionRequest,
    target: Target<'_>,
) -> Result<ChatCompletionResponse, Error> {
    let parts = parts(shared, &chat, target).await?;
    let call = with_parts!(shared.client.converse(), target, parts).send();
    let output = shared.first_byte(Box::pin(call)).await?.map_err(|e| errors::from_sdk(&e))?;
    Ok(response::to_internal(output, &ResponseMeta::new(chat.model, unix_now())))
}

pub(crate) async fn chat_stream(
    shared: &Shared,
    chat: ChatCompletionRequest,
    target: Target<'_>,
) -> Result<ItemStream, Error> {
    let parts = parts(shared, &chat, target).await?;
    let call = with_parts!(shared.client.converse_stream(), target, parts).send();
    let output = shared.first_byte(Box::pin(call)).await?.map_err(|e| errors::from_sdk(&e))?;
    let decoder = ConverseStreamDecoder::new(ResponseMeta::new(chat.model, unix_now()));
    Ok(drive(output.stream, decoder, shared.settings.timeouts.idle))
}
