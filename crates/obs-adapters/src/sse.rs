//! An incremental Server-Sent Events parser: bytes in any split, events out. Handles several events in one read,
//! one event over many reads, `\n`, `\r\n` and `\r` line ends, comments, `event:` lines and multi-line `data:`, and
//! caps the size of one event so a peer that never ends an event cannot grow memory without bound.

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` name, when there was one.
    pub event: Option<String>,
    /// The `data:` lines joined with `\n`.
    pub data: String,
}

/// An event exceeded the size cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an upstream stream event exceeded {limit} bytes")]
pub struct EventTooLarge {
    /// The cap in bytes.
    pub limit: usize,
}

/// The parser state.
#[derive(Debug)]
pub struct SseParser {
    line: Vec<u8>,
    data: Vec<u8>,
    has_data: bool,
    event: Option<String>,
    /// A `\r` ended the previous read: a `\n` starting the next one belongs to it.
    pending_cr: bool,
    limit: usize,
}

/// 1 MiB, docs/reference/formats.md §7.2's default cap on one event.
pub const DEFAULT_EVENT_LIMIT: usize = 1024 * 1024;

impl Default for SseParser {
    fn default() -> Self {
        Self::new(DEFAULT_EVENT_LIMIT)
    }
}

impl SseParser {
    /// A parser capping one event at `limit` bytes.
    pub fn new(limit: usize) -> Self {
        SseParser { line: Vec::new(), data: Vec::new(), has_data: false, event: None, pending_cr: false, limit }
    }

    /// Feeds bytes, appending every completed event to `out`.
    pub fn push(&mut self, mut bytes: &[u8], out: &mut Vec<SseEvent>) -> Result<(), EventTooLarge> {
        if self.pending_cr {
            self.pending_cr = false;
            if let Some(rest) = bytes.strip_prefix(b"\n") {
                bytes = rest;
            }
        }
        // memchr2 scans a word at a time: a stream's bytes are scanned once, and this scan is most of the parser.
        while let Some(end) = memchr::memchr2(b'\n', b'\r', bytes) {
            let (line, crlf) = (&bytes[..end], bytes[end] == b'\r');
            bytes = &bytes[end + 1..];
            if crlf {
                match bytes.first() {
                    Some(b'\n') => bytes = &bytes[1..],
                    None => self.pending_cr = true,
                    Some(_) => {}
                }
            }
            if self.line.is_empty() {
                // The whole line is in this read: no copy.
                self.check_size(line.len())?;
                self.process_line(line, out);
            } else {
                self.line.extend_from_slice(line);
                self.check_size(0)?;
                // Taken and given back so the buffer's capacity is reused by the next split line.
                let mut joined = std::mem::take(&mut self.line);
                self.process_line(&joined, out);
                joined.clear();
                self.line = joined;
            }
        }
        self.line.extend_from_slice(bytes);
        self.check_size(0)
    }

    /// The event so far — the current line, `extra` bytes not yet appended to it, and the data — fits the cap.
    fn check_size(&self, extra: usize) -> Result<(), EventTooLarge> {
        if self.line.len() + extra + self.data.len() > self.limit {
            Err(EventTooLarge { limit: self.limit })
        } else {
            Ok(())
        }
    }

    fn process_line(&mut self, line: &[u8], out: &mut Vec<SseEvent>) {
        if line.is_empty() {
            if self.has_data {
                // Valid UTF-8 (the norm) moves into the event without a copy; anything else is repaired.
                let data = match String::from_utf8(std::mem::take(&mut self.data)) {
                    Ok(text) => text,
                    Err(invalid) => String::from_utf8_lossy(invalid.as_bytes()).into_owned(),
                };
                out.push(SseEvent { event: self.event.take(), data });
            }
            self.data.clear();
            self.has_data = false;
            self.event = None;
            return;
        }
        if line[0] == b':' {
            return;
        }
        let (field, value) = match memchr::memchr(b':', line) {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &b""[..]),
        };
        match field {
            b"data" => {
                if self.has_data {
                    self.data.push(b'\n');
                }
                self.data.extend_from_slice(value);
                self.has_data = true;
            }
            b"event" => self.event = Some(String::from_utf8_lossy(value).into_owned()),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut parser = SseParser::default();
        let mut out = Vec::new();
        for chunk in chunks {
            parser.push(chunk, &mut out).unwrap();
        }
        out
    }

    fn data(d: &str) -> SseEvent {
        SseEvent { event: None, data: d.to_owned() }
    }

    #[test]
    fn splits_merges_and_line_endings() {
        assert_eq!(parse_all(&[b"data: a\n\ndata: b\n\n"]), vec![data("a"), data("b")]);
        assert_eq!(parse_all(&[b"da", b"ta: a", b"\n", b"\n"]), vec![data("a")]);
        assert_eq!(parse_all(&[b"data: a\r\n\r\ndata: b\r\r"]), vec![data("a"), data("b")]);
        assert_eq!(parse_all(&[b"data: a\r", b"\n\r", b"\n"]), vec![data("a")]);
        assert_eq!(parse_all(&[b": keep-alive\n\ndata: x\ndata: y\n\n"]), vec![data("x\ny")]);
        assert_eq!(
            parse_all(&[b"event: message\ndata:{\"k\":1}\n\n"]),
            vec![SseEvent { event: Some("message".into()), data: "{\"k\":1}".into() }]
        );
        assert_eq!(parse_all(&[b"data: incomplete"]), vec![]);
    }

    #[test]
    fn oversized_events_are_refused() {
        let mut parser = SseParser::new(16);
        let mut out = Vec::new();
        assert!(parser.push(b"data: 0123456789", &mut out).is_ok());
        assert_eq!(parser.push(b"0123456789", &mut out), Err(EventTooLarge { limit: 16 }));
    }
}
