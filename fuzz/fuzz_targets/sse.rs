//! The SSE parser over arbitrary bytes in arbitrary splits, and the Claude/Titan stream decoders over every event.
#![no_main]

use libfuzzer_sys::fuzz_target;
use obs_adapters::sse::SseParser;
use obs_convert::bedrock::ResponseMeta;
use obs_convert::bedrock::claude_stream::ClaudeStreamDecoder;
use obs_convert::bedrock::titan::TitanStreamDecoder;

fuzz_target!(|data: &[u8]| {
    let (split, bytes) = match data.split_first() {
        Some((first, rest)) => (usize::from(*first).max(1), rest),
        None => return,
    };
    let mut parser = SseParser::new(4096);
    let mut events = Vec::new();
    for piece in bytes.chunks(split) {
        if parser.push(piece, &mut events).is_err() {
            break;
        }
    }
    let meta = ResponseMeta { id: "chatcmpl-fuzz".into(), created: 0, model: "m".into() };
    let mut claude = ClaudeStreamDecoder::new(meta.clone());
    let mut titan = TitanStreamDecoder::new(meta);
    let mut chunks = Vec::new();
    for event in &events {
        let _ = claude.decode(event.data.as_bytes(), &mut chunks);
        let _ = titan.decode(event.data.as_bytes(), &mut chunks);
    }
    claude.end(&mut chunks);
});
