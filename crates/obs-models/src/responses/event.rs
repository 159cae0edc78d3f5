//! The Responses stream's typed events (`event: <type>` / `data: {"type", …, "sequence_number"}`).

use serde::{Deserialize, Serialize};

use super::response::{OutputContent, OutputItem, ReasoningSummary, Response};

/// One event and its place in the stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SequencedEvent {
    /// The event.
    #[serde(flatten)]
    pub event: ResponseEvent,
    /// 0, 1, 2, … in stream order.
    pub sequence_number: u64,
}

/// The events obs sends, in OpenAI's names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
#[allow(missing_docs)]
pub enum ResponseEvent {
    /// The response exists (status `in_progress`, no output).
    #[serde(rename = "response.created")]
    Created { response: Box<Response> },
    /// It is being written.
    #[serde(rename = "response.in_progress")]
    InProgress { response: Box<Response> },
    /// An output item starts.
    #[serde(rename = "response.output_item.added")]
    OutputItemAdded { output_index: usize, item: OutputItem },
    /// An output item is complete.
    #[serde(rename = "response.output_item.done")]
    OutputItemDone { output_index: usize, item: OutputItem },
    /// A message part starts.
    #[serde(rename = "response.content_part.added")]
    ContentPartAdded { item_id: String, output_index: usize, content_index: usize, part: OutputContent },
    /// A message part is complete.
    #[serde(rename = "response.content_part.done")]
    ContentPartDone { item_id: String, output_index: usize, content_index: usize, part: OutputContent },
    /// Text.
    #[serde(rename = "response.output_text.delta")]
    OutputTextDelta {
        item_id: String,
        output_index: usize,
        content_index: usize,
        delta: String,
        logprobs: Vec<serde_json::Value>,
    },
    /// The whole text of a part.
    #[serde(rename = "response.output_text.done")]
    OutputTextDone {
        item_id: String,
        output_index: usize,
        content_index: usize,
        text: String,
        logprobs: Vec<serde_json::Value>,
    },
    /// Function-call arguments.
    #[serde(rename = "response.function_call_arguments.delta")]
    FunctionCallArgumentsDelta { item_id: String, output_index: usize, delta: String },
    /// The whole arguments.
    #[serde(rename = "response.function_call_arguments.done")]
    FunctionCallArgumentsDone { item_id: String, output_index: usize, arguments: String },
    /// A reasoning summary part starts.
    #[serde(rename = "response.reasoning_summary_part.added")]
    ReasoningSummaryPartAdded { item_id: String, output_index: usize, summary_index: usize, part: ReasoningSummary },
    /// Reasoning summary text.
    #[serde(rename = "response.reasoning_summary_text.delta")]
    ReasoningSummaryTextDelta { item_id: String, output_index: usize, summary_index: usize, delta: String },
    /// The whole summary text.
    #[serde(rename = "response.reasoning_summary_text.done")]
    ReasoningSummaryTextDone { item_id: String, output_index: usize, summary_index: usize, text: String },
    /// A reasoning summary part is complete.
    #[serde(rename = "response.reasoning_summary_part.done")]
    ReasoningSummaryPartDone { item_id: String, output_index: usize, summary_index: usize, part: ReasoningSummary },
    /// The response is complete.
    #[serde(rename = "response.completed")]
    Completed { response: Box<Response> },
    /// The response stopped early (a limit, a filter).
    #[serde(rename = "response.incomplete")]
    Incomplete { response: Box<Response> },
    /// The response failed.
    #[serde(rename = "response.failed")]
    Failed { response: Box<Response> },
    /// A stream error.
    #[serde(rename = "error")]
    Error { code: Option<String>, message: String, param: Option<String> },
}

impl ResponseEvent {
    /// The `type` string (the SSE `event:` name).
    pub fn kind(&self) -> &'static str {
        match self {
            ResponseEvent::Created { .. } => "response.created",
            ResponseEvent::InProgress { .. } => "response.in_progress",
            ResponseEvent::OutputItemAdded { .. } => "response.output_item.added",
            ResponseEvent::OutputItemDone { .. } => "response.output_item.done",
            ResponseEvent::ContentPartAdded { .. } => "response.content_part.added",
            ResponseEvent::ContentPartDone { .. } => "response.content_part.done",
            ResponseEvent::OutputTextDelta { .. } => "response.output_text.delta",
            ResponseEvent::OutputTextDone { .. } => "response.output_text.done",
            ResponseEvent::FunctionCallArgumentsDelta { .. } => "response.function_call_arguments.delta",
            ResponseEvent::FunctionCallArgumentsDone { .. } => "response.function_call_arguments.done",
            ResponseEvent::ReasoningSummaryPartAdded { .. } => "response.reasoning_summary_part.added",
            ResponseEvent::ReasoningSummaryTextDelta { .. } => "response.reasoning_summary_text.delta",
            ResponseEvent::ReasoningSummaryTextDone { .. } => "response.reasoning_summary_text.done",
            ResponseEvent::ReasoningSummaryPartDone { .. } => "response.reasoning_summary_part.done",
            ResponseEvent::Completed { .. } => "response.completed",
            ResponseEvent::Incomplete { .. } => "response.incomplete",
            ResponseEvent::Failed { .. } => "response.failed",
            ResponseEvent::Error { .. } => "error",
        }
    }
}
