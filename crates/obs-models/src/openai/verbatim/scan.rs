//! A strict scanner over compact JSON: it validates as it walks and reports where things are, allocating nothing.
//!
//! It refuses more than JSON does, never less: whitespace between tokens (the documents it may accept are compact),
//! escaped object keys, `\u` escapes of surrogates, integers beyond 64 bits, floats near the limits of a double,
//! nesting deeper than [`MAX_DEPTH`]. A refusal only sends a document down the typed path, so every rule errs that
//! way; what it accepts is valid JSON that `serde_json::Value` holds. serde_json's own visitors, tried first, cost
//! as much as the typed parse they were to spare (≈ 11.7k instructions per 300-byte chunk under callgrind); this
//! walks each byte about once.

use std::ops::Range;

/// Deeper nesting is refused (serde_json's own limit is 128).
pub(super) const MAX_DEPTH: u32 = 64;

/// Why a document was refused, and where.
#[derive(Debug)]
pub(super) struct Refused {
    pub(super) reason: &'static str,
    pub(super) at: usize,
}

pub(super) type Scan<T> = Result<T, Refused>;

/// The kind of a scanned value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Null,
    Bool,
    Number,
    String,
    Array,
    Object,
}

pub(super) struct Scanner<'a> {
    bytes: &'a [u8],
    at: usize,
    depth: u32,
}

impl<'a> Scanner<'a> {
    /// A scanner over `json`; refuses it at once if it holds a control character anywhere (JSON forbids them in
    /// strings, and outside strings they could only be whitespace).
    pub(super) fn new(json: &'a str) -> Scan<Self> {
        let bytes = json.as_bytes();
        // A branch-free fold: vectorised, so this costs a fraction of an instruction per byte.
        if bytes.iter().fold(false, |control, &b| control | (b < 0x20)) {
            return Err(Refused { reason: "a control character or whitespace", at: 0 });
        }
        Ok(Scanner { bytes, at: 0, depth: 0 })
    }

    fn refuse<T>(&self, reason: &'static str) -> Scan<T> {
        Err(Refused { reason, at: self.at })
    }

    pub(super) fn position(&self) -> usize {
        self.at
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    /// The document ends here.
    pub(super) fn end(&self) -> Scan<()> {
        if self.at == self.bytes.len() { Ok(()) } else { self.refuse("text after the document") }
    }

    /// A string; the span inside its quotes and whether it holds escapes.
    pub(super) fn string(&mut self) -> Scan<(Range<usize>, bool)> {
        if !self.eat(b'"') {
            return self.refuse("not a string");
        }
        let start = self.at;
        let mut escaped = false;
        loop {
            let Some(offset) = memchr::memchr2(b'"', b'\\', &self.bytes[self.at..]) else {
                return self.refuse("an unterminated string");
            };
            self.at += offset;
            if self.bytes[self.at] == b'"' {
                self.at += 1;
                return Ok((start..self.at - 1, escaped));
            }
            escaped = true;
            self.escape()?;
        }
    }

    /// One escape, at its backslash.
    fn escape(&mut self) -> Scan<()> {
        match self.bytes.get(self.at + 1) {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                self.at += 2;
                Ok(())
            }
            Some(b'u') => {
                let hex =
                    self.bytes.get(self.at + 2..self.at + 6).ok_or(Refused { reason: "a short \\u", at: self.at })?;
                let mut unit = 0u32;
                for &digit in hex {
                    let value = char::from(digit).to_digit(16).ok_or(Refused { reason: "a bad \\u", at: self.at })?;
                    unit = unit * 16 + value;
                }
                // Surrogates must pair up; serde_json checks that, this refuses them all.
                if (0xD800..=0xDFFF).contains(&unit) {
                    return self.refuse("a surrogate escape");
                }
                self.at += 6;
                Ok(())
            }
            _ => self.refuse("a bad escape"),
        }
    }

    /// A number, with its span; `Some(n)` when it is a non-negative integer that fits in a `u64`.
    pub(super) fn number(&mut self) -> Scan<(Range<usize>, Option<u64>)> {
        let start = self.at;
        let negative = self.eat(b'-');
        // The integer part's magnitude, accumulated as it is read; `None` once it overflows a u64.
        let mut magnitude = Some(0u64);
        match self.peek() {
            Some(b'0') => self.at += 1,
            Some(b'1'..=b'9') => {
                while let Some(digit @ b'0'..=b'9') = self.peek() {
                    magnitude = magnitude.and_then(|m| m.checked_mul(10)?.checked_add(u64::from(digit - b'0')));
                    self.at += 1;
                }
            }
            _ => return self.refuse("not a number"),
        }
        let mut integer = true;
        if self.eat(b'.') {
            integer = false;
            if !self.peek().is_some_and(|b| b.is_ascii_digit()) {
                return self.refuse("a fraction without digits");
            }
            self.skip_digits();
        }
        if self.eat(b'e') || self.eat(b'E') {
            integer = false;
            if !self.eat(b'+') {
                self.eat(b'-');
            }
            if !self.peek().is_some_and(|b| b.is_ascii_digit()) {
                return self.refuse("an exponent without digits");
            }
            self.skip_digits();
        }
        let span = start..self.at;
        if integer {
            // Integers beyond 64 bits become floats in serde_json and fail typed integer fields: refused.
            return match (negative, magnitude) {
                (false, Some(value)) => Ok((span, Some(value))),
                (true, Some(value)) if value <= i64::MIN.unsigned_abs() => Ok((span, None)),
                _ => self.refuse("an integer beyond 64 bits"),
            };
        }
        let text =
            std::str::from_utf8(&self.bytes[span.clone()]).map_err(|_| Refused { reason: "not ASCII", at: start })?;
        // Far from the limits only: near them serde_json's float parser (not Rust's) decides overflow and
        // underflow, and the two need not agree.
        let mantissa_nonzero = text.bytes().take_while(|b| !matches!(b, b'e' | b'E')).any(|b| matches!(b, b'1'..=b'9'));
        let in_range = match text.parse::<f64>() {
            Ok(value) if mantissa_nonzero => (1e-300..=1e300).contains(&value.abs()),
            Ok(value) => value == 0.0,
            Err(_) => false,
        };
        if !in_range {
            return self.refuse("a number near the limits of a double");
        }
        Ok((span, None))
    }

    fn skip_digits(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.at += 1;
        }
    }

    /// A non-negative integer that fits in a `u64`, and its span.
    pub(super) fn unsigned(&mut self) -> Scan<(Range<usize>, u64)> {
        match self.number()? {
            (span, Some(value)) => Ok((span, value)),
            (_, None) => self.refuse("not an unsigned integer"),
        }
    }

    /// `null`, if that comes next (consumed).
    pub(super) fn null(&mut self) -> bool {
        if self.bytes[self.at..].starts_with(b"null") {
            self.at += 4;
            true
        } else {
            false
        }
    }

    /// Any value; its kind.
    pub(super) fn value(&mut self) -> Scan<Kind> {
        match self.peek() {
            Some(b'"') => self.string().map(|_| Kind::String),
            Some(b'{') => self.object(|scanner, _| scanner.value().map(drop)).map(|()| Kind::Object),
            Some(b'[') => self.array(|scanner| scanner.value().map(drop)).map(|_| Kind::Array),
            Some(b'-' | b'0'..=b'9') => self.number().map(|_| Kind::Number),
            _ if self.null() => Ok(Kind::Null),
            _ if self.bytes[self.at..].starts_with(b"true") => {
                self.at += 4;
                Ok(Kind::Bool)
            }
            _ if self.bytes[self.at..].starts_with(b"false") => {
                self.at += 5;
                Ok(Kind::Bool)
            }
            _ => self.refuse("not a JSON value"),
        }
    }

    /// An object: `member` is called at each value with the key (written plainly: escaped keys are refused) and
    /// must consume the value.
    pub(super) fn object(&mut self, mut member: impl FnMut(&mut Self, Member<'a>) -> Scan<()>) -> Scan<()> {
        let members = self.list(b'{', b'}', "not an object", |s| {
            let key_start = s.at;
            let (key, escaped) = s.string()?;
            if escaped {
                return s.refuse("an escaped key");
            }
            // serde_json gives keys like `$serde_json::private::RawValue` a meaning of their own when one of its
            // features is on anywhere in the build (raw_value, arbitrary_precision): the typed parse would then
            // read such an object differently. Found by the fuzzer while raw_value was on.
            if s.bytes.get(key.start) == Some(&b'$') && s.bytes[key.clone()].starts_with(b"$serde_json") {
                return s.refuse("a key serde_json reserves");
            }
            if !s.eat(b':') {
                return s.refuse("no colon after a key");
            }
            let bytes: &'a [u8] = s.bytes;
            member(s, Member { key: &bytes[key], start: key_start })
        });
        members.map(drop)
    }

    /// An array: `element` is called at each element and must consume it; the number of elements.
    pub(super) fn array(&mut self, element: impl FnMut(&mut Self) -> Scan<()>) -> Scan<usize> {
        self.list(b'[', b']', "not an array", element)
    }

    /// `open`, items separated by commas, `close` — an object's members or an array's elements; `item` reads one
    /// item. The number of items.
    fn list(
        &mut self,
        open: u8,
        close: u8,
        not_this: &'static str,
        mut item: impl FnMut(&mut Self) -> Scan<()>,
    ) -> Scan<usize> {
        if !self.eat(open) {
            return self.refuse(not_this);
        }
        self.enter()?;
        let mut count = 0;
        if !self.eat(close) {
            loop {
                item(self)?;
                count += 1;
                if self.eat(b',') {
                    continue;
                }
                if self.eat(close) {
                    break;
                }
                return self.refuse("no comma or closing bracket after an item");
            }
        }
        self.depth -= 1;
        Ok(count)
    }

    fn enter(&mut self) -> Scan<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH { self.refuse("nested too deep") } else { Ok(()) }
    }
}

/// A member's key and where the member starts (its key's opening quote).
pub(super) struct Member<'a> {
    pub(super) key: &'a [u8],
    pub(super) start: usize,
}

/// Stores a field's value, refusing a second occurrence of its key (the typed structs refuse it too).
pub(super) fn once<T>(slot: &mut Option<T>, value: T, scanner: &Scanner<'_>) -> Scan<()> {
    if slot.is_some() {
        return Err(Refused { reason: "a repeated key", at: scanner.position() });
    }
    *slot = Some(value);
    Ok(())
}

/// A required field.
pub(super) fn required<T>(slot: Option<T>, reason: &'static str) -> Scan<T> {
    slot.ok_or(Refused { reason, at: 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn any(json: &str) -> Scan<Kind> {
        let mut scanner = Scanner::new(json)?;
        let kind = scanner.value()?;
        scanner.end()?;
        Ok(kind)
    }

    #[test]
    fn accepts_compact_json_values() {
        for (json, kind) in [
            ("null", Kind::Null),
            ("true", Kind::Bool),
            ("false", Kind::Bool),
            ("0", Kind::Number),
            ("-12.5e+3", Kind::Number),
            ("-9223372036854775808", Kind::Number),
            ("18446744073709551615", Kind::Number),
            ("1E-300", Kind::Number),
            ("0.0e999", Kind::Number),
            (r#""a\"b\\c\/\b\f\n\r\t\u00e9 é""#, Kind::String),
            (r#"{"a":[1,{"b":null}],"c":"d"}"#, Kind::Object),
            ("[]", Kind::Array),
            ("{}", Kind::Object),
        ] {
            assert_eq!(any(json).map_err(|r| r.reason), Ok(kind), "{json}");
        }
    }

    #[test]
    fn refuses_what_it_cannot_vouch_for() {
        let deep = format!("{}{}", "[".repeat(65), "]".repeat(65));
        for json in [
            "",
            "nul",
            "tru",
            "01",
            "-",
            "1.",
            "1e",
            "+1",
            ".5",
            "1e400",
            "18446744073709551616",
            "-9223372036854775809",
            "99999999999999999999",
            r#""\x""#,
            r#""\u12""#,
            r#""\ud800""#,
            r#""\udfff""#,
            "\"tab\tinside\"",
            r#""open"#,
            "[1 ,2]",
            "[1,]",
            r#"{"a" :1}"#,
            r#"{"a":1,}"#,
            r#"{"\u0061":1}"#,
            r#"{"$serde_json::private::RawValue":"1"}"#,
            "{1:2}",
            "[1]x",
            &deep,
            " 1",
            "1 ",
        ] {
            assert!(any(json).is_err(), "{json:?}");
        }
        assert!(any(&deep[1..deep.len() - 1]).is_ok(), "64 levels");
    }

    #[test]
    fn integers_and_spans() {
        let json = String::from("[7,18446744073709551615,-3,2.0]");
        let mut scanner = Scanner::new(&json).unwrap_or_else(|r| panic!("{}", r.reason));
        let mut seen = Vec::new();
        let count = scanner
            .array(|s| {
                let (span, value) = s.number()?;
                seen.push((&json[span], value));
                Ok(())
            })
            .unwrap_or_else(|r| panic!("{}", r.reason));
        assert_eq!(count, 4);
        assert_eq!(seen, [("7", Some(7)), ("18446744073709551615", Some(u64::MAX)), ("-3", None), ("2.0", None)]);
    }
}
