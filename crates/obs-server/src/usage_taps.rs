//! Reading an answer's tokens where obs relays the upstream's own bytes (docs/reference/keys.md §8): Bedrock runtime
//! answers (InvokeModel's token headers, event-stream frames), and a native Responses stream's SSE bytes. Used only
//! when usage records are kept.

use base64::Engine;
use obs_convert::token_counts::TokenCounts;

/// InvokeModel's `x-amzn-bedrock-input-token-count` / `-output-token-count`, when the answer carries them.
pub(crate) fn from_invoke_headers(headers: &[(String, String)]) -> Option<TokenCounts> {
    let count = |name: &str| {
        headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).and_then(|(_, v)| v.trim().parse::<u64>().ok())
    };
    let input = count("x-amzn-bedrock-input-token-count");
    let output = count("x-amzn-bedrock-output-token-count");
    (input.is_some() || output.is_some()).then(|| TokenCounts {
        input: input.unwrap_or(0),
        output: output.unwrap_or(0),
        ..TokenCounts::default()
    })
}

/// The payload of one `application/vnd.amazon.eventstream` frame: after the 12-byte prelude and the headers,
/// before the 4-byte message CRC (the frame was checked when it was read).
fn payload(frame: &[u8]) -> Option<&[u8]> {
    let word = |at: usize| frame.get(at..at + 4).and_then(|b| <[u8; 4]>::try_from(b).ok()).map(u32::from_be_bytes);
    let total = usize::try_from(word(0)?).ok()?;
    let headers = usize::try_from(word(4)?).ok()?;
    frame.get(12 + headers..total.checked_sub(4)?)
}

/// Tokens in one relayed frame, by its `:event-type` header.
pub(crate) fn from_frame(frame: &[u8]) -> Option<TokenCounts> {
    from_runtime_frame(event_type(frame)?, frame)
}

/// The `:event-type` header's value: headers are (name length u8, name, type u8, value), a string (type 7) with a
/// u16 length; other value types are skipped by their fixed or prefixed length.
fn event_type(frame: &[u8]) -> Option<&str> {
    let headers_len = usize::try_from(u32::from_be_bytes(frame.get(4..8)?.try_into().ok()?)).ok()?;
    let mut headers = frame.get(12..12 + headers_len)?;
    while let Some((&name_len, rest)) = headers.split_first() {
        let name_len = usize::from(name_len);
        let name = rest.get(..name_len)?;
        let (&kind, rest) = rest.get(name_len..)?.split_first()?;
        let (value, rest) = match kind {
            0 | 1 => (&[][..], rest),
            2 => rest.split_at_checked(1)?,
            3 => rest.split_at_checked(2)?,
            4 => rest.split_at_checked(4)?,
            5 | 8 => rest.split_at_checked(8)?,
            9 => rest.split_at_checked(16)?,
            6 | 7 => {
                let len = usize::from(u16::from_be_bytes(rest.get(..2)?.try_into().ok()?));
                rest.get(2..)?.split_at_checked(len)?
            }
            _ => return None,
        };
        if name == b":event-type" && kind == 7 {
            return std::str::from_utf8(value).ok();
        }
        headers = rest;
    }
    None
}

/// Tokens in one relayed frame: ConverseStream's `metadata` event, or an InvokeModel stream `chunk` whose decoded
/// bytes are Claude's `message_start` / `message_delta` or carry `amazon-bedrock-invocationMetrics`.
pub(crate) fn from_runtime_frame(event_type: &str, frame: &[u8]) -> Option<TokenCounts> {
    match event_type {
        "metadata" => TokenCounts::from_answer(payload(frame)?),
        "chunk" => {
            #[derive(serde::Deserialize)]
            struct Chunk {
                bytes: String,
            }
            let chunk: Chunk = serde_json::from_slice(payload(frame)?).ok()?;
            let decoded = base64::engine::general_purpose::STANDARD.decode(chunk.bytes).ok()?;
            // Only the events that carry usage are parsed whole.
            let interesting = memchr::memmem::find(&decoded, b"usage").is_some()
                || memchr::memmem::find(&decoded, b"invocationMetrics").is_some();
            interesting.then(|| TokenCounts::from_answer(&decoded)).flatten()
        }
        _ => None,
    }
}

/// The largest SSE line kept while waiting for its end: a native Responses stream's `response.completed` holds the
/// whole response; beyond this its usage is not read (the record then has no tokens).
const LINE_LIMIT: usize = 8 * 1024 * 1024;

/// Reads a native Responses stream's bytes as they pass, for the usage of its `response.completed` (or
/// `.incomplete`) event, whatever the chunking.
#[derive(Default)]
pub(crate) struct ResponsesSseTap {
    line: Vec<u8>,
    overflow: bool,
}

impl ResponsesSseTap {
    /// Feeds the next bytes; tokens when a line completes one of the final events.
    pub(crate) fn feed(&mut self, mut bytes: &[u8]) -> Option<TokenCounts> {
        let mut found = None;
        while let Some(end) = memchr::memchr(b'\n', bytes) {
            let (head, rest) = bytes.split_at(end);
            if !self.overflow {
                self.line.extend_from_slice(head);
                found = self.line_done().or(found);
            }
            self.line.clear();
            self.overflow = false;
            bytes = &rest[1..];
        }
        if !self.overflow {
            self.line.extend_from_slice(bytes);
            if self.line.len() > LINE_LIMIT {
                self.line.clear();
                self.overflow = true;
            }
        }
        found
    }

    fn line_done(&self) -> Option<TokenCounts> {
        let data = self.line.strip_prefix(b"data:")?;
        let is_final = memchr::memmem::find(data, b"\"response.completed\"").is_some()
            || memchr::memmem::find(data, b"\"response.incomplete\"").is_some();
        is_final.then(|| TokenCounts::from_answer(data.trim_ascii())).flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invoke_headers_give_input_and_output() {
        let headers = vec![
            ("X-Amzn-Bedrock-Input-Token-Count".to_owned(), "12".to_owned()),
            ("x-amzn-bedrock-output-token-count".to_owned(), "3".to_owned()),
        ];
        assert_eq!(from_invoke_headers(&headers), Some(TokenCounts { input: 12, output: 3, ..TokenCounts::default() }));
        assert_eq!(from_invoke_headers(&[]), None);
    }

    #[test]
    fn a_responses_stream_s_usage_is_read_across_any_chunking() {
        let stream = concat!(
            "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"usage\":null}}\n\n",
            "event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"id\":\"r\",",
            "\"usage\":{\"input_tokens\":9,\"output_tokens\":4,\"input_tokens_details\":{\"cached_tokens\":2}}}}\n\n"
        )
        .as_bytes();
        let expected = Some(TokenCounts { input: 9, cache_read: 2, output: 4, ..TokenCounts::default() });
        for size in [1, 7, 64, stream.len()] {
            let mut tap = ResponsesSseTap::default();
            let found = stream.chunks(size).filter_map(|piece| tap.feed(piece)).last();
            assert_eq!(found, expected, "chunks of {size}");
        }
    }

    #[test]
    fn an_eventstream_frame_s_payload_is_found() {
        // prelude: total 12+2+5+4 = 23, headers 2, prelude CRC (unchecked here); headers; payload; message CRC.
        let mut frame = Vec::new();
        frame.extend_from_slice(&23u32.to_be_bytes());
        frame.extend_from_slice(&2u32.to_be_bytes());
        frame.extend_from_slice(&[0; 4]);
        frame.extend_from_slice(b"hh");
        frame.extend_from_slice(b"{\"a\"}");
        frame.extend_from_slice(&[0; 4]);
        assert_eq!(payload(&frame), Some(&b"{\"a\"}"[..]));
        assert_eq!(payload(&frame[..8]), None);
    }
}
