//! Reasoning between the OpenAI format and Claude (docs/reference/formats.md §7.10), in the conventions
//! OpenAI-format clients of Claude already use:
//!
//! - asking: `reasoning_effort` (`minimal` … `xhigh`, or `none`) becomes `thinking: {type: "enabled",
//!   budget_tokens}` from [`EffortBudgets`] (configurable; the defaults documented); an Anthropic-style `thinking`
//!   object in the body is taken as it is;
//! - out: `message.reasoning_content` (the text) and `message.thinking_blocks` (`{type: "thinking", thinking,
//!   signature}`, `{type: "redacted_thinking", data}`), as LiteLLM writes them;
//! - back in: an assistant turn's `thinking_blocks` (or OpenRouter's `reasoning_details`: `reasoning.text` with a
//!   `signature`, `reasoning.encrypted` with `data`) become Claude's thinking blocks, first in the turn.

use obs_models::claude::{ContentBlock, RedactedThinkingBlock, ThinkingBlock};
use obs_models::openai::{AssistantMessage, ChatCompletionRequest, Delta, ToolChoice, ToolChoiceMode};
use serde_json::{Value, json};

use crate::Error;

/// The `reasoning_effort` levels, lowest first. `none` asks for no thinking.
pub const EFFORTS: [&str; 5] = ["minimal", "low", "medium", "high", "xhigh"];

/// `reasoning_effort` → thinking budget (tokens), one per level of [`EFFORTS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EffortBudgets(pub [u32; 5]);

impl Default for EffortBudgets {
    /// The documented table: 1,024 / 2,048 / 8,192 / 16,384 / 32,768.
    fn default() -> Self {
        EffortBudgets([1024, 2048, 8192, 16384, 32768])
    }
}

impl EffortBudgets {
    /// The budget of an effort level, with the level's name as [`EFFORTS`] spells it.
    pub fn budget(&self, effort: &str) -> Option<(&'static str, u32)> {
        EFFORTS.iter().zip(self.0).find(|(name, _)| **name == effort).map(|(name, budget)| (*name, budget))
    }
}

/// Claude's smallest thinking budget.
pub const MIN_BUDGET: u32 = 1024;

/// The thinking a request asks for: the `thinking` object to send and its budget.
#[derive(Debug, Clone, PartialEq)]
pub struct Thinking {
    /// `{"type":"enabled","budget_tokens":N}` (or the client's own object, as given).
    pub param: Value,
    /// The budget, which `max_tokens` must exceed.
    pub budget: u32,
    /// The `reasoning_effort` it came from; `None` for a `thinking` object.
    pub effort: Option<&'static str>,
}

impl Thinking {
    /// The thinking `request` asks for, if any: its own `thinking` object first, then `reasoning_effort` through
    /// `budgets`.
    pub fn of(request: &ChatCompletionRequest, budgets: &EffortBudgets) -> Result<Option<Thinking>, Error> {
        if let Some(thinking) = request.extra.get("thinking").filter(|t| !t.is_null()) {
            return match thinking.get("type").and_then(Value::as_str) {
                Some("disabled") => Ok(None),
                Some("enabled") => {
                    let budget = thinking
                        .get("budget_tokens")
                        .and_then(Value::as_u64)
                        .and_then(|b| u32::try_from(b).ok())
                        .filter(|b| *b >= MIN_BUDGET)
                        .ok_or_else(|| {
                            Error::invalid(
                                "thinking.budget_tokens",
                                format!("`thinking.budget_tokens` must be an integer of at least {MIN_BUDGET}."),
                            )
                        })?;
                    Ok(Some(Thinking { param: thinking.clone(), budget, effort: None }))
                }
                _ => Err(Error::invalid("thinking.type", "`thinking.type` must be 'enabled' or 'disabled'.")),
            };
        }
        let Some(effort) = request.extra.get("reasoning_effort").filter(|e| !e.is_null()) else { return Ok(None) };
        let effort = effort.as_str().unwrap_or_default();
        if effort == "none" {
            return Ok(None);
        }
        let (effort, budget) = budgets.budget(effort).ok_or_else(|| {
            Error::invalid(
                "reasoning_effort",
                "`reasoning_effort` must be one of 'none', 'minimal', 'low', 'medium', 'high', 'xhigh'.",
            )
        })?;
        Ok(Some(Thinking { param: json!({"type": "enabled", "budget_tokens": budget}), budget, effort: Some(effort) }))
    }

    /// `max_tokens` raised so the budget stays below it, as Claude requires: the client's limit is then what the
    /// answer after the thinking may take.
    pub fn max_tokens(&self, asked: u32) -> u32 {
        if asked > self.budget { asked } else { self.budget.saturating_add(asked) }
    }
}

/// Whether the request forces a tool (`tool_choice` `"required"` or a named function, the forced-tool method of
/// structured output included). Claude refuses thinking with a forced tool, so thinking is dropped for such a
/// request (and the caller logs it), as LiteLLM does, rather than sent to a certain 400.
pub fn forces_tool(request: &ChatCompletionRequest) -> bool {
    let has_tools = request.tools.as_ref().is_some_and(|tools| !tools.is_empty());
    has_tools && matches!(request.tool_choice, Some(ToolChoice::Mode(ToolChoiceMode::Required) | ToolChoice::Named(_)))
}

/// The thinking blocks an OpenAI-format assistant turn carries back (`thinking_blocks`, else
/// `reasoning_details`), in order; blocks without a signature or data cannot be replayed and are left out.
pub fn client_blocks(message: &AssistantMessage) -> Vec<ContentBlock> {
    if let Some(blocks) = message.extra.get("thinking_blocks").and_then(Value::as_array) {
        return blocks.iter().filter_map(thinking_block).collect();
    }
    let details = message.extra.get("reasoning_details").and_then(Value::as_array);
    details.into_iter().flatten().filter_map(reasoning_detail).collect()
}

fn thinking_block(block: &Value) -> Option<ContentBlock> {
    match block.get("type").and_then(Value::as_str)? {
        "thinking" => Some(ContentBlock::Thinking(ThinkingBlock {
            thinking: block.get("thinking").and_then(Value::as_str).unwrap_or_default().to_owned(),
            signature: Some(block.get("signature").and_then(Value::as_str).filter(|s| !s.is_empty())?.to_owned()),
        })),
        "redacted_thinking" => Some(ContentBlock::RedactedThinking(RedactedThinkingBlock {
            data: block.get("data").and_then(Value::as_str)?.to_owned(),
        })),
        _ => None,
    }
}

fn reasoning_detail(detail: &Value) -> Option<ContentBlock> {
    match detail.get("type").and_then(Value::as_str)? {
        "reasoning.text" => Some(ContentBlock::Thinking(ThinkingBlock {
            thinking: detail.get("text").and_then(Value::as_str).unwrap_or_default().to_owned(),
            signature: Some(detail.get("signature").and_then(Value::as_str).filter(|s| !s.is_empty())?.to_owned()),
        })),
        "reasoning.encrypted" => Some(ContentBlock::RedactedThinking(RedactedThinkingBlock {
            data: detail.get("data").and_then(Value::as_str)?.to_owned(),
        })),
        _ => None,
    }
}

/// Claude's thinking blocks as the answer's `thinking_blocks` (None when there are none).
pub fn blocks_json(blocks: &[ContentBlock]) -> Option<Value> {
    let out: Vec<Value> = blocks
        .iter()
        .filter_map(|block| match block {
            ContentBlock::Thinking(t) => {
                Some(signed_block(t.thinking.clone(), t.signature.clone().unwrap_or_default()))
            }
            ContentBlock::RedactedThinking(r) => Some(redacted_block(r.data.clone())),
            _ => None,
        })
        .collect();
    (!out.is_empty()).then_some(Value::Array(out))
}

/// A signed thinking block, as a `thinking_blocks` entry.
pub fn signed_block(thinking: String, signature: String) -> Value {
    json!({"type": "thinking", "thinking": thinking, "signature": signature})
}

/// A redacted thinking block (`data` base64, as Claude gives it), as a `thinking_blocks` entry.
pub fn redacted_block(data: String) -> Value {
    json!({"type": "redacted_thinking", "data": data})
}

/// A chunk delta carrying one complete block in `delta.thinking_blocks`, sent as its signature (or a redacted block)
/// arrives: a client keeps it and sends it back on its next turn.
pub fn block_delta(block: Value) -> Delta {
    let mut delta = Delta::default();
    delta.extra.insert("thinking_blocks".to_owned(), Value::Array(vec![block]));
    delta
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(extra: Value) -> ChatCompletionRequest {
        let mut body = json!({"model":"m","messages":[{"role":"user","content":"hi"}]});
        for (key, value) in extra.as_object().into_iter().flatten() {
            body[key] = value.clone();
        }
        serde_json::from_value(body).unwrap()
    }

    #[test]
    fn effort_and_thinking_objects_become_a_budget() {
        let of = |extra: Value| Thinking::of(&request(extra), &EffortBudgets::default());
        assert_eq!(of(json!({})).unwrap(), None);
        assert_eq!(of(json!({"reasoning_effort":"none"})).unwrap(), None);
        let medium = of(json!({"reasoning_effort":"medium"})).unwrap().unwrap();
        assert_eq!(
            (medium.param, medium.budget, medium.effort),
            (json!({"type":"enabled","budget_tokens":8192}), 8192, Some("medium"))
        );
        let own = of(json!({"thinking":{"type":"enabled","budget_tokens":3000}})).unwrap().unwrap();
        assert_eq!((own.budget, own.effort), (3000, None));
        let error = of(json!({"reasoning_effort":"extreme"})).unwrap_err();
        assert_eq!(error.param.as_deref(), Some("reasoning_effort"));
        let small = json!({"thinking":{"type":"enabled","budget_tokens":100}});
        assert_eq!(of(small).unwrap_err().param.as_deref(), Some("thinking.budget_tokens"));
        // A configured table.
        let table = EffortBudgets([1024, 3000, 8192, 12000, 32768]);
        let high = Thinking::of(&request(json!({"reasoning_effort":"high"})), &table).unwrap().unwrap();
        assert_eq!((high.budget, high.effort), (12000, Some("high")));
    }

    #[test]
    fn max_tokens_stays_above_the_budget() {
        let thinking = Thinking { param: json!({}), budget: 2048, effort: None };
        assert_eq!(thinking.max_tokens(4096), 4096);
        assert_eq!(thinking.max_tokens(1000), 3048);
        assert_eq!(thinking.max_tokens(2048), 4096);
    }

    #[test]
    fn both_client_conventions_come_back_as_claude_blocks() {
        let litellm: AssistantMessage = serde_json::from_value(json!({"content":null,"thinking_blocks":[
            {"type":"thinking","thinking":"t","signature":"s"},{"type":"redacted_thinking","data":"d"},
            {"type":"thinking","thinking":"unsigned"}]}))
        .unwrap();
        let openrouter: AssistantMessage = serde_json::from_value(json!({"content":null,"reasoning_details":[
            {"type":"reasoning.text","text":"t","signature":"s"},{"type":"reasoning.encrypted","data":"d"}]}))
        .unwrap();
        let expected = vec![
            ContentBlock::Thinking(ThinkingBlock { thinking: "t".into(), signature: Some("s".into()) }),
            ContentBlock::RedactedThinking(RedactedThinkingBlock { data: "d".into() }),
        ];
        assert_eq!(client_blocks(&litellm), expected);
        assert_eq!(client_blocks(&openrouter), expected);
        assert_eq!(
            blocks_json(&expected),
            Some(json!([{"type":"thinking","thinking":"t","signature":"s"},{"type":"redacted_thinking","data":"d"}]))
        );
    }
}
