//! Internal chunks → the Responses event sequence (docs/reference/responses.md §6), event by event as chunks come:
//! `response.created`, `response.in_progress`, then per output item `output_item.added`, its part and deltas, their
//! `.done` events and `output_item.done`, and last `response.completed` (or `response.incomplete`, or `error` and
//! `response.failed`) carrying the whole response. Every event has the next `sequence_number`.

use obs_models::error::ErrorBody;
use obs_models::openai::{ChatCompletionChunk, FinishReason, Usage};
use obs_models::responses::{
    OutputContent, OutputItem, ReasoningSummary, Response, ResponseEvent, ResponsesRequest, SequencedEvent,
};

use super::answer::{skeleton, status_of, thinking_blocks, usage};
use super::{new_id, reasoning};
use crate::stream::{StreamEncoder, write_json};

/// The item being written.
enum Open {
    Nothing,
    Reasoning { index: usize, id: String, text: String },
    Message { index: usize, id: String, text: String },
    Call { index: usize, id: String, call_id: String, name: String, arguments: String, chunk_index: u32 },
}

/// A Responses stream encoder: one per response.
pub struct ResponsesEventEncoder {
    request: ResponsesRequest,
    id: String,
    created_at: Option<u64>,
    sequence: u64,
    output: Vec<OutputItem>,
    open: Open,
    finish: Option<FinishReason>,
    usage: Option<Usage>,
    done: bool,
    /// Claude's signed thinking blocks of the reasoning item being streamed (`delta.thinking_blocks`).
    signed: Vec<serde_json::Value>,
}

impl ResponsesEventEncoder {
    /// An encoder for the response `id` to `request`.
    pub fn new(request: ResponsesRequest, id: String) -> Self {
        ResponsesEventEncoder {
            request,
            id,
            created_at: None,
            sequence: 0,
            output: Vec::new(),
            open: Open::Nothing,
            finish: None,
            usage: None,
            done: false,
            signed: Vec::new(),
        }
    }

    /// The response as it ended (for storing); `None` before the stream ended.
    pub fn final_response(&self) -> Option<Response> {
        self.done.then(|| self.response(&self.status().0))
    }

    fn status(&self) -> (String, Option<obs_models::responses::IncompleteDetails>) {
        let (status, details) = status_of(self.finish.as_ref());
        (status.to_owned(), details)
    }

    fn response(&self, status: &str) -> Response {
        let mut response = skeleton(&self.request, self.id.clone(), self.created_at.unwrap_or_default(), status);
        if status != "in_progress" {
            response.output = self.output.clone();
            response.incomplete_details = self.status().1;
            response.usage = self.usage.as_ref().map(usage);
        }
        response
    }

    fn emit(&mut self, event: ResponseEvent, out: &mut Vec<u8>) {
        out.extend_from_slice(b"event: ");
        out.extend_from_slice(event.kind().as_bytes());
        out.extend_from_slice(b"\ndata: ");
        write_json(&SequencedEvent { event, sequence_number: self.sequence }, out);
        out.extend_from_slice(b"\n\n");
        self.sequence += 1;
    }

    fn start(&mut self, created: u64, out: &mut Vec<u8>) {
        if self.created_at.is_some() {
            return;
        }
        self.created_at = Some(created);
        let response = Box::new(self.response("in_progress"));
        self.emit(ResponseEvent::Created { response: response.clone() }, out);
        self.emit(ResponseEvent::InProgress { response }, out);
    }

    /// Closes the open item with its `.done` events.
    fn close(&mut self, out: &mut Vec<u8>) {
        match std::mem::replace(&mut self.open, Open::Nothing) {
            Open::Nothing => {}
            Open::Reasoning { index, id, text } => {
                let part = ReasoningSummary::text(text.clone());
                let (item_id, output_index, summary_index) = (id.clone(), index, 0);
                self.emit(
                    ResponseEvent::ReasoningSummaryTextDone {
                        item_id: item_id.clone(),
                        output_index,
                        summary_index,
                        text: text.clone(),
                    },
                    out,
                );
                self.emit(
                    ResponseEvent::ReasoningSummaryPartDone {
                        item_id,
                        output_index,
                        summary_index,
                        part: part.clone(),
                    },
                    out,
                );
                let encrypted_content = if self.request.includes_encrypted_reasoning() {
                    let signed =
                        (!self.signed.is_empty()).then(|| serde_json::Value::Array(std::mem::take(&mut self.signed)));
                    reasoning::encode(&thinking_blocks(&text, signed.as_ref()))
                } else {
                    None
                };
                let item = OutputItem::Reasoning { id, summary: vec![part], encrypted_content };
                self.output.push(item.clone());
                self.emit(ResponseEvent::OutputItemDone { output_index, item }, out);
            }
            Open::Message { index, id, text } => {
                let part = OutputContent::OutputText { text: text.clone(), annotations: Vec::new() };
                self.emit(
                    ResponseEvent::OutputTextDone {
                        item_id: id.clone(),
                        output_index: index,
                        content_index: 0,
                        text,
                        logprobs: Vec::new(),
                    },
                    out,
                );
                self.emit(
                    ResponseEvent::ContentPartDone {
                        item_id: id.clone(),
                        output_index: index,
                        content_index: 0,
                        part: part.clone(),
                    },
                    out,
                );
                let status = if self.status().0 == "incomplete" { "incomplete" } else { "completed" };
                let item = OutputItem::Message {
                    id,
                    status: status.to_owned(),
                    role: "assistant".to_owned(),
                    content: vec![part],
                };
                self.output.push(item.clone());
                self.emit(ResponseEvent::OutputItemDone { output_index: index, item }, out);
            }
            Open::Call { index, id, call_id, name, arguments, .. } => {
                self.emit(
                    ResponseEvent::FunctionCallArgumentsDone {
                        item_id: id.clone(),
                        output_index: index,
                        arguments: arguments.clone(),
                    },
                    out,
                );
                let item = OutputItem::FunctionCall { id, status: "completed".to_owned(), arguments, call_id, name };
                self.output.push(item.clone());
                self.emit(ResponseEvent::OutputItemDone { output_index: index, item }, out);
            }
        }
    }

    fn reasoning(&mut self, delta: String, out: &mut Vec<u8>) {
        if !matches!(self.open, Open::Reasoning { .. }) {
            self.close(out);
            let (index, id) = (self.output.len(), new_id("rs"));
            let item = OutputItem::Reasoning { id: id.clone(), summary: Vec::new(), encrypted_content: None };
            self.emit(ResponseEvent::OutputItemAdded { output_index: index, item }, out);
            self.emit(
                ResponseEvent::ReasoningSummaryPartAdded {
                    item_id: id.clone(),
                    output_index: index,
                    summary_index: 0,
                    part: ReasoningSummary::text(""),
                },
                out,
            );
            self.open = Open::Reasoning { index, id, text: String::new() };
        }
        if let Open::Reasoning { index, id, text } = &mut self.open {
            text.push_str(&delta);
            let event = ResponseEvent::ReasoningSummaryTextDelta {
                item_id: id.clone(),
                output_index: *index,
                summary_index: 0,
                delta,
            };
            self.emit(event, out);
        }
    }

    fn text(&mut self, delta: String, out: &mut Vec<u8>) {
        if !matches!(self.open, Open::Message { .. }) {
            self.close(out);
            let (index, id) = (self.output.len(), new_id("msg"));
            let item = OutputItem::Message {
                id: id.clone(),
                status: "in_progress".to_owned(),
                role: "assistant".to_owned(),
                content: Vec::new(),
            };
            self.emit(ResponseEvent::OutputItemAdded { output_index: index, item }, out);
            let part = OutputContent::OutputText { text: String::new(), annotations: Vec::new() };
            self.emit(
                ResponseEvent::ContentPartAdded { item_id: id.clone(), output_index: index, content_index: 0, part },
                out,
            );
            self.open = Open::Message { index, id, text: String::new() };
        }
        if let Open::Message { index, id, text } = &mut self.open {
            text.push_str(&delta);
            let event = ResponseEvent::OutputTextDelta {
                item_id: id.clone(),
                output_index: *index,
                content_index: 0,
                delta,
                logprobs: Vec::new(),
            };
            self.emit(event, out);
        }
    }

    fn call(&mut self, call: obs_models::openai::ToolCallDelta, out: &mut Vec<u8>) {
        let same = matches!(&self.open, Open::Call { chunk_index, .. } if *chunk_index == call.index);
        let (name, arguments) = call.function.map_or((None, None), |f| (f.name, f.arguments));
        if !same {
            self.close(out);
            let (index, id) = (self.output.len(), new_id("fc"));
            let call_id = call.id.unwrap_or_else(crate::ids::tool_call_id);
            let name = name.unwrap_or_default();
            let item = OutputItem::FunctionCall {
                id: id.clone(),
                status: "in_progress".to_owned(),
                arguments: String::new(),
                call_id: call_id.clone(),
                name: name.clone(),
            };
            self.emit(ResponseEvent::OutputItemAdded { output_index: index, item }, out);
            self.open = Open::Call { index, id, call_id, name, arguments: String::new(), chunk_index: call.index };
        }
        if let Some(delta) = arguments.filter(|a| !a.is_empty())
            && let Open::Call { index, id, arguments, .. } = &mut self.open
        {
            arguments.push_str(&delta);
            let event = ResponseEvent::FunctionCallArgumentsDelta { item_id: id.clone(), output_index: *index, delta };
            self.emit(event, out);
        }
    }
}

impl StreamEncoder for ResponsesEventEncoder {
    fn chunk(&mut self, chunk: ChatCompletionChunk, out: &mut Vec<u8>) {
        self.start(chunk.created, out);
        if let Some(Some(usage)) = chunk.usage {
            self.usage = Some(usage);
        }
        for choice in chunk.choices.into_iter().filter(|c| c.index == 0) {
            let delta = choice.delta;
            if let Some(serde_json::Value::Array(blocks)) = delta.extra.get("thinking_blocks") {
                self.signed.extend(blocks.iter().cloned());
            }
            if let Some(reasoning) = delta.reasoning_content.filter(|r| !r.is_empty()) {
                self.reasoning(reasoning, out);
            }
            if let Some(text) = delta.content.filter(|t| !t.is_empty()) {
                self.text(text, out);
            }
            for call in delta.tool_calls.into_iter().flatten() {
                self.call(call, out);
            }
            if choice.finish_reason.is_some() {
                self.finish = choice.finish_reason;
            }
        }
    }

    fn error(&mut self, error: &ErrorBody, out: &mut Vec<u8>) {
        self.start(crate::responses::now(), out);
        self.close(out);
        let event = ResponseEvent::Error {
            code: error.error.code.clone(),
            message: error.error.message.clone(),
            param: error.error.param.clone(),
        };
        self.emit(event, out);
        let mut response = self.response("failed");
        response.error = Some(serde_json::json!({
            "code": error.error.code.clone().unwrap_or_else(|| "server_error".to_owned()),
            "message": error.error.message,
        }));
        self.done = true;
        self.emit(ResponseEvent::Failed { response: Box::new(response) }, out);
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        self.start(crate::responses::now(), out);
        self.close(out);
        self.done = true;
        let (status, _) = self.status();
        let response = Box::new(self.response(&status));
        let event = if status == "incomplete" {
            ResponseEvent::Incomplete { response }
        } else {
            ResponseEvent::Completed { response }
        };
        self.emit(event, out);
    }
}
