//! Internal response → Titan response for `?target_format=bedrock_titan` (docs/reference/formats.md §9.3). Tool calls
//! have no Titan form: the text part is answered with `FINISH` (callers log it).

use obs_models::openai::{ChatCompletionResponse, FinishReason};
use obs_models::titan::{TitanResponse, TitanResult};

use crate::{Error, finish};

/// Converts the first choice.
pub fn from_internal(response: &ChatCompletionResponse) -> Result<TitanResponse, Error> {
    let choice = response.choices.first().ok_or_else(|| Error::upstream("The upstream answer had no choices."))?;
    let usage = response.usage.as_ref();
    Ok(TitanResponse {
        input_text_token_count: usage.map_or(0, |u| u.prompt_tokens),
        results: vec![TitanResult {
            token_count: usage.map_or(0, |u| u.completion_tokens),
            output_text: choice.message.content.clone().unwrap_or_default(),
            completion_reason: Some(finish::to_titan(choice.finish_reason.as_ref()).to_owned()),
        }],
    })
}

/// Whether the answer held tool calls that the Titan format had to drop.
pub fn drops_tool_calls(response: &ChatCompletionResponse) -> bool {
    response.choices.first().is_some_and(|c| {
        c.finish_reason == Some(FinishReason::ToolCalls) || c.message.tool_calls.as_ref().is_some_and(|t| !t.is_empty())
    })
}
