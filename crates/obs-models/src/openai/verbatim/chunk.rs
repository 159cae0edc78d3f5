//! One streamed chunk, checked: [`VerbatimChunk`].

use std::io::Write as _;
use std::ops::Range;

use super::scan::{Kind, Member, Refused, Scan, Scanner, once, required};
use super::{NotVerbatim, small_unsigned, text, text_or_null, usage};
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
    facts: Facts,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Facts {
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
        match facts(&json) {
            Ok(facts) => Ok(VerbatimChunk { json, facts }),
            Err(refused) => Err(NotVerbatim::new(json, &refused)),
        }
    }

    /// The chunk's `id`.
    pub fn id(&self) -> &str {
        &self.json[self.facts.id.clone()]
    }

    /// The chunk's `created`.
    pub fn created(&self) -> u64 {
        self.facts.created
    }

    /// The chunk's `model`.
    pub fn model(&self) -> &str {
        &self.json[self.facts.model.clone()]
    }

    /// Where its `usage` stands.
    pub fn usage(&self) -> &UsageMember {
        &self.facts.usage
    }

    /// Whether `choices` is empty (the usage chunk).
    pub fn has_no_choices(&self) -> bool {
        self.facts.choices == 0
    }

    /// Whether every choice carries nothing: an empty delta, no `finish_reason`, `logprobs` null (true when there
    /// are no choices) — the typed path's rule for dropping a chunk.
    pub fn carries_nothing(&self) -> bool {
        self.facts.carries_nothing
    }

    /// The JSON as it came.
    pub fn as_str(&self) -> &str {
        &self.json
    }

    /// Appends the chunk with obs's edits: `id` and `created` replaced when given, and `usage` set to `null`
    /// (`Some(true)`: added when absent, kept when null) or removed when null (`Some(false)`); `None` leaves it.
    pub fn write_edited(&self, out: &mut Vec<u8>, id: Option<&str>, created: Option<u64>, usage_null: Option<bool>) {
        let json = self.json.as_bytes();
        // Edits in document order: id and created are top-level values; the usage member is cut, or a null one is
        // added before the closing brace.
        let mut edits: [Option<(Range<usize>, Edit<'_>)>; 3] = [
            id.map(|id| (self.facts.id.clone(), Edit::Text(id))),
            created.map(|created| (self.facts.created_at.clone(), Edit::Number(created))),
            match (&self.facts.usage, usage_null) {
                (UsageMember::Null { cut }, Some(false)) => Some((cut.clone(), Edit::Cut)),
                (UsageMember::Absent, Some(true)) => Some((json.len() - 1..json.len() - 1, Edit::AddUsageNull)),
                _ => None,
            },
        ];
        edits.sort_by_key(|edit| edit.as_ref().map_or(0, |(range, _)| range.start));
        let mut at = 0;
        for (range, edit) in edits.iter().flatten() {
            out.extend_from_slice(&json[at..range.start]);
            match edit {
                Edit::Text(text) => write_escaped_inner(text, out),
                Edit::Number(number) => {
                    let _ = write!(out, "{number}");
                }
                Edit::AddUsageNull => out.extend_from_slice(br#","usage":null"#),
                Edit::Cut => {}
            }
            at = range.end;
        }
        out.extend_from_slice(&json[at..]);
    }

    /// The typed chunk (for encoders of other formats and for library callers).
    pub fn into_typed(self) -> Result<ChatCompletionChunk, serde_json::Error> {
        serde_json::from_str(&self.json)
    }
}

enum Edit<'a> {
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

/// The chunk's top level: what the typed `ChatCompletionChunk` requires, the spans of what obs edits.
fn facts(json: &str) -> Scan<Facts> {
    let mut scanner = Scanner::new(json)?;
    let (mut id, mut object, mut created, mut model, mut choices, mut usage_at) = (None, None, None, None, None, None);
    let mut error = false;
    scanner.object(|s, Member { key, start }| match key {
        b"id" => once(&mut id, plain_string(s)?, s),
        b"object" => once(&mut object, text(s)?, s),
        b"created" => once(&mut created, s.unsigned()?, s),
        b"model" => once(&mut model, plain_string(s)?, s),
        b"choices" => once(&mut choices, choices_of(s)?, s),
        b"usage" => {
            let kind = if s.null() { Kind::Null } else { usage(s).map(|()| Kind::Object)? };
            once(&mut usage_at, (kind, start, s.position()), s)
        }
        _ => {
            // An error event: the adapter's typed path turns it into the stream's error.
            error |= key == b"error";
            s.value().map(drop)
        }
    })?;
    scanner.end()?;
    if error {
        return Err(Refused { reason: "an error event", at: 0 });
    }
    required(object, "no object")?;
    let (created_at, created) = required(created, "no created")?;
    let (choices, carries_nothing) = required(choices, "no choices")?;
    let usage = match usage_at {
        None => UsageMember::Absent,
        Some((Kind::Null, start, end)) => UsageMember::Null { cut: member_cut(json.as_bytes(), start, end) },
        Some(_) if choices == 0 => UsageMember::Object,
        Some(_) => return Err(Refused { reason: "usage beside choices (the typed path moves it)", at: 0 }),
    };
    Ok(Facts {
        id: required(id, "no id")?,
        created,
        created_at,
        model: required(model, "no model")?,
        usage,
        choices,
        carries_nothing,
    })
}

/// A string without escapes (an id or a model name); its span inside the quotes.
fn plain_string(scanner: &mut Scanner<'_>) -> Scan<Range<usize>> {
    match scanner.string()? {
        (span, false) => Ok(span),
        (_, true) => Err(Refused { reason: "an escaped id or model", at: scanner.position() }),
    }
}

/// The span that removes the member from `start` (its key's quote) to `end` and one comma beside it.
fn member_cut(json: &[u8], start: usize, end: usize) -> Range<usize> {
    if start > 0 && json[start - 1] == b',' {
        start - 1..end
    } else if json.get(end) == Some(&b',') {
        start..end + 1
    } else {
        start..end
    }
}

/// The `choices` array: how many, and whether none carries anything.
fn choices_of(scanner: &mut Scanner<'_>) -> Scan<(usize, bool)> {
    let mut carry_nothing = true;
    let count = scanner.array(|s| {
        carry_nothing &= choice(s)?;
        Ok(())
    })?;
    Ok((count, carry_nothing))
}

/// One choice: `index`, `delta`, and `finish_reason` and `logprobs` present (the typed path always writes them).
/// Whether it carries nothing.
fn choice(scanner: &mut Scanner<'_>) -> Scan<bool> {
    let (mut index, mut delta_empty, mut finish_null, mut logprobs_null) = (None, None, None, None);
    scanner.object(|s, Member { key, .. }| match key {
        b"index" => once(&mut index, small_unsigned(s)?, s),
        b"delta" => once(&mut delta_empty, delta(s)?, s),
        b"finish_reason" => once(&mut finish_null, text_or_null(s)?, s),
        b"logprobs" => once(&mut logprobs_null, s.value()? == Kind::Null, s),
        _ => s.value().map(drop),
    })?;
    required(index, "a choice without index")?;
    let delta_empty = required(delta_empty, "a choice without delta")?;
    let finish_null = required(finish_null, "a choice without finish_reason")?;
    let logprobs_null = required(logprobs_null, "a choice without logprobs")?;
    Ok(delta_empty && finish_null && logprobs_null)
}

/// A delta: `role`, `content`, `reasoning_content` as strings (the typed path drops `null`), `tool_calls`, any
/// other key (kept by the typed path too). Whether it is empty.
fn delta(scanner: &mut Scanner<'_>) -> Scan<bool> {
    let (mut role, mut content, mut reasoning, mut tool_calls, mut other) = (None, None, None, None, false);
    scanner.object(|s, Member { key, .. }| match key {
        b"role" => once(&mut role, text(s)?, s),
        b"content" => once(&mut content, text(s)?, s),
        b"reasoning_content" => once(&mut reasoning, text(s)?, s),
        b"tool_calls" => once(&mut tool_calls, s.array(tool_call_delta)?, s),
        _ => {
            other = true;
            s.value().map(drop)
        }
    })?;
    Ok(role.is_none() && content.is_none() && reasoning.is_none() && tool_calls.is_none() && !other)
}

/// A tool-call fragment with only the keys the typed `ToolCallDelta` writes.
fn tool_call_delta(scanner: &mut Scanner<'_>) -> Scan<()> {
    let (mut index, mut id, mut kind, mut function_seen) = (None, None, None, None);
    scanner.object(|s, Member { key, .. }| match key {
        b"index" => once(&mut index, small_unsigned(s)?, s),
        b"id" => once(&mut id, text(s)?, s),
        b"type" => once(&mut kind, text(s)?, s),
        b"function" => once(&mut function_seen, super::function(s, false)?, s),
        _ => Err(Refused { reason: "a tool-call key the typed struct drops", at: s.position() }),
    })?;
    required(index, "a tool call without index")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_member_cut_takes_one_comma() {
        let json = br#"{"a":1,"usage":null,"b":2}"#;
        let start = 7;
        assert_eq!(member_cut(json, start, start + 12), 6..19);
        let first = br#"{"usage":null,"b":2}"#;
        assert_eq!(member_cut(first, 1, 13), 1..14);
        let alone = br#"{"usage":null}"#;
        assert_eq!(member_cut(alone, 1, 13), 1..13);
    }

    #[test]
    fn facts_of_a_chunk() {
        let json = r#"{"id":"c","object":"o","created":5,"model":"m","choices":[],"usage":null}"#;
        let facts = facts(json).unwrap_or_else(|r| panic!("{}", r.reason));
        assert_eq!((&json[facts.id.clone()], facts.created, &json[facts.created_at.clone()]), ("c", 5, "5"));
        let usage = json.find(r#","usage""#).unwrap_or(0);
        assert_eq!(facts.usage, UsageMember::Null { cut: usage..json.len() - 1 });
        assert!(facts.carries_nothing && facts.choices == 0);
    }
}
