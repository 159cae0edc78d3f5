use serde::{Deserialize, Deserializer, Serialize};

use super::{FinishReason, Usage};
use crate::JsonObject;

/// One streamed chunk (docs/reference/streaming.md §2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatCompletionChunk {
    /// The same for every chunk of a stream.
    pub id: String,
    /// Always `chat.completion.chunk`.
    pub object: String,
    /// The same for every chunk of a stream.
    pub created: u64,
    /// The model that answers.
    pub model: String,
    /// Usually one; empty on the usage chunk.
    pub choices: Vec<ChunkChoice>,
    /// Absent: the client did not ask for usage. `Some(None)`: serialised as `null` on every chunk but the last
    /// when it did. `Some(Some(_))`: the usage chunk.
    #[serde(default, deserialize_with = "present_or_null", skip_serializing_if = "Option::is_none")]
    pub usage: Option<Option<Usage>>,
    /// Other fields (`system_fingerprint`, `service_tier`, …), passed through.
    #[serde(flatten)]
    pub extra: JsonObject,
    /// Input tokens when the upstream reports them before the end of the stream (Claude `message_start`); lets a
    /// Claude-format encoder fill `message_start.usage` — never serialised.
    #[serde(skip)]
    pub prompt_tokens_hint: Option<u64>,
}

impl ChatCompletionChunk {
    /// The object string of a stream chunk.
    pub const OBJECT: &'static str = "chat.completion.chunk";

    /// A chunk with one choice at index 0.
    pub fn with_delta(id: &str, created: u64, model: &str, delta: Delta, finish_reason: Option<FinishReason>) -> Self {
        ChatCompletionChunk {
            id: id.to_owned(),
            object: Self::OBJECT.to_owned(),
            created,
            model: model.to_owned(),
            choices: vec![ChunkChoice {
                index: 0,
                delta,
                finish_reason,
                logprobs: serde_json::Value::Null,
                extra: JsonObject::new(),
            }],
            usage: None,
            extra: JsonObject::new(),
            prompt_tokens_hint: None,
        }
    }

    /// The usage chunk: no choices, the usage object.
    pub fn usage_only(id: &str, created: u64, model: &str, usage: Usage) -> Self {
        ChatCompletionChunk {
            id: id.to_owned(),
            object: Self::OBJECT.to_owned(),
            created,
            model: model.to_owned(),
            choices: Vec::new(),
            usage: Some(Some(usage)),
            extra: JsonObject::new(),
            prompt_tokens_hint: None,
        }
    }
}

fn present_or_null<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Option<Usage>>, D::Error> {
    Option::<Usage>::deserialize(deserializer).map(Some)
}

/// One choice of a chunk. `finish_reason` and `logprobs` are always serialised (`null` until the end).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChunkChoice {
    /// Choice index.
    pub index: u32,
    /// What this chunk adds.
    pub delta: Delta,
    /// Set on the last content chunk.
    #[serde(default)]
    pub finish_reason: Option<FinishReason>,
    /// Log probabilities; `null` unless asked for.
    #[serde(default)]
    pub logprobs: serde_json::Value,
    /// Other fields, passed through.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// The delta of a chunk; absent fields are skipped.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Delta {
    /// `assistant` on the first chunk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// A text fragment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// A reasoning fragment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<String>,
    /// Tool-call fragments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCallDelta>>,
    /// Other fields (`refusal`, …), passed through.
    #[serde(flatten)]
    pub extra: JsonObject,
}

impl Delta {
    /// The first delta of a stream: `{"role":"assistant","content":""}`.
    pub fn role_start() -> Self {
        Delta { role: Some("assistant".to_owned()), content: Some(String::new()), ..Default::default() }
    }

    /// A text fragment.
    pub fn text(text: impl Into<String>) -> Self {
        Delta { content: Some(text.into()), ..Default::default() }
    }

    /// A reasoning fragment.
    pub fn reasoning(text: impl Into<String>) -> Self {
        Delta { reasoning_content: Some(text.into()), ..Default::default() }
    }

    /// The first fragment of tool call `index`: id, type, name and empty arguments.
    pub fn tool_call_start(index: u32, id: impl Into<String>, name: impl Into<String>) -> Self {
        Delta {
            tool_calls: Some(vec![ToolCallDelta {
                index,
                id: Some(id.into()),
                kind: Some("function".to_owned()),
                function: Some(FunctionCallDelta { name: Some(name.into()), arguments: Some(String::new()) }),
            }]),
            ..Default::default()
        }
    }

    /// A later fragment of tool call `index`'s arguments.
    pub fn tool_call_arguments(index: u32, fragment: impl Into<String>) -> Self {
        Delta {
            tool_calls: Some(vec![ToolCallDelta {
                index,
                id: None,
                kind: None,
                function: Some(FunctionCallDelta { name: None, arguments: Some(fragment.into()) }),
            }]),
            ..Default::default()
        }
    }

    /// Whether this delta carries nothing.
    pub fn is_empty(&self) -> bool {
        self.role.is_none()
            && self.content.is_none()
            && self.reasoning_content.is_none()
            && self.tool_calls.is_none()
            && self.extra.is_empty()
    }
}

/// A tool-call fragment. `index` counts tool calls from 0 in order of appearance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCallDelta {
    /// Tool-call position (never a content-block index).
    pub index: u32,
    /// Present on the first fragment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `function`, on the first fragment.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Name (first fragment) and arguments fragment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<FunctionCallDelta>,
}

/// Function part of a tool-call fragment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionCallDelta {
    /// Present on the first fragment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A fragment of the JSON arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<String>,
}
