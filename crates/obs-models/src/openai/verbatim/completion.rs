//! One non-streamed answer, checked: [`VerbatimCompletion`].

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};

use super::chunk::UsageShape;
use super::shape::{
    AnyValue, Fold, FunctionShape, NullOrAny, Text, TextOrNull, fold_seq, next_key, not_kept, once, required,
};
use super::{NotVerbatim, is_compact};
use crate::openai::ChatCompletionResponse;

/// A chat completion exactly as an OpenAI-compatible upstream wrote it, checked (see the module documentation).
/// Forwarded unchanged: an OpenAI answer keeps the upstream's `id`, `model` and every field (contract §4.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerbatimCompletion {
    json: String,
}

impl VerbatimCompletion {
    /// Accepts `json` when forwarding it gives the value the typed path would write; hands it back otherwise.
    ///
    /// ```
    /// use obs_models::openai::verbatim::VerbatimCompletion;
    ///
    /// let answer = r#"{"id":"c1","object":"chat.completion","created":7,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}"#;
    /// assert!(VerbatimCompletion::check(answer.to_owned()).is_ok());
    ///
    /// // Without `content` the typed path writes `"content":null`: handed back to it.
    /// let no_content = answer.replace(r#","content":"Hi""#, "");
    /// assert!(VerbatimCompletion::check(no_content).is_err());
    /// ```
    pub fn check(json: String) -> Result<Self, NotVerbatim> {
        let verdict = if is_compact(&json) {
            serde_json::from_str::<CompletionShape>(&json).map_err(|e| e.to_string())
        } else {
            Err("not compact JSON".to_owned())
        };
        match verdict {
            Ok(CompletionShape) => Ok(VerbatimCompletion { json }),
            Err(reason) => Err(NotVerbatim { json, reason }),
        }
    }

    /// The JSON as it came.
    pub fn as_str(&self) -> &str {
        &self.json
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
/// drops a `null` one), anything else beside.
struct CompletionShape;

impl<'de> Deserialize<'de> for CompletionShape {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TopVisitor;
        impl<'de> Visitor<'de> for TopVisitor {
            type Value = CompletionShape;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a chat completion")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<CompletionShape, A::Error> {
                let (mut id, mut object, mut created, mut model, mut choices, mut usage) =
                    (None, None, None, None, None, None);
                while let Some(key) = next_key(&mut map)? {
                    match &*key {
                        "id" => once(&mut id, map.next_value::<Text>()?, "id")?,
                        "object" => once(&mut object, map.next_value::<Text>()?, "object")?,
                        "created" => once(&mut created, map.next_value::<u64>()?, "created")?,
                        "model" => once(&mut model, map.next_value::<Text>()?, "model")?,
                        "choices" => {
                            let fold = Fold::new((), |(), _: ChoiceShape| {});
                            once(&mut choices, map.next_value_seed(SeqOf(fold))?, "choices")?;
                        }
                        "usage" => once(&mut usage, map.next_value::<UsageShape>()?, "usage")?,
                        _ => {
                            map.next_value::<AnyValue>()?;
                        }
                    }
                }
                required(id, "id")?;
                required(object, "object")?;
                required(created, "created")?;
                required(model, "model")?;
                required(choices, "choices")?;
                Ok(CompletionShape)
            }
        }
        deserializer.deserialize_map(TopVisitor)
    }
}

/// A seed reading an array through a [`Fold`].
struct SeqOf<T, S>(Fold<T, S>);

impl<'de, T: Deserialize<'de>, S> de::DeserializeSeed<'de> for SeqOf<T, S> {
    type Value = (S, usize);
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        fold_seq(deserializer, self.0)
    }
}

/// One choice: `index`, `message`, and `finish_reason` and `logprobs` present (the typed path always writes them).
struct ChoiceShape;

impl<'de> Deserialize<'de> for ChoiceShape {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ChoiceVisitor;
        impl<'de> Visitor<'de> for ChoiceVisitor {
            type Value = ChoiceShape;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a choice")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ChoiceShape, A::Error> {
                let (mut index, mut message, mut finish_reason, mut logprobs) = (None, None, None, None);
                while let Some(key) = next_key(&mut map)? {
                    match &*key {
                        "index" => once(&mut index, map.next_value::<u32>()?, "index")?,
                        "message" => once(&mut message, map.next_value::<MessageShape>()?, "message")?,
                        "finish_reason" => once(&mut finish_reason, map.next_value::<TextOrNull>()?, "finish_reason")?,
                        "logprobs" => once(&mut logprobs, map.next_value::<NullOrAny>()?, "logprobs")?,
                        _ => {
                            map.next_value::<AnyValue>()?;
                        }
                    }
                }
                required(index, "index")?;
                required(message, "message")?;
                finish_reason.ok_or_else(|| de::Error::custom("no `finish_reason` key"))?;
                logprobs.ok_or_else(|| de::Error::custom("no `logprobs` key"))?;
                Ok(ChoiceShape)
            }
        }
        deserializer.deserialize_map(ChoiceVisitor)
    }
}

/// The message: `role`; `content` present, a string or `null` (the typed path writes `null` for an absent one);
/// `reasoning_content` a string; `tool_calls` an array of complete calls; anything else beside.
struct MessageShape;

impl<'de> Deserialize<'de> for MessageShape {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MessageVisitor;
        impl<'de> Visitor<'de> for MessageVisitor {
            type Value = MessageShape;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a message")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<MessageShape, A::Error> {
                let (mut role, mut content, mut reasoning, mut tool_calls) = (None, None, None, None);
                while let Some(key) = next_key(&mut map)? {
                    match &*key {
                        "role" => once(&mut role, map.next_value::<Text>()?, "role")?,
                        "content" => once(&mut content, map.next_value::<TextOrNull>()?, "content")?,
                        "reasoning_content" => once(&mut reasoning, map.next_value::<Text>()?, "reasoning_content")?,
                        "tool_calls" => {
                            let fold = Fold::new((), |(), _: ToolCallShape| {});
                            once(&mut tool_calls, map.next_value_seed(SeqOf(fold))?, "tool_calls")?;
                        }
                        _ => {
                            map.next_value::<AnyValue>()?;
                        }
                    }
                }
                required(role, "role")?;
                content.ok_or_else(|| de::Error::custom("no `content` key"))?;
                Ok(MessageShape)
            }
        }
        deserializer.deserialize_map(MessageVisitor)
    }
}

/// A complete tool call with exactly the keys the typed `ToolCall` writes: `id`, `type`, `function`.
struct ToolCallShape;

impl<'de> Deserialize<'de> for ToolCallShape {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CallVisitor;
        impl<'de> Visitor<'de> for CallVisitor {
            type Value = ToolCallShape;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a tool call")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ToolCallShape, A::Error> {
                let (mut id, mut kind, mut function) = (None, None, None);
                while let Some(key) = next_key(&mut map)? {
                    match &*key {
                        "id" => once(&mut id, map.next_value::<Text>()?, "id")?,
                        "type" => once(&mut kind, map.next_value::<Text>()?, "type")?,
                        "function" => once(&mut function, map.next_value::<FunctionShape<true>>()?, "function")?,
                        _ => return not_kept("a tool-call key the typed struct does not carry"),
                    }
                }
                required(id, "id")?;
                // The typed struct writes `"type":"function"` when it is absent.
                kind.ok_or_else(|| de::Error::custom("no `type` key"))?;
                required(function, "function")?;
                Ok(ToolCallShape)
            }
        }
        deserializer.deserialize_map(CallVisitor)
    }
}
