use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{Message, Tool, ToolChoice};
use crate::JsonObject;

/// An OpenAI `POST /v1/chat/completions` body: the fields obs understands, typed, plus every other field kept in
/// [`extra`](Self::extra) (in arrival order) so it is forwarded verbatim to an OpenAI upstream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatCompletionRequest {
    /// Routing key (docs/reference/formats.md §6).
    pub model: String,
    /// The conversation; at least one message. Shared, not owned: a retried or re-routed request is cloned per
    /// attempt, and the messages (base64 images, long documents) are most of its bytes.
    pub messages: Arc<[Message]>,
    /// Preferred over `max_tokens` when both are given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_completion_tokens: Option<u32>,
    /// Legacy output-length limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// 0..=2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// 0..=1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    /// Number of choices; Bedrock honours only 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<u32>,
    /// Stop sequences.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<Stop>,
    /// Server-sent events instead of one JSON body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    /// Streaming options (`include_usage`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<StreamOptions>,
    /// Function tools the model may call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<Tool>>,
    /// How the model should pick tools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice>,
    /// `false` asks for at most one tool call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallel_tool_calls: Option<bool>,
    /// Every other field, forwarded to OpenAI as given.
    #[serde(flatten)]
    pub extra: JsonObject,
    /// What a Bedrock Claude body carried that OpenAI has no field for; never serialised.
    #[serde(skip)]
    pub claude: Option<ClaudeIngress>,
    /// Set when the request arrived as a Bedrock Titan body; never serialised.
    #[serde(skip)]
    pub titan: Option<TitanIngress>,
    /// The Bedrock Guardrail this request asked for (body `guardrail` or headers) or its group gave; never
    /// serialised, so it never reaches an OpenAI-compatible upstream.
    #[serde(skip)]
    pub guardrail: Option<crate::guardrail::Guardrail>,
    /// `cache.auto` of the model group that routed this request (None: the provider's setting applies); never
    /// serialised.
    #[serde(skip)]
    pub cache_auto: Option<bool>,
}

impl ChatCompletionRequest {
    /// A minimal request: a model and messages, nothing else.
    pub fn new(model: impl Into<String>, messages: Vec<Message>) -> Self {
        ChatCompletionRequest {
            model: model.into(),
            messages: messages.into(),
            max_completion_tokens: None,
            max_tokens: None,
            temperature: None,
            top_p: None,
            n: None,
            stop: None,
            stream: None,
            stream_options: None,
            tools: None,
            tool_choice: None,
            parallel_tool_calls: None,
            extra: JsonObject::new(),
            claude: None,
            titan: None,
            guardrail: None,
            cache_auto: None,
        }
    }

    /// The output-token limit the client asked for (`max_completion_tokens` wins over `max_tokens`).
    pub fn output_token_limit(&self) -> Option<u32> {
        self.max_completion_tokens.or(self.max_tokens)
    }

    /// Whether the client asked for a stream.
    pub fn is_stream(&self) -> bool {
        self.stream == Some(true)
    }

    /// Whether the client asked for the final usage chunk of a stream.
    pub fn wants_stream_usage(&self) -> bool {
        self.stream_options.as_ref().and_then(|o| o.include_usage) == Some(true)
    }

    /// Stop sequences as a list, whichever form the client used.
    pub fn stop_sequences(&self) -> Vec<String> {
        match &self.stop {
            None => Vec::new(),
            Some(Stop::One(s)) => vec![s.clone()],
            Some(Stop::Many(v)) => v.clone(),
        }
    }
}

/// Fields of a Bedrock Claude body with no OpenAI equivalent, kept so that a Claude body routed to Claude comes out
/// as it went in (docs/reference/formats.md §4).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClaudeIngress {
    /// The client's `anthropic_version`.
    pub anthropic_version: String,
    /// Claude `top_k`.
    pub top_k: Option<u32>,
    /// `system` as the client sent it when it was an array of text blocks (kept for a lossless round trip).
    pub system_blocks: Option<Vec<crate::claude::SystemBlock>>,
    /// Claude `metadata`.
    pub metadata: Option<serde_json::Value>,
    /// Top-level Claude fields obs does not interpret (`thinking`, `anthropic_beta`, …), forwarded to Claude only.
    pub extra: JsonObject,
}

/// What a Bedrock Titan body carried, so that a Titan body routed to Titan goes out unchanged
/// (docs/reference/formats.md §5).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TitanIngress {
    /// The client's `inputText`, verbatim.
    pub input_text: String,
    /// `textGenerationConfig` fields obs does not interpret.
    pub config_extra: JsonObject,
}

/// `stop`: one string or a list of up to four.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Stop {
    /// A single stop sequence.
    One(String),
    /// Several stop sequences.
    Many(Vec<String>),
}

/// `stream_options`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct StreamOptions {
    /// Ask for a final chunk carrying usage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_usage: Option<bool>,
    /// Other stream options, forwarded as given.
    #[serde(flatten)]
    pub extra: JsonObject,
}
