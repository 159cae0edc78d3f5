//! One streamed chunk, checked: [`VerbatimChunk`].

use std::fmt;
use std::io::Write as _;
use std::ops::Range;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::shape::{
    AnyValue, FunctionShape, NullOrAny, Text, TextOrNull, fold_seq, next_key, not_kept, once, required,
};
use super::{NotVerbatim, is_compact, plain_string, span_in};
use crate::openai::ChatCompletionChunk;

/// Where a chunk's `usage` stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UsageMember {
    /// No `usage` key.
    Absent,
    /// `"usage":null`; the span covers the member and one comma beside it, so removing it leaves valid JSON.
    Null {
        /// Bytes to cut to remove the member.
        cut: Range<usize>,
    },
    /// A usage object: only on a chunk without choices (the usage chunk); the typed path takes other cases.
    Object,
}

/// One OpenAI stream chunk exactly as the upstream wrote it, checked (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerbatimChunk {
    json: String,
    id: Range<usize>,
    created: u64,
    created_at: Range<usize>,
    model: Range<usize>,
    usage: UsageMember,
    choices: usize,
    carries_nothing: bool,
}

impl VerbatimChunk {
    /// Accepts `json` (one event's data) when it can be forwarded as it is; hands it back otherwise.
    ///
    /// ```
    /// use obs_models::openai::verbatim::VerbatimChunk;
    ///
    /// let chunk = VerbatimChunk::check(
    ///     r#"{"id":"c1","object":"chat.completion.chunk","created":7,"model":"m","choices":[{"index":0,"delta":{"content":"Hi"},"logprobs":null,"finish_reason":null}],"usage":null}"#.to_owned(),
    /// ).unwrap();
    /// assert_eq!((chunk.id(), chunk.created(), chunk.model()), ("c1", 7, "m"));
    /// assert!(!chunk.carries_nothing());
    ///
    /// // `content: null` is dropped by the typed path, so this one is handed back to it.
    /// let typed = VerbatimChunk::check(
    ///     r#"{"id":"c1","object":"chat.completion.chunk","created":7,"model":"m","choices":[{"index":0,"delta":{"content":null},"logprobs":null,"finish_reason":null}]}"#.to_owned(),
    /// );
    /// assert!(typed.is_err());
    /// ```
    pub fn check(json: String) -> Result<Self, NotVerbatim> {
        match Self::facts(&json) {
            Ok(facts) => Ok(VerbatimChunk { json, ..facts }),
            Err(reason) => Err(NotVerbatim { json, reason }),
        }
    }

    fn facts(json: &str) -> Result<VerbatimChunk, String> {
        if !is_compact(json) {
            return Err("not compact JSON".to_owned());
        }
        let top: TopLevel<'_> = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let id = plain_string(json, top.id.get()).ok_or("`id` is not a plain string")?;
        let model = plain_string(json, top.model.get()).ok_or("`model` is not a plain string")?;
        let created_at = span_in(json, top.created.get()).ok_or("`created` is not in the document")?;
        let created = top.created.get().parse::<u64>().map_err(|_| "`created` is not an unsigned integer")?;
        let usage = match top.usage {
            None => UsageMember::Absent,
            Some(raw) if raw.get() == "null" => UsageMember::Null { cut: member_cut(json, raw.get(), "usage")? },
            Some(raw) if top.choices == 0 => {
                serde_json::from_str::<UsageShape>(raw.get()).map_err(|e| e.to_string())?;
                UsageMember::Object
            }
            Some(_) => return Err("usage beside choices is moved by the typed path".to_owned()),
        };
        Ok(VerbatimChunk {
            json: String::new(),
            id,
            created,
            created_at,
            model,
            usage,
            choices: top.choices,
            carries_nothing: top.carries_nothing,
        })
    }

    /// The chunk's `id`.
    pub fn id(&self) -> &str {
        &self.json[self.id.clone()]
    }

    /// The chunk's `created`.
    pub fn created(&self) -> u64 {
        self.created
    }

    /// The chunk's `model`.
    pub fn model(&self) -> &str {
        &self.json[self.model.clone()]
    }

    /// Where its `usage` stands.
    pub fn usage(&self) -> &UsageMember {
        &self.usage
    }

    /// Whether `choices` is empty (the usage chunk).
    pub fn has_no_choices(&self) -> bool {
        self.choices == 0
    }

    /// Whether every choice carries nothing: an empty delta, no `finish_reason`, `logprobs` null (true when there
    /// are no choices) — the typed path's rule for dropping a chunk.
    pub fn carries_nothing(&self) -> bool {
        self.carries_nothing
    }

    /// The JSON as it came.
    pub fn as_str(&self) -> &str {
        &self.json
    }

    /// Appends the chunk with obs's edits: `id` and `created` replaced when given, and `usage` set to `null`
    /// (`Some(true)`: added when absent, kept when null) or removed when null (`Some(false)`); `None` leaves it.
    pub fn write_edited(&self, out: &mut Vec<u8>, id: Option<&str>, created: Option<u64>, usage_null: Option<bool>) {
        // Edits in document order: id and created are top-level values; the usage member is cut, or a null one
        // is added before the closing brace.
        let mut edits: [(Range<usize>, Edit<'_>); 3] = [(0..0, Edit::None), (0..0, Edit::None), (0..0, Edit::None)];
        if let Some(id) = id {
            edits[0] = (self.id.clone(), Edit::Text(id));
        }
        if let Some(created) = created {
            edits[1] = (self.created_at.clone(), Edit::Number(created));
        }
        match (&self.usage, usage_null) {
            (UsageMember::Null { cut }, Some(false)) => edits[2] = (cut.clone(), Edit::Cut),
            (UsageMember::Absent, Some(true)) => {
                let end = self.json.len() - 1;
                edits[2] = (end..end, Edit::AddUsageNull);
            }
            _ => {}
        }
        edits.sort_by_key(|(range, _)| range.start);
        let mut at = 0;
        for (range, edit) in &edits {
            if matches!(edit, Edit::None) {
                continue;
            }
            out.extend_from_slice(&self.json.as_bytes()[at..range.start]);
            match edit {
                Edit::Text(text) => write_escaped_inner(text, out),
                Edit::Number(number) => {
                    let _ = write!(out, "{number}");
                }
                Edit::AddUsageNull => out.extend_from_slice(br#","usage":null"#),
                Edit::Cut | Edit::None => {}
            }
            at = range.end;
        }
        out.extend_from_slice(&self.json.as_bytes()[at..]);
    }

    /// The typed chunk (for encoders of other formats and for library callers).
    pub fn into_typed(self) -> Result<ChatCompletionChunk, serde_json::Error> {
        serde_json::from_str(&self.json)
    }
}

enum Edit<'a> {
    None,
    Text(&'a str),
    Number(u64),
    Cut,
    AddUsageNull,
}

/// A string's JSON escaping without the quotes (the quotes around a replaced value stay in the document).
fn write_escaped_inner(text: &str, out: &mut Vec<u8>) {
    let start = out.len();
    if serde_json::to_writer(&mut *out, text).is_ok() && out.len() >= start + 2 {
        out.remove(start);
        out.pop();
    } else {
        out.truncate(start);
    }
}

/// The span that removes `"key":<value>` and one comma beside it, for a compact document whose key is written
/// plainly; an error when the key is written some other way (escaped).
fn member_cut(json: &str, value: &str, key: &str) -> Result<Range<usize>, String> {
    let value_at = span_in(json, value).ok_or("the value is not in the document")?;
    let key_start = value_at.start.checked_sub(key.len() + 3).ok_or("no room for the key")?;
    let written = &json.as_bytes()[key_start..value_at.start];
    let expected = format!("\"{key}\":");
    if written != expected.as_bytes() {
        return Err(format!("`{key}` is not written plainly"));
    }
    let bytes = json.as_bytes();
    Ok(if key_start > 0 && bytes[key_start - 1] == b',' {
        key_start - 1..value_at.end
    } else if bytes.get(value_at.end) == Some(&b',') {
        key_start..value_at.end + 1
    } else {
        key_start..value_at.end
    })
}

/// The chunk's top level: spans of the values obs edits, facts about the choices.
struct TopLevel<'a> {
    id: &'a RawValue,
    created: &'a RawValue,
    model: &'a RawValue,
    usage: Option<&'a RawValue>,
    choices: usize,
    carries_nothing: bool,
}

impl<'de> Deserialize<'de> for TopLevel<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TopVisitor;
        impl<'de> Visitor<'de> for TopVisitor {
            type Value = TopLevel<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a chunk object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TopLevel<'de>, A::Error> {
                let (mut id, mut object, mut created, mut model, mut choices, mut usage) =
                    (None, None, None, None, None, None);
                while let Some(key) = next_key(&mut map)? {
                    match &*key {
                        "id" => once(&mut id, map.next_value::<&RawValue>()?, "id")?,
                        "object" => once(&mut object, map.next_value::<Text>()?, "object")?,
                        "created" => once(&mut created, map.next_value::<&RawValue>()?, "created")?,
                        "model" => once(&mut model, map.next_value::<&RawValue>()?, "model")?,
                        "choices" => once(&mut choices, map.next_value::<Choices>()?, "choices")?,
                        "usage" => once(&mut usage, map.next_value::<&RawValue>()?, "usage")?,
                        // An error event: the adapter's typed path turns it into the stream's error.
                        "error" => return not_kept("an error event"),
                        _ => {
                            map.next_value::<AnyValue>()?;
                        }
                    }
                }
                required(object, "object")?;
                let choices = required(choices, "choices")?;
                Ok(TopLevel {
                    id: required(id, "id")?,
                    created: required(created, "created")?,
                    model: required(model, "model")?,
                    usage,
                    choices: choices.len,
                    carries_nothing: choices.carry_nothing,
                })
            }
        }
        deserializer.deserialize_map(TopVisitor)
    }
}

/// The `choices` array: how many, and whether none carries anything.
struct Choices {
    len: usize,
    carry_nothing: bool,
}

impl<'de> Deserialize<'de> for Choices {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let fold = super::shape::Fold::new(true, |all: &mut bool, choice: ChoiceShape| *all &= choice.carries_nothing);
        let (carry_nothing, len) = fold_seq(deserializer, fold)?;
        Ok(Choices { len, carry_nothing })
    }
}

/// One choice: `index`, `delta`, and `finish_reason` and `logprobs` present (the typed path always writes them).
struct ChoiceShape {
    carries_nothing: bool,
}

impl<'de> Deserialize<'de> for ChoiceShape {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ChoiceVisitor;
        impl<'de> Visitor<'de> for ChoiceVisitor {
            type Value = ChoiceShape;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a chunk choice")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ChoiceShape, A::Error> {
                let (mut index, mut delta, mut finish_reason, mut logprobs) = (None, None, None, None);
                while let Some(key) = next_key(&mut map)? {
                    match &*key {
                        "index" => once(&mut index, map.next_value::<u32>()?, "index")?,
                        "delta" => once(&mut delta, map.next_value::<DeltaShape>()?, "delta")?,
                        "finish_reason" => once(&mut finish_reason, map.next_value::<TextOrNull>()?, "finish_reason")?,
                        "logprobs" => once(&mut logprobs, map.next_value::<NullOrAny>()?, "logprobs")?,
                        _ => {
                            map.next_value::<AnyValue>()?;
                        }
                    }
                }
                required(index, "index")?;
                let delta = required(delta, "delta")?;
                let finish_reason = finish_reason.ok_or_else(|| de::Error::custom("no `finish_reason` key"))?;
                let logprobs = logprobs.ok_or_else(|| de::Error::custom("no `logprobs` key"))?;
                Ok(ChoiceShape { carries_nothing: delta.is_empty && finish_reason.is_null && logprobs.is_null })
            }
        }
        deserializer.deserialize_map(ChoiceVisitor)
    }
}

/// A delta: `role`, `content`, `reasoning_content` as strings (the typed path drops `null`), `tool_calls`, and
/// any other key (kept by the typed path too).
struct DeltaShape {
    is_empty: bool,
}

impl<'de> Deserialize<'de> for DeltaShape {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DeltaVisitor;
        impl<'de> Visitor<'de> for DeltaVisitor {
            type Value = DeltaShape;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a delta")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<DeltaShape, A::Error> {
                let (mut role, mut content, mut reasoning, mut tool_calls, mut other) = (None, None, None, None, false);
                while let Some(key) = next_key(&mut map)? {
                    match &*key {
                        "role" => once(&mut role, map.next_value::<Text>()?, "role")?,
                        "content" => once(&mut content, map.next_value::<Text>()?, "content")?,
                        "reasoning_content" => once(&mut reasoning, map.next_value::<Text>()?, "reasoning_content")?,
                        "tool_calls" => once(&mut tool_calls, map.next_value::<ToolCallDeltas>()?, "tool_calls")?,
                        _ => {
                            map.next_value::<AnyValue>()?;
                            other = true;
                        }
                    }
                }
                let is_empty =
                    role.is_none() && content.is_none() && reasoning.is_none() && tool_calls.is_none() && !other;
                Ok(DeltaShape { is_empty })
            }
        }
        deserializer.deserialize_map(DeltaVisitor)
    }
}

/// `tool_calls` of a delta: an array of fragments with only the keys the typed `ToolCallDelta` writes.
struct ToolCallDeltas;

impl<'de> Deserialize<'de> for ToolCallDeltas {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        fold_seq(deserializer, super::shape::Fold::new((), |(), _: ToolCallDeltaShape| {})).map(|_| ToolCallDeltas)
    }
}

struct ToolCallDeltaShape;

impl<'de> Deserialize<'de> for ToolCallDeltaShape {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FragmentVisitor;
        impl<'de> Visitor<'de> for FragmentVisitor {
            type Value = ToolCallDeltaShape;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a tool-call fragment")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ToolCallDeltaShape, A::Error> {
                let (mut index, mut id, mut kind, mut function) = (None, None, None, None);
                while let Some(key) = next_key(&mut map)? {
                    match &*key {
                        "index" => once(&mut index, map.next_value::<u32>()?, "index")?,
                        "id" => once(&mut id, map.next_value::<Text>()?, "id")?,
                        "type" => once(&mut kind, map.next_value::<Text>()?, "type")?,
                        "function" => once(&mut function, map.next_value::<FunctionShape<false>>()?, "function")?,
                        _ => return not_kept("a tool-call key the typed struct does not carry"),
                    }
                }
                required(index, "index")?;
                Ok(ToolCallDeltaShape)
            }
        }
        deserializer.deserialize_map(FragmentVisitor)
    }
}

/// A usage object: the three counts as unsigned integers, anything else beside them.
pub(super) struct UsageShape;

impl<'de> Deserialize<'de> for UsageShape {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct UsageVisitor;
        impl<'de> Visitor<'de> for UsageVisitor {
            type Value = UsageShape;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a usage object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<UsageShape, A::Error> {
                let (mut prompt, mut completion, mut total) = (None, None, None);
                while let Some(key) = next_key(&mut map)? {
                    match &*key {
                        "prompt_tokens" => once(&mut prompt, map.next_value::<u64>()?, "prompt_tokens")?,
                        "completion_tokens" => once(&mut completion, map.next_value::<u64>()?, "completion_tokens")?,
                        "total_tokens" => once(&mut total, map.next_value::<u64>()?, "total_tokens")?,
                        _ => {
                            map.next_value::<AnyValue>()?;
                        }
                    }
                }
                required(prompt, "prompt_tokens")?;
                required(completion, "completion_tokens")?;
                required(total, "total_tokens")?;
                Ok(UsageShape)
            }
        }
        deserializer.deserialize_map(UsageVisitor)
    }
}
