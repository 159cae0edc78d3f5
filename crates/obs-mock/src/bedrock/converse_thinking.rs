//! Reasoning on Converse as Bedrock runs it: Claude's extended thinking asked for in
//! `additionalModelRequestFields.thinking` (signed `reasoningText` blocks, checked like InvokeModel's: a budget of
//! at least 1,024 below `inferenceConfig.maxTokens`, no temperature but 1, no `top_k`, a `topP` of at least 0.95, a
//! thinking-enabled tool turn that starts with its signed reasoning block), and models that always reason
//! (ids naming `deepseek.r1` or `gpt-oss`: unsigned `reasoningText`; gpt-oss refuses a signature sent back, as
//! Bedrock does). Each family's own effort field is checked where obs sends one: gpt-oss takes `reasoning_effort`
//! (`low` / `medium` / `high`) and refuses Nova's `reasoningConfig`; Nova 2 takes `reasoningConfig {type:
//! "enabled", maxReasoningEffort}` and then reasons (unsigned). Cache points are counted too: at most four per
//! request.

use serde_json::Value;

use super::errors::BedrockError;
use super::thinking::{MIN_BUDGET, verify};

/// How a Converse answer reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reasoning {
    /// No reasoning asked for (the `reasoning` scenario may still give some).
    Off,
    /// Claude's thinking: signed blocks.
    Signed,
    /// A model that reasons on its own: unsigned text.
    Unsigned,
}

/// Model ids (lower-cased) that reason without being asked.
const REASONING_MODELS: [&str; 2] = ["deepseek.r1", "gpt-oss"];

fn invalid(message: impl Into<String>) -> BedrockError {
    BedrockError::validation(message)
}

/// The request's reasoning, or the error Bedrock answers when its thinking settings, reasoning blocks or cache
/// points are not acceptable.
pub(super) fn check(model_id: &str, request: &Value) -> Result<Reasoning, BedrockError> {
    check_cache_points(request)?;
    let id = model_id.to_ascii_lowercase();
    let messages = request.get("messages").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
    let refuses_signatures = id.contains("gpt-oss");
    for (i, message) in messages.iter().enumerate() {
        let blocks = message.get("content").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
        for (j, block) in blocks.iter().enumerate() {
            let Some(text) = block.pointer("/reasoningContent/reasoningText") else { continue };
            let signature = text.get("signature").and_then(Value::as_str);
            if refuses_signatures && signature.is_some() {
                return Err(invalid(
                    "This model doesn't support the reasoningContent.reasoningText.signature field. Remove \
                     reasoningContent.reasoningText.signature and try again.",
                ));
            }
            let thinking = text.get("text").and_then(Value::as_str).unwrap_or("");
            if let Some(signature) = signature
                && !verify(thinking, signature)
            {
                return Err(invalid(format!("messages.{i}.content.{j}: Invalid `signature` in `thinking` block")));
            }
        }
    }
    let fields = request.get("additionalModelRequestFields");
    if id.contains("gpt-oss") {
        check_gpt_oss(fields)?;
    }
    if id.contains("nova-2") && nova_reasons(fields)? {
        return Ok(Reasoning::Unsigned);
    }
    if REASONING_MODELS.iter().any(|name| id.contains(name)) {
        return Ok(Reasoning::Unsigned);
    }
    if fields.and_then(|f| f.pointer("/thinking/type")).and_then(Value::as_str) != Some("enabled") {
        return Ok(Reasoning::Off);
    }
    let budget = fields.and_then(|f| f.pointer("/thinking/budget_tokens")).and_then(Value::as_u64).unwrap_or(0);
    if budget < MIN_BUDGET {
        return Err(invalid(format!(
            "thinking.enabled.budget_tokens: Input should be greater than or equal to {MIN_BUDGET}"
        )));
    }
    let max_tokens = request.pointer("/inferenceConfig/maxTokens").and_then(Value::as_u64).unwrap_or(0);
    if budget >= max_tokens {
        return Err(invalid(
            "The maximum tokens you requested exceeds the model limit or is lower than \
             thinking.budget_tokens: `max_tokens` must be greater than `thinking.budget_tokens`.",
        ));
    }
    if request.pointer("/inferenceConfig/temperature").and_then(Value::as_f64).is_some_and(|t| (t - 1.0).abs() > 1e-6) {
        return Err(invalid(
            "`temperature` may only be set to 1 when thinking is enabled. Please consult our documentation at \
             https://docs.claude.com/en/docs/build-with-claude/extended-thinking#important-considerations-when-using-extended-thinking",
        ));
    }
    if request.pointer("/inferenceConfig/topP").and_then(Value::as_f64).is_some_and(|p| p < 0.95 - 1e-6) {
        return Err(invalid("`top_p` must be greater than or equal to 0.95 or unset when thinking is enabled."));
    }
    if fields.and_then(|f| f.get("top_k")).is_some() {
        return Err(invalid("`top_k` must be unset when thinking is enabled."));
    }
    let forced = request.pointer("/toolConfig/toolChoice/any").is_some()
        || request.pointer("/toolConfig/toolChoice/tool").is_some();
    if forced {
        return Err(invalid("Thinking may not be enabled when tool_choice forces tool use."));
    }
    check_tool_turn(messages)?;
    Ok(Reasoning::Signed)
}

const EFFORTS: [&str; 3] = ["low", "medium", "high"];

/// gpt-oss's fields are OpenAI's: `reasoning_effort` one of three levels, and no Nova-style `reasoningConfig`.
fn check_gpt_oss(fields: Option<&Value>) -> Result<(), BedrockError> {
    if fields.and_then(|f| f.get("reasoningConfig")).is_some() {
        return Err(invalid(
            "Failed to deserialize the JSON body into the target type: unknown variant `reasoningConfig`, expected \
             one of `reasoning_effort`, …",
        ));
    }
    match fields.and_then(|f| f.get("reasoning_effort")) {
        Some(effort) if !effort.as_str().is_some_and(|e| EFFORTS.contains(&e)) => Err(invalid(format!(
            "Failed to deserialize the JSON body into the target type: reasoning_effort: unknown variant {effort}, \
             expected one of `low`, `medium`, `high`"
        ))),
        _ => Ok(()),
    }
}

/// Whether Nova 2's `reasoningConfig` turns reasoning on; its values checked.
fn nova_reasons(fields: Option<&Value>) -> Result<bool, BedrockError> {
    let Some(config) = fields.and_then(|f| f.get("reasoningConfig")) else { return Ok(false) };
    if config.get("type").and_then(Value::as_str) != Some("enabled") {
        return Ok(false);
    }
    match config.get("maxReasoningEffort").and_then(Value::as_str) {
        Some(effort) if EFFORTS.contains(&effort) => Ok(true),
        _ => Err(invalid("reasoningConfig.maxReasoningEffort must be one of low, medium, high.")),
    }
}

/// A thinking-enabled request whose last assistant turn uses a tool must start that turn with its reasoning.
fn check_tool_turn(messages: &[Value]) -> Result<(), BedrockError> {
    let Some(position) = messages.iter().rposition(|m| m.get("role").and_then(Value::as_str) == Some("assistant"))
    else {
        return Ok(());
    };
    let blocks = messages[position].get("content").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
    if !blocks.iter().any(|b| b.get("toolUse").is_some()) {
        return Ok(());
    }
    let first = blocks.first();
    let reasoning = first.and_then(|b| b.get("reasoningContent"));
    let signed = reasoning.is_some_and(|r| {
        r.get("redactedContent").is_some() || r.pointer("/reasoningText/signature").and_then(Value::as_str).is_some()
    });
    if signed {
        return Ok(());
    }
    let found = first.and_then(Value::as_object).and_then(|b| b.keys().next().cloned()).unwrap_or_default();
    Err(invalid(format!(
        "messages.{position}.content.0.type: Expected `thinking` or `redacted_thinking`, but found `{found}`. When \
         `thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding the \
         lastmost set of `tool_use` and `tool_result` blocks). We recommend you include thinking blocks from \
         previous turns. To avoid this requirement, disable `thinking`."
    )))
}

/// Cache points, wherever they are; more than four is Bedrock's ValidationException.
fn check_cache_points(request: &Value) -> Result<(), BedrockError> {
    let count = |blocks: Option<&Value>| {
        blocks.and_then(Value::as_array).map_or(0, |b| b.iter().filter(|b| b.get("cachePoint").is_some()).count())
    };
    let mut points = count(request.get("system")) + count(request.pointer("/toolConfig/tools"));
    for message in request.get("messages").and_then(Value::as_array).into_iter().flatten() {
        points += count(message.get("content"));
    }
    if points > 4 {
        return Err(invalid(format!(
            "A maximum of 4 cache points are allowed per request; this request has {points}."
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::bedrock::thinking::sign;

    fn thinking(extra: Value) -> Value {
        let mut request = json!({"inferenceConfig":{"maxTokens":3000},
            "additionalModelRequestFields":{"thinking":{"type":"enabled","budget_tokens":1024}},
            "messages":[{"role":"user","content":[{"text":"hi"}]}]});
        for (key, value) in extra.as_object().unwrap() {
            request[key] = value.clone();
        }
        request
    }

    fn tool_turn(first: Value) -> Value {
        json!([{"role":"user","content":[{"text":"hi"}]},
               {"role":"assistant","content":[first, {"toolUse":{"toolUseId":"t","name":"f","input":{}}}]},
               {"role":"user","content":[{"toolResult":{"toolUseId":"t","content":[{"text":"ok"}]}}]}])
    }

    #[test]
    fn converse_thinking_is_checked_as_bedrock_does() {
        const CLAUDE: &str = "anthropic.claude-sonnet-4-5";
        assert_eq!(check(CLAUDE, &thinking(json!({}))).map_err(|e| e.message), Ok(Reasoning::Signed));
        let signed = json!({"reasoningContent":{"reasoningText":{"text":"x","signature":sign("x")}}});
        let ok = thinking(json!({"messages": tool_turn(signed)}));
        assert_eq!(check(CLAUDE, &ok).map_err(|e| e.message), Ok(Reasoning::Signed));
        let missing = check(CLAUDE, &thinking(json!({"messages": tool_turn(json!({"text":"a"}))}))).unwrap_err();
        assert!(missing.message.starts_with("messages.1.content.0.type: Expected `thinking`"), "{}", missing.message);
        let altered = json!({"reasoningContent":{"reasoningText":{"text":"y","signature":sign("x")}}});
        let altered = check(CLAUDE, &thinking(json!({"messages": tool_turn(altered)}))).unwrap_err().message;
        assert_eq!(altered, "messages.1.content.0: Invalid `signature` in `thinking` block");
        let hot = thinking(json!({"inferenceConfig":{"maxTokens":3000,"temperature":0.5}}));
        assert!(check(CLAUDE, &hot).unwrap_err().message.starts_with("`temperature` may only be set to 1"));
        let low = thinking(json!({"inferenceConfig":{"maxTokens":1024}}));
        assert!(check(CLAUDE, &low).unwrap_err().message.contains("greater than `thinking.budget_tokens`"));
        let forced = thinking(json!({"toolConfig":{"tools":[],"toolChoice":{"any":{}}}}));
        assert!(check(CLAUDE, &forced).unwrap_err().message.contains("forces tool use"));
        assert_eq!(check(CLAUDE, &json!({"messages":[]})).map_err(|e| e.message), Ok(Reasoning::Off));
    }

    #[test]
    fn reasoning_models_reason_unsigned_and_cache_points_are_limited() {
        assert_eq!(check("us.deepseek.r1-v1:0", &json!({})).map_err(|e| e.message), Ok(Reasoning::Unsigned));
        let signed = json!({"reasoningContent":{"reasoningText":{"text":"x","signature":sign("x")}}});
        let error = check("openai.gpt-oss-120b-1:0", &json!({"messages": tool_turn(signed)})).unwrap_err();
        assert!(error.message.starts_with("This model doesn't support the reasoningContent"), "{}", error.message);
        let point = json!({"cachePoint":{"type":"default"}});
        let five = json!({"system":[{"text":"s"}, point, point],
            "messages":[{"role":"user","content":[{"text":"u"}, point, point, point]}]});
        assert!(check("amazon.nova-pro-v1:0", &five).unwrap_err().message.contains("this request has 5"));
    }

    #[test]
    fn each_family_takes_only_its_own_effort_field() {
        let asking = |fields: Value| json!({"additionalModelRequestFields": fields, "messages": []});
        let gpt = "openai.gpt-oss-20b-1:0";
        assert_eq!(
            check(gpt, &asking(json!({"reasoning_effort":"high"}))).map_err(|e| e.message),
            Ok(Reasoning::Unsigned)
        );
        assert!(check(gpt, &asking(json!({"reasoning_effort":"max"}))).is_err());
        let nova_config = json!({"reasoningConfig":{"type":"enabled","maxReasoningEffort":"low"}});
        assert!(
            check(gpt, &asking(nova_config.clone())).unwrap_err().message.contains("unknown variant `reasoningConfig`")
        );
        let nova = "us.amazon.nova-2-lite-v1:0";
        assert_eq!(check(nova, &asking(nova_config)).map_err(|e| e.message), Ok(Reasoning::Unsigned));
        assert_eq!(check(nova, &asking(json!({}))).map_err(|e| e.message), Ok(Reasoning::Off));
        let wrong = json!({"reasoningConfig":{"type":"enabled","maxReasoningEffort":"xhigh"}});
        assert!(check(nova, &asking(wrong)).is_err());
    }
}
