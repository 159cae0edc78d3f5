//! Extended thinking as Bedrock runs it for Claude: thinking blocks are signed, a signature that does not match
//! its block's text (either altered) is refused when the block comes back, and the request checks Bedrock makes
//! when `thinking` is enabled — a budget of at least 1,024 tokens below `max_tokens`, and a final assistant turn
//! with tool use that starts with its thinking block. Signatures are deterministic (a keyed hash of the text), so
//! any client can replay them to the same emulator, or to another one.

use std::hash::{DefaultHasher, Hash, Hasher};

use base64::Engine as _;
use serde_json::Value;

use super::errors::BedrockError;

/// The smallest budget Bedrock takes.
pub(crate) const MIN_BUDGET: u64 = 1024;

/// The signature of a thinking block's text: 34 bytes, base64, like Claude's own.
pub(crate) fn sign(thinking: &str) -> String {
    let mut bytes = vec![0x12, 0x20];
    for salt in 0u8..4 {
        let mut hasher = DefaultHasher::new();
        ("obs-mock thinking signature", salt, thinking).hash(&mut hasher);
        bytes.extend_from_slice(&hasher.finish().to_be_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Whether `signature` is the one [`sign`] gives `thinking`.
pub(crate) fn verify(thinking: &str, signature: &str) -> bool {
    sign(thinking) == signature
}

/// Whether the request enables thinking; the error Bedrock answers when its thinking settings or thinking blocks
/// are not acceptable.
pub(crate) fn check(request: &Value) -> Result<bool, BedrockError> {
    let enabled = request.pointer("/thinking/type").and_then(Value::as_str) == Some("enabled");
    if enabled {
        let budget = request.pointer("/thinking/budget_tokens").and_then(Value::as_u64).unwrap_or(0);
        if budget < MIN_BUDGET {
            return Err(BedrockError::validation(format!(
                "thinking.enabled.budget_tokens: Input should be greater than or equal to {MIN_BUDGET}"
            )));
        }
        let max_tokens = request.get("max_tokens").and_then(Value::as_u64).unwrap_or(0);
        if budget >= max_tokens {
            return Err(BedrockError::validation(
                "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at \
                 https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size",
            ));
        }
    }
    let messages = request.get("messages").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
    for (i, message) in messages.iter().enumerate() {
        let blocks = message.get("content").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
        for (j, block) in blocks.iter().enumerate() {
            if block.get("type").and_then(Value::as_str) != Some("thinking") {
                continue;
            }
            let text = block.get("thinking").and_then(Value::as_str).unwrap_or("");
            let signature = block.get("signature").and_then(Value::as_str).unwrap_or("");
            if !verify(text, signature) {
                return Err(BedrockError::validation(format!(
                    "messages.{i}.content.{j}: Invalid `signature` in `thinking` block"
                )));
            }
        }
    }
    if enabled {
        let last_assistant = messages.iter().rev().find(|m| m.get("role").and_then(Value::as_str) == Some("assistant"));
        let blocks = last_assistant.and_then(|m| m.get("content")).and_then(Value::as_array);
        if let Some(blocks) = blocks
            && blocks.iter().any(|b| b.get("type").and_then(Value::as_str) == Some("tool_use"))
        {
            let first = blocks.first().and_then(|b| b.get("type")).and_then(Value::as_str).unwrap_or("");
            if first != "thinking" && first != "redacted_thinking" {
                return Err(BedrockError::validation(format!(
                    "messages.{}.content.0.type: Expected `thinking` or `redacted_thinking`, but found `{first}`. When \
                     `thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding \
                     the lastmost set of `tool_use` and `tool_result` blocks). We recommend you include thinking \
                     blocks from previous turns. To avoid this requirement, disable `thinking`. Please consult our \
                     documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking",
                    messages.len()
                        - 1
                        - messages
                            .iter()
                            .rev()
                            .position(|m| m.get("role").and_then(Value::as_str) == Some("assistant"))
                            .unwrap_or(0)
                )));
            }
        }
    }
    Ok(enabled)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn signatures_verify_only_their_own_text() {
        let signature = sign("The user wants a short answer.");
        assert!(verify("The user wants a short answer.", &signature));
        assert!(!verify("The user wants a long answer.", &signature));
        assert!(!verify("The user wants a short answer.", "mock-signature"));
        assert_eq!(signature, sign("The user wants a short answer."), "deterministic");
    }

    #[test]
    fn thinking_settings_and_turns_are_checked_as_bedrock_does() {
        let turn = |blocks: Value| {
            json!({"max_tokens": 2048, "thinking": {"type": "enabled", "budget_tokens": 1024},
                "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": blocks},
                             {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": "ok"}]}]})
        };
        let tool = json!({"type": "tool_use", "id": "t", "name": "f", "input": {}});
        let signed = json!({"type": "thinking", "thinking": "x", "signature": sign("x")});
        assert_eq!(check(&turn(json!([signed, tool]))).map_err(|e| e.message), Ok(true));
        let missing = check(&turn(json!([tool]))).unwrap_err().message;
        assert!(missing.starts_with("messages.1.content.0.type: Expected `thinking`"), "{missing}");
        let altered = json!({"type": "thinking", "thinking": "y", "signature": sign("x")});
        let altered = check(&turn(json!([altered, tool]))).unwrap_err().message;
        assert_eq!(altered, "messages.1.content.0: Invalid `signature` in `thinking` block");
        let low = json!({"max_tokens": 2048, "thinking": {"type": "enabled", "budget_tokens": 100}, "messages": []});
        assert!(check(&low).unwrap_err().message.contains("greater than or equal to 1024"));
        let over = json!({"max_tokens": 1024, "thinking": {"type": "enabled", "budget_tokens": 1024}, "messages": []});
        assert!(check(&over).unwrap_err().message.starts_with("`max_tokens` must be greater"));
        assert_eq!(check(&json!({"messages": []})).map_err(|e| e.message), Ok(false));
    }
}
