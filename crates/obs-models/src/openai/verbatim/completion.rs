//! One non-streamed answer, checked: [`VerbatimCompletion`].

use super::scan::{Member, Refused, Scan, Scanner, once, required};
use super::{NotVerbatim, function, small_unsigned, text, text_or_null, usage};
use crate::openai::ChatCompletionResponse;

/// A chat completion exactly as an OpenAI-compatible upstream wrote it, checked (see the module documentation).
/// Forwarded unchanged: an OpenAI answer keeps the upstream's `id`, `model` and every field (docs/reference/formats.md
/// §8.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerbatimCompletion {
    json: String,
    /// Where its `usage` member stands (key and value), when it has one.
    usage: Option<(usize, usize)>,
}

impl VerbatimCompletion {
    /// Accepts `json` when forwarding it gives the value the typed path would write; hands it back otherwise.
    ///
    /// ```
    /// use obs_models::openai::verbatim::VerbatimCompletion;
    ///
    /// let answer =
    /// r#"{"id":"c1","object":"chat.completion","created":7,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}"#; assert!(VerbatimCompletion::check(answer.to_owned()).is_ok());
    ///
    /// assert_eq!(
    ///     VerbatimCompletion::check(answer.to_owned()).unwrap().usage_json(),
    ///     Some(r#"{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}"#)
    /// );
    ///
    /// // Without `content` the typed path writes `"content":null`: handed back to it.
    /// let no_content = answer.replace(r#","content":"Hi""#, "");
    /// assert!(VerbatimCompletion::check(no_content).is_err());
    /// ```
    pub fn check(json: String) -> Result<Self, NotVerbatim> {
        match completion(&json) {
            Ok(usage) => Ok(VerbatimCompletion { json, usage }),
            Err(refused) => Err(NotVerbatim::new(json, &refused)),
        }
    }

    /// The JSON as it came.
    pub fn as_str(&self) -> &str {
        &self.json
    }

    /// The `usage` object's text, when the answer has one (found by the check: nothing is parsed again).
    pub fn usage_json(&self) -> Option<&str> {
        let (start, end) = self.usage?;
        let member = self.json.get(start..end)?;
        member.find('{').and_then(|brace| member.get(brace..))
    }

    /// The JSON, to send.
    pub fn into_string(self) -> String {
        self.json
    }

    /// The typed answer (for other target formats and for library callers).
    pub fn into_typed(self) -> Result<ChatCompletionResponse, serde_json::Error> {
        serde_json::from_str(&self.json)
    }
}

/// The top level: what the typed `ChatCompletionResponse` requires, `usage` an object when present (the typed path
/// drops a `null` one), anything else beside; the span of the `usage` member.
fn completion(json: &str) -> Scan<Option<(usize, usize)>> {
    let mut scanner = Scanner::new(json)?;
    let (mut id, mut object, mut created, mut model, mut choices, mut usage_seen) =
        (None, None, None, None, None, None);
    scanner.object(|s, Member { key, start }| match key {
        b"id" => once(&mut id, text(s)?, s),
        b"object" => once(&mut object, text(s)?, s),
        b"created" => once(&mut created, s.unsigned()?, s),
        b"model" => once(&mut model, text(s)?, s),
        b"choices" => once(&mut choices, s.array(choice)?, s),
        b"usage" => {
            usage(s)?;
            once(&mut usage_seen, (start, s.position()), s)
        }
        _ => s.value().map(drop),
    })?;
    scanner.end()?;
    required(id, "no id")?;
    required(object, "no object")?;
    required(created, "no created")?;
    required(model, "no model")?;
    required(choices, "no choices")?;
    Ok(usage_seen)
}

/// One choice: `index`, `message`, and `finish_reason` and `logprobs` present (the typed path always writes them).
fn choice(scanner: &mut Scanner<'_>) -> Scan<()> {
    let (mut index, mut message_seen, mut finish_reason, mut logprobs) = (None, None, None, None);
    scanner.object(|s, Member { key, .. }| match key {
        b"index" => once(&mut index, small_unsigned(s)?, s),
        b"message" => once(&mut message_seen, message(s)?, s),
        b"finish_reason" => once(&mut finish_reason, text_or_null(s)?, s),
        b"logprobs" => once(&mut logprobs, s.value()?, s),
        _ => s.value().map(drop),
    })?;
    required(index, "a choice without index")?;
    required(message_seen, "a choice without message")?;
    required(finish_reason, "a choice without finish_reason")?;
    required(logprobs, "a choice without logprobs").map(drop)
}

/// The message: `role`; `content` present, a string or `null` (the typed path writes `null` for an absent one);
/// `reasoning_content` a string; `tool_calls` an array of complete calls; anything else beside.
fn message(scanner: &mut Scanner<'_>) -> Scan<()> {
    let (mut role, mut content, mut reasoning, mut tool_calls) = (None, None, None, None);
    scanner.object(|s, Member { key, .. }| match key {
        b"role" => once(&mut role, text(s)?, s),
        b"content" => once(&mut content, text_or_null(s)?, s),
        b"reasoning_content" => once(&mut reasoning, text(s)?, s),
        b"tool_calls" => once(&mut tool_calls, s.array(tool_call)?, s),
        _ => s.value().map(drop),
    })?;
    required(role, "a message without role")?;
    required(content, "a message without content").map(drop)
}

/// A complete tool call with exactly the keys the typed `ToolCall` writes: `id`, `type` (written as `function`
/// when absent, so required here), `function`.
fn tool_call(scanner: &mut Scanner<'_>) -> Scan<()> {
    let (mut id, mut kind, mut function_seen) = (None, None, None);
    scanner.object(|s, Member { key, .. }| match key {
        b"id" => once(&mut id, text(s)?, s),
        b"type" => once(&mut kind, text(s)?, s),
        b"function" => once(&mut function_seen, function(s, true)?, s),
        _ => Err(Refused { reason: "a tool-call key the typed struct drops", at: s.position() }),
    })?;
    required(id, "a tool call without id")?;
    required(kind, "a tool call without type")?;
    required(function_seen, "a tool call without function")
}
