//! Reasoning through Converse (docs/reference/formats.md §7.10): how each model family is asked to reason, and the
//! thinking of Claude's tool turns put back where a client dropped it.
//!
//! Bedrock has no common Converse field for reasoning: each family takes its own in
//! `additionalModelRequestFields` ([`KNOBS`]). Claude gets the same `thinking` object, budget table, `max_tokens`
//! raise and sampling rule as through InvokeModel; a family without a knob is sent nothing.

use aws_sdk_bedrockruntime::types::{ContentBlock, ConversationRole, InferenceConfiguration};
use obs_convert::bedrock::reasoning::{self, EffortBudgets, Thinking};
use obs_models::openai::{ChatCompletionRequest, Message};
use serde_json::{Value, json};

use super::request::ConverseParts;
use crate::Error;
use crate::bedrock::catalog::strip_geo;
use crate::bedrock::thinking_cache::ThinkingCache;
use crate::bedrock::{BedrockFamily, Target, document};

/// Redacted reasoning (bytes on Converse) as Claude's `redacted_thinking`, its data base64 as Claude's is.
pub(crate) fn redacted_block(data: &[u8]) -> Value {
    use base64::Engine as _;
    reasoning::redacted_block(base64::engine::general_purpose::STANDARD.encode(data))
}

/// How a Converse model family is asked to reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Knob {
    /// Claude: `thinking: {"type":"enabled","budget_tokens":N}`.
    ClaudeThinking,
    /// OpenAI gpt-oss: `reasoning_effort: "low" | "medium" | "high"`.
    ReasoningEffort,
    /// Amazon Nova 2: `reasoningConfig: {"type":"enabled","maxReasoningEffort":"low" | "medium" | "high"}`.
    NovaReasoningConfig,
    /// Models that always reason (DeepSeek-R1): nothing to send.
    AlwaysOn,
}

/// Model id prefixes (after any geo prefix) and how they are asked; Claude on Converse is found by its family.
pub(crate) const KNOBS: [(&str, Knob); 4] = [
    ("anthropic.claude", Knob::ClaudeThinking),
    ("openai.gpt-oss", Knob::ReasoningEffort),
    ("amazon.nova-2", Knob::NovaReasoningConfig),
    ("deepseek.r1", Knob::AlwaysOn),
];

/// The knob of a target, if its family has one.
pub(crate) fn knob(target: Target<'_>) -> Option<Knob> {
    if target.family == BedrockFamily::ClaudeConverse {
        return Some(Knob::ClaudeThinking);
    }
    // An inference-profile ARN names its model after the last `/`.
    let id = strip_geo(target.known_as.rsplit('/').next().unwrap_or(target.known_as));
    KNOBS.iter().find(|(prefix, _)| id.starts_with(prefix)).map(|(_, knob)| *knob)
}

/// gpt-oss and Nova 2 take three levels: the effort asked for, `minimal` as `low` and `xhigh` as `high` (whatever
/// budget `[reasoning.budgets]` gives it); an Anthropic-style budget is read as the level whose default budget it
/// reaches.
fn level(thinking: &Thinking) -> &'static str {
    match (thinking.effort, thinking.budget) {
        (Some("minimal" | "low"), _) => "low",
        (Some("medium"), _) => "medium",
        (Some(_), _) => "high",
        (None, 0..4096) => "low",
        (None, 4096..16384) => "medium",
        (None, _) => "high",
    }
}

/// Puts the thinking blocks of Claude's assistant turns where Converse wants them (`claude_thinking`, sent first
/// in the turn as `reasoningContent`): the client's `thinking_blocks` or `reasoning_details`, else the blocks kept
/// for that tool turn. Other families get none back: gpt-oss refuses a signed reasoning block, and DeepSeek-R1's
/// guidance is to leave earlier reasoning out.
pub(crate) fn restore(request: &mut ChatCompletionRequest, target: Target<'_>, cache: &ThinkingCache) {
    if knob(target) != Some(Knob::ClaudeThinking) {
        return;
    }
    let bare = |message: &Message| matches!(message, Message::Assistant(m) if m.claude_thinking.is_empty());
    if !request.messages.iter().any(bare) {
        return;
    }
    for message in std::sync::Arc::make_mut(&mut request.messages) {
        let Message::Assistant(m) = message else { continue };
        if !m.claude_thinking.is_empty() {
            continue;
        }
        m.claude_thinking = reasoning::client_blocks(m);
        if m.claude_thinking.is_empty()
            && let Some(first) = m.tool_calls.as_ref().and_then(|calls| calls.first())
        {
            m.claude_thinking = cache.restore(&first.id).unwrap_or_default();
        }
    }
}

/// Asks the target for the reasoning the request wants, in its family's own field, without replacing a field
/// the request already set there (a Claude body's `top_k` aside, which thinking forbids).
pub(crate) fn apply(
    parts: &mut ConverseParts,
    request: &ChatCompletionRequest,
    target: Target<'_>,
    default_max_tokens: u32,
    budgets: &EffortBudgets,
) -> Result<(), Error> {
    // A Claude body's own `thinking` goes to Claude as it came (its client chose max_tokens and sampling for it).
    if let Some(claude) = &request.claude {
        if let (Some(Knob::ClaudeThinking), Some(thinking)) = (knob(target), claude.extra.get("thinking")) {
            merge(parts, json!({"thinking": thinking}));
        }
        return Ok(());
    }
    let Some(thinking) = Thinking::of(request, budgets)? else { return Ok(()) };
    let fields = match knob(target) {
        None => {
            tracing::debug!(model = target.model_id, "reasoning asked of a Converse model without a reasoning setting");
            return Ok(());
        }
        Some(Knob::AlwaysOn) => return Ok(()),
        Some(Knob::ReasoningEffort) => json!({"reasoning_effort": level(&thinking)}),
        Some(Knob::NovaReasoningConfig) => {
            json!({"reasoningConfig": {"type": "enabled", "maxReasoningEffort": level(&thinking)}})
        }
        Some(Knob::ClaudeThinking) => {
            if reasoning::forces_tool(request) {
                tracing::info!("thinking was asked for with a forced tool_choice, which Claude refuses: sent without");
                return Ok(());
            }
            if last_tool_turn_lacks_reasoning(parts) {
                tracing::info!(
                    "thinking was asked for, but the last tool turn came without its thinking blocks and none were \
                     kept: sent without thinking"
                );
                return Ok(());
            }
            claude_sampling(parts, &thinking, default_max_tokens);
            json!({"thinking": thinking.param})
        }
    };
    if fields.get("thinking").is_some()
        && let Some(Value::Object(mut additional)) = parts.additional.as_ref().map(document::to_json)
    {
        additional.remove("top_k");
        parts.additional = Some(document::from_json(&Value::Object(additional)));
    }
    merge(parts, fields);
    Ok(())
}

/// Adds `fields` to `additionalModelRequestFields`, keeping any field already there.
fn merge(parts: &mut ConverseParts, fields: Value) {
    let mut additional = match parts.additional.as_ref().map(document::to_json) {
        Some(Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    for (key, value) in fields.as_object().into_iter().flatten() {
        additional.entry(key.clone()).or_insert_with(|| value.clone());
    }
    parts.additional = Some(document::from_json(&Value::Object(additional)));
}

/// Claude's rule, as through InvokeModel: `maxTokens` above the budget, no temperature but 1, `topP` at least 0.95.
fn claude_sampling(parts: &mut ConverseParts, thinking: &Thinking, default_max_tokens: u32) {
    let old = parts.inference.take();
    let old = old.as_ref();
    let asked = old
        .and_then(InferenceConfiguration::max_tokens)
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(default_max_tokens);
    let max_tokens = i32::try_from(thinking.max_tokens(asked)).unwrap_or(i32::MAX);
    parts.inference = Some(
        InferenceConfiguration::builder()
            .max_tokens(max_tokens)
            .set_temperature(
                old.and_then(InferenceConfiguration::temperature).filter(|t| (*t - 1.0).abs() < f32::EPSILON),
            )
            .set_top_p(old.and_then(InferenceConfiguration::top_p).filter(|p| *p >= 0.95))
            .set_stop_sequences(old.map(|c| c.stop_sequences().to_vec()).filter(|s| !s.is_empty()))
            .build(),
    );
}

/// Whether the last assistant turn uses a tool without starting with its reasoning (Claude refuses it with
/// thinking on).
fn last_tool_turn_lacks_reasoning(parts: &ConverseParts) -> bool {
    let Some(last) = parts.messages.iter().rev().find(|m| *m.role() == ConversationRole::Assistant) else {
        return false;
    };
    let uses_tool = last.content().iter().any(|block| matches!(block, ContentBlock::ToolUse(_)));
    uses_tool && !matches!(last.content().first(), Some(ContentBlock::ReasoningContent(_)))
}

#[cfg(test)]
mod tests {
    use aws_sdk_bedrockruntime::primitives::Blob;
    use aws_sdk_bedrockruntime::types::{
        ContentBlockDelta, ContentBlockDeltaEvent, ConverseStreamMetadataEvent, ConverseStreamMetrics,
        ConverseStreamOutput, MessageStopEvent, ReasoningContentBlockDelta, StopReason, TokenUsage,
    };
    use obs_convert::bedrock::ResponseMeta;

    use super::*;
    use crate::bedrock::converse::stream::ConverseStreamDecoder;
    use crate::bedrock::event_stream::EventDecoder;

    fn reasoning(delta: ReasoningContentBlockDelta) -> ConverseStreamOutput {
        let delta = ContentBlockDelta::ReasoningContent(delta);
        ConverseStreamOutput::ContentBlockDelta(
            ContentBlockDeltaEvent::builder().content_block_index(0).delta(delta).build().unwrap(),
        )
    }

    fn metadata(input: i32, read: i32) -> ConverseStreamOutput {
        let usage = TokenUsage::builder()
            .input_tokens(input)
            .output_tokens(5)
            .total_tokens(input + read + 5)
            .cache_read_input_tokens(read)
            .cache_write_input_tokens(0)
            .build()
            .unwrap();
        let metrics = ConverseStreamMetrics::builder().latency_ms(1).build().unwrap();
        ConverseStreamOutput::Metadata(ConverseStreamMetadataEvent::builder().usage(usage).metrics(metrics).build())
    }

    #[test]
    fn a_stream_sends_each_reasoning_block_whole_when_signed_and_counts_usage_once() {
        let mut decoder = ConverseStreamDecoder::new(ResponseMeta::new("m", 0));
        let mut out = Vec::new();
        for event in [
            reasoning(ReasoningContentBlockDelta::Text("Let me ".into())),
            reasoning(ReasoningContentBlockDelta::Text("think.".into())),
            reasoning(ReasoningContentBlockDelta::Signature("sig".into())),
            reasoning(ReasoningContentBlockDelta::RedactedContent(Blob::new(b"secret".to_vec()))),
            ConverseStreamOutput::MessageStop(
                MessageStopEvent::builder().stop_reason(StopReason::EndTurn).build().unwrap(),
            ),
            metadata(10, 100),
            // A second metadata event (some upstreams repeat it) is not counted again.
            metadata(10, 100),
        ] {
            decoder.event(event, &mut out).unwrap();
        }
        decoder.end(&mut out).unwrap();
        let deltas: Vec<Value> = out
            .iter()
            .map(|chunk| serde_json::to_value(chunk).unwrap())
            .map(|chunk| json!({"delta": chunk["choices"][0]["delta"], "usage": chunk["usage"]}))
            .collect();
        assert_eq!(
            deltas,
            vec![
                json!({"delta":{"role":"assistant","content":""},"usage":null}),
                json!({"delta":{"reasoning_content":"Let me "},"usage":null}),
                json!({"delta":{"reasoning_content":"think."},"usage":null}),
                json!({"delta":{"thinking_blocks":[{"type":"thinking","thinking":"Let me think.","signature":"sig"}]},
                    "usage":null}),
                json!({"delta":{"thinking_blocks":[{"type":"redacted_thinking","data":"c2VjcmV0"}]},"usage":null}),
                json!({"delta":{},"usage":null}),
                json!({"delta":null,"usage":{"prompt_tokens":110,"completion_tokens":5,"total_tokens":115,
                    "prompt_tokens_details":{"cached_tokens":100},"cache_read_input_tokens":100,
                    "cache_creation_input_tokens":0}}),
            ]
        );
    }

    #[test]
    fn the_knob_table_finds_families_through_geo_prefixes_and_profile_arns() {
        let target = |model_id, family| Target { model_id, family, known_as: model_id };
        assert_eq!(
            knob(target("us.anthropic.claude-sonnet-4", BedrockFamily::ClaudeConverse)),
            Some(Knob::ClaudeThinking)
        );
        assert_eq!(knob(target("openai.gpt-oss-20b-1:0", BedrockFamily::Converse)), Some(Knob::ReasoningEffort));
        let arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/global.amazon.nova-2-lite-v1:0";
        assert_eq!(knob(target(arn, BedrockFamily::Converse)), Some(Knob::NovaReasoningConfig));
        assert_eq!(knob(target("us.deepseek.r1-v1:0", BedrockFamily::Converse)), Some(Knob::AlwaysOn));
        assert_eq!(knob(target("meta.llama3-70b-instruct-v1:0", BedrockFamily::Converse)), None);
    }
}
