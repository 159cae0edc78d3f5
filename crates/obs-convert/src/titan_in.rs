//! Bedrock Titan body → internal OpenAI request (docs/reference/formats.md §5): `inputText` becomes one user message,
//! `maxTokenCount`→`max_tokens`, `topP`→`top_p`, `stopSequences`→`stop`. The body is remembered in
//! [`TitanIngress`] so a Titan body routed to Titan goes out unchanged.

use obs_models::error::ErrorCode;
use obs_models::openai::{ChatCompletionRequest, Message, Stop, TitanIngress};
use obs_models::titan::TitanRequest;
use serde_json::{Map, Value};

use crate::Error;
use crate::validate::{check_model, typed};

/// Validates a Bedrock Titan body (plus obs's `model` and `stream`) and converts it.
pub fn to_internal(body: Value) -> Result<ChatCompletionRequest, Error> {
    let Value::Object(mut object) = body else {
        return Err(Error::new(ErrorCode::InvalidBody, "The request body must be a JSON object."));
    };
    let model = object.remove("model");
    check_model(model.as_ref())?;
    let Some(Value::String(model)) = model else {
        return Err(crate::validate::missing_model());
    };
    let stream = match object.remove("stream") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(b),
        Some(_) => return Err(Error::invalid("stream", "`stream` must be a boolean.")),
    };
    check_titan_body(&object)?;
    let titan: TitanRequest = typed(Value::Object(object))?;
    let config = titan.text_generation_config.unwrap_or_default();
    let mut request = ChatCompletionRequest::new(model, vec![Message::user(titan.input_text.clone())]);
    request.max_tokens = config.max_token_count;
    request.temperature = config.temperature;
    request.top_p = config.top_p;
    request.stop = config.stop_sequences.map(Stop::Many);
    request.stream = stream;
    request.titan = Some(TitanIngress { input_text: titan.input_text, config_extra: config.extra });
    Ok(request)
}

fn check_titan_body(object: &Map<String, Value>) -> Result<(), Error> {
    if !object.get("inputText").is_some_and(Value::is_string) {
        return Err(Error::invalid("inputText", "`inputText` must be a string."));
    }
    let empty = Map::new();
    let config = match object.get("textGenerationConfig") {
        // Optional, as Bedrock has it: the defaults apply.
        None | Some(Value::Null) => &empty,
        Some(Value::Object(config)) => config,
        Some(_) => return Err(Error::invalid("textGenerationConfig", "`textGenerationConfig` must be an object.")),
    };
    if let Some(v) = config.get("maxTokenCount").filter(|v| !v.is_null())
        && !v.as_u64().is_some_and(|n| n >= 1 && n <= u64::from(u32::MAX))
    {
        return Err(Error::invalid(
            "textGenerationConfig.maxTokenCount",
            "`maxTokenCount` must be an integer of at least 1.",
        ));
    }
    for key in ["temperature", "topP"] {
        if let Some(v) = config.get(key).filter(|v| !v.is_null())
            && !v.as_f64().is_some_and(|x| (0.0..=1.0).contains(&x))
        {
            return Err(Error::invalid(
                format!("textGenerationConfig.{key}"),
                format!("`{key}` must be a number between 0 and 1."),
            ));
        }
    }
    if let Some(v) = config.get("stopSequences").filter(|v| !v.is_null())
        && !v.as_array().is_some_and(|items| items.iter().all(Value::is_string))
    {
        return Err(Error::invalid(
            "textGenerationConfig.stopSequences",
            "`stopSequences` must be an array of strings.",
        ));
    }
    Ok(())
}
