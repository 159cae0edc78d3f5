//! An OpenAI-compatible upstream's own JSON, forwarded as it came when obs would not change it.
//!
//! When the client speaks OpenAI and the provider is OpenAI-compatible, parsing each answer and stream chunk into
//! the typed structs and serialising it again costs most of obs's work on that path, and changes nothing a client
//! can see but the order of keys. [`VerbatimCompletion::check`] and [`VerbatimChunk::check`] read a document once,
//! without building it, and accept it only when the typed path would write the same JSON value back: every
//! key the typed structs require present with the right type, no `null` that the typed structs drop, no key they
//! do not carry, and compact text (no whitespace outside strings). Anything else is handed back for the typed
//! path, which is still the reference: a check that accepts must mean the typed parse accepts, and forwarding must
//! give the value the typed path gives (tested).
//!
//! A chunk also reports what the OpenAI stream encoder needs to edit it without parsing it again: where its `id`,
//! `created` and `usage` are, and whether it carries anything.

mod chunk;
mod completion;
mod shape;

use std::ops::Range;

pub use chunk::{UsageMember, VerbatimChunk};
pub use completion::VerbatimCompletion;

/// A document the checks handed back: the typed path takes it from here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotVerbatim {
    /// The document, unchanged.
    pub json: String,
    /// Why it cannot be forwarded as it is (for tests and debugging; not shown to clients).
    pub reason: String,
}

/// Whether `json` has no whitespace outside its strings: the contract's events are compact JSON, and so is what
/// the typed path writes. Inside strings only `"` and `\` matter, so the scan jumps between them.
pub(crate) fn is_compact(json: &str) -> bool {
    let bytes = json.as_bytes();
    let mut at = 0;
    loop {
        let Some(offset) = bytes[at..].iter().position(|&b| matches!(b, b'"' | b' ' | b'\t' | b'\n' | b'\r')) else {
            return true;
        };
        at += offset;
        if bytes[at] != b'"' {
            return false;
        }
        at += 1;
        // Inside a string: to its closing quote, stepping over escapes.
        loop {
            let Some(offset) = memchr::memchr2(b'"', b'\\', &bytes[at..]) else {
                return false;
            };
            at += offset;
            if bytes[at] == b'\\' {
                at += 2;
                if at > bytes.len() {
                    return false;
                }
            } else {
                at += 1;
                break;
            }
        }
    }
}

/// Where `part` (a slice borrowed from `whole`) lies in `whole`, if it does.
fn span_in(whole: &str, part: &str) -> Option<Range<usize>> {
    let start = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    let end = start.checked_add(part.len())?;
    (end <= whole.len()).then_some(start..end)
}

/// The inside of a JSON string literal without escapes (`"abc"` → the span of `abc`); `None` for anything else.
fn plain_string(whole: &str, raw: &str) -> Option<Range<usize>> {
    let span = span_in(whole, raw)?;
    let inner = raw.strip_prefix('"')?.strip_suffix('"')?;
    (!inner.contains('\\')).then(|| span.start + 1..span.end - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_means_no_whitespace_outside_strings() {
        assert!(is_compact(r#"{"a":"x y\tz","b":[1,2],"c":{"d":null}}"#));
        assert!(is_compact(r#"{"a":"quote \" and backslash \\ then space "}"#));
        assert!(is_compact(""));
        assert!(!is_compact(r#"{"a": 1}"#));
        assert!(!is_compact(r#"{"a":1, "b":2}"#));
        assert!(!is_compact("{\"a\":1}\n"));
        assert!(!is_compact(r#"{"a":"unterminated"#));
        assert!(!is_compact(r#"{"a":"ends in an escape\"#));
    }

    #[test]
    fn plain_strings_only() {
        let json = String::from(r#"{"id":"abc","e":"a\"b","n":12}"#);
        let json = json.as_str();
        let at = |needle: &str| &json[json.find(needle).unwrap_or(0)..][..needle.len()];
        assert_eq!(plain_string(json, at(r#""abc""#)).map(|r| &json[r]), Some("abc"));
        assert_eq!(plain_string(json, at(r#""a\"b""#)), None);
        assert_eq!(plain_string(json, at("12")), None);
        let elsewhere = String::from("elsewhere");
        assert_eq!(span_in(json, &elsewhere), None);
    }
}
