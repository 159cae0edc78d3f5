//! Structured output (`response_format`) for upstreams without OpenAI's field: what the client asked for, and the
//! forced-tool method — one synthetic tool whose input schema is the requested schema, `tool_choice` forcing it, and
//! its input handed back as the message's JSON `content` (streamed: the tool's argument fragments become content
//! deltas) with `finish_reason: "stop"`.
//!
//! The forced tool cannot be combined with a tool the client itself forces (`tool_choice` naming a function or
//! `"required"`): such a request is refused, never answered with one of the two silently dropped.

use obs_models::openai::{
    ChatCompletionChunk, ChatCompletionRequest, ChatCompletionResponse, FinishReason, Tool, ToolChoice, ToolChoiceMode,
};
use serde_json::{Value, json};

use crate::Error;

/// The synthetic tool's name when the client's `json_schema` has no usable name (and for `json_object`).
pub const DEFAULT_TOOL_NAME: &str = "json_response";

/// What a request's `response_format` asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct StructuredOutput {
    /// `json_schema.name` (or [`DEFAULT_TOOL_NAME`]).
    pub name: String,
    /// The JSON schema the answer must follow (`{"type":"object"}` for `json_object`).
    pub schema: Value,
    /// `json_schema.description`, if given.
    pub description: Option<String>,
    /// `json_schema.strict`.
    pub strict: bool,
}

impl StructuredOutput {
    /// The `response_format` of `request`: `None` for absent or `{"type":"text"}`; 400 for a malformed one.
    pub fn of(request: &ChatCompletionRequest) -> Result<Option<StructuredOutput>, Error> {
        let Some(format) = request.extra.get("response_format").filter(|f| !f.is_null()) else { return Ok(None) };
        let kind = format.get("type").and_then(Value::as_str);
        match kind {
            Some("text") => Ok(None),
            Some("json_object") => Ok(Some(StructuredOutput {
                name: DEFAULT_TOOL_NAME.to_owned(),
                schema: json!({"type": "object"}),
                description: None,
                strict: false,
            })),
            Some("json_schema") => {
                let spec = format.get("json_schema").filter(|s| s.is_object()).ok_or_else(|| {
                    Error::invalid("response_format.json_schema", "`response_format.json_schema` must be an object.")
                })?;
                let schema = spec.get("schema").cloned().unwrap_or_else(|| json!({"type": "object"}));
                if !schema.is_object() {
                    return Err(Error::invalid(
                        "response_format.json_schema.schema",
                        "`response_format.json_schema.schema` must be a JSON schema object.",
                    ));
                }
                let name = spec
                    .get("name")
                    .and_then(Value::as_str)
                    .filter(|n| is_tool_name(n))
                    .map_or_else(|| DEFAULT_TOOL_NAME.to_owned(), str::to_owned);
                Ok(Some(StructuredOutput {
                    name,
                    schema,
                    description: spec.get("description").and_then(Value::as_str).map(str::to_owned),
                    strict: spec.get("strict").and_then(Value::as_bool).unwrap_or(false),
                }))
            }
            _ => Err(Error::invalid(
                "response_format.type",
                "`response_format.type` must be one of 'text', 'json_object', 'json_schema'.",
            )),
        }
    }

    /// Turns `request` into its forced-tool form: the synthetic tool appended to the client's tools, and
    /// `tool_choice` forcing it. 400 `unsupported_parameter` when the client forces a tool of its own, or already
    /// has a tool of the synthetic tool's name.
    pub fn force_tool(&self, request: &mut ChatCompletionRequest) -> Result<(), Error> {
        let forced_by_client =
            matches!(request.tool_choice, Some(ToolChoice::Named(_) | ToolChoice::Mode(ToolChoiceMode::Required)));
        if forced_by_client {
            return Err(Error::unsupported(
                "response_format",
                "This model gives structured output through a forced tool call, which cannot be combined with a \
                 `tool_choice` that forces a tool of your own.",
            ));
        }
        let tools = request.tools.get_or_insert_with(Vec::new);
        if tools.iter().any(|tool| tool.function.name == self.name) {
            return Err(Error::unsupported(
                "response_format.json_schema.name",
                format!("A tool named '{}' is already offered; give the response format another name.", self.name),
            ));
        }
        let description = self.description.clone().unwrap_or_else(|| {
            "Give the final answer by calling this tool; its input is the answer, following the schema.".to_owned()
        });
        tools.push(Tool::function(self.name.clone(), Some(description), Some(self.schema.clone())));
        request.tool_choice = Some(ToolChoice::named(self.name.clone()));
        Ok(())
    }

    /// A forced-tool answer as the client expects it: the synthetic call's arguments become `content`, the call is
    /// removed, and the finish reason is `stop` (other calls, if the model made any, are kept).
    pub fn finish_response(&self, response: &mut ChatCompletionResponse) {
        for choice in &mut response.choices {
            let Some(calls) = choice.message.tool_calls.as_mut() else { continue };
            let Some(position) = calls.iter().position(|call| call.function.name == self.name) else { continue };
            let call = calls.remove(position);
            let mut content = choice.message.content.take().unwrap_or_default();
            // Text the model wrote before the call is not part of the JSON answer.
            content.clear();
            content.push_str(&call.function.arguments);
            choice.message.content = Some(content);
            if calls.is_empty() {
                choice.message.tool_calls = None;
                if choice.finish_reason == Some(FinishReason::ToolCalls) {
                    choice.finish_reason = Some(FinishReason::Stop);
                }
            }
        }
    }
}

/// Whether `name` can name a tool on every upstream (Claude and Converse accept `[a-zA-Z0-9_-]{1,64}`).
fn is_tool_name(name: &str) -> bool {
    (1..=64).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Rewrites a forced-tool stream chunk by chunk: the synthetic call's argument fragments become content deltas,
/// text before the call is dropped (it is not JSON), and `tool_calls` as the finish reason becomes `stop`.
#[derive(Debug)]
pub struct StructuredStream {
    name: String,
    /// The synthetic call's index, once its first delta named it.
    index: Option<u32>,
    /// Another call than the synthetic one was seen: the finish reason stays `tool_calls`.
    other_calls: bool,
}

impl StructuredStream {
    /// A rewriter for the forced tool of `output`.
    pub fn new(output: &StructuredOutput) -> Self {
        StructuredStream { name: output.name.clone(), index: None, other_calls: false }
    }

    /// Rewrites one chunk in place.
    pub fn chunk(&mut self, chunk: &mut ChatCompletionChunk) {
        for choice in &mut chunk.choices {
            let delta = &mut choice.delta;
            if self.index.is_none() {
                delta.content = delta.content.take().filter(|_| false);
            }
            if let Some(calls) = delta.tool_calls.as_mut() {
                let mut content = String::new();
                calls.retain(|call| {
                    let named = call.function.as_ref().and_then(|f| f.name.as_deref());
                    if self.index.is_none() && named == Some(self.name.as_str()) {
                        self.index = Some(call.index);
                    }
                    if Some(call.index) != self.index {
                        self.other_calls = true;
                        return true;
                    }
                    if let Some(arguments) = call.function.as_ref().and_then(|f| f.arguments.as_deref()) {
                        content.push_str(arguments);
                    }
                    false
                });
                if calls.is_empty() {
                    delta.tool_calls = None;
                }
                if !content.is_empty() {
                    delta.content.get_or_insert_with(String::new).push_str(&content);
                }
            }
            if choice.finish_reason == Some(FinishReason::ToolCalls) && !self.other_calls && self.index.is_some() {
                choice.finish_reason = Some(FinishReason::Stop);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use obs_models::openai::{ChatCompletionChunk, ChatCompletionRequest};
    use serde_json::json;

    use super::*;

    fn request(extra: serde_json::Value) -> ChatCompletionRequest {
        let mut body = json!({"model":"m","messages":[{"role":"user","content":"hi"}]});
        for (key, value) in extra.as_object().into_iter().flatten() {
            body[key] = value.clone();
        }
        serde_json::from_value(body).unwrap()
    }

    #[test]
    fn response_formats_are_read_and_bad_ones_named() {
        assert_eq!(StructuredOutput::of(&request(json!({}))).unwrap(), None);
        assert_eq!(StructuredOutput::of(&request(json!({"response_format":{"type":"text"}}))).unwrap(), None);
        let object = StructuredOutput::of(&request(json!({"response_format":{"type":"json_object"}}))).unwrap();
        assert_eq!(object.map(|o| (o.name, o.schema)), Some((DEFAULT_TOOL_NAME.to_owned(), json!({"type":"object"}))));
        // A name no upstream takes as a tool name falls back to the default one.
        let odd = json!({"response_format":{"type":"json_schema","json_schema":{"name":"a person!","schema":{"type":"object"}}}});
        assert_eq!(StructuredOutput::of(&request(odd)).unwrap().unwrap().name, DEFAULT_TOOL_NAME);
        let not_schema = json!({"response_format":{"type":"json_schema","json_schema":{"name":"p","schema":"x"}}});
        let error = StructuredOutput::of(&request(not_schema)).unwrap_err();
        assert_eq!(error.param.as_deref(), Some("response_format.json_schema.schema"));
    }

    #[test]
    fn the_forced_tool_joins_the_clients_tools_and_a_clash_of_names_is_refused() {
        let tools = json!({"tools":[{"type":"function","function":{"name":"lookup"}}],"tool_choice":"auto",
            "response_format":{"type":"json_schema","json_schema":{"name":"person","schema":{"type":"object"}}}});
        let mut forced = request(tools);
        let output = StructuredOutput::of(&forced).unwrap().unwrap();
        output.force_tool(&mut forced).unwrap();
        let names: Vec<&str> = forced.tools.iter().flatten().map(|t| t.function.name.as_str()).collect();
        assert_eq!(names, ["lookup", "person"]);
        assert_eq!(forced.tool_choice, Some(ToolChoice::named("person")));
        let mut clash = request(json!({"tools":[{"type":"function","function":{"name":"person"}}]}));
        let error = output.force_tool(&mut clash).unwrap_err();
        assert_eq!(error.param.as_deref(), Some("response_format.json_schema.name"));
    }

    fn chunk(delta: serde_json::Value, finish: Option<&str>) -> ChatCompletionChunk {
        serde_json::from_value(json!({"id":"c","object":"chat.completion.chunk","created":1,"model":"m",
            "choices":[{"index":0,"delta":delta,"finish_reason":finish}]}))
        .unwrap()
    }

    #[test]
    fn a_stream_loses_the_text_before_the_call_and_gets_the_arguments_as_content() {
        let output = StructuredOutput {
            name: "person".into(),
            schema: json!({"type":"object"}),
            description: None,
            strict: false,
        };
        let mut rewriter = StructuredStream::new(&output);
        let mut chunks = vec![
            chunk(json!({"role":"assistant","content":"Sure, here it is:"}), None),
            chunk(
                json!({"tool_calls":[{"index":0,"id":"t1","type":"function","function":{"name":"person","arguments":""}}]}),
                None,
            ),
            chunk(json!({"tool_calls":[{"index":0,"function":{"arguments":"{\"name\":"}}]}), None),
            chunk(json!({"tool_calls":[{"index":0,"function":{"arguments":"\"Ada\"}"}}]}), None),
            chunk(json!({}), Some("tool_calls")),
        ];
        let mut content = String::new();
        for chunk in &mut chunks {
            rewriter.chunk(chunk);
            let choice = &chunk.choices[0];
            assert!(choice.delta.tool_calls.is_none());
            content.push_str(choice.delta.content.as_deref().unwrap_or(""));
        }
        assert_eq!(content, r#"{"name":"Ada"}"#);
        assert_eq!(chunks[0].choices[0].delta.role.as_deref(), Some("assistant"), "the role chunk stays");
        assert_eq!(chunks[4].choices[0].finish_reason, Some(FinishReason::Stop));
    }
}
