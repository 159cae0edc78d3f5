//! The SSE parser yields the same events however a real transcript is cut into reads (proptest).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use obs_adapters::sse::{SseEvent, SseParser};
use proptest::prelude::*;

fn transcript() -> Vec<u8> {
    std::fs::read(format!("{}/tests/fixtures/openai_tools2.sse", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn parse(chunks: &[&[u8]]) -> Vec<SseEvent> {
    let mut parser = SseParser::default();
    let mut out = Vec::new();
    for chunk in chunks {
        parser.push(chunk, &mut out).unwrap();
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_splits_give_the_same_events(cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..40), crlf in any::<bool>()) {
        let mut bytes = transcript();
        if crlf {
            bytes = String::from_utf8(bytes).unwrap().replace('\n', "\r\n").into_bytes();
        }
        let whole = parse(&[&bytes]);
        prop_assert_eq!(whole.len(), 12);
        prop_assert_eq!(whole.last().unwrap().data.as_str(), "[DONE]");
        let mut positions: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
        positions.sort_unstable();
        let mut pieces = Vec::new();
        let mut start = 0;
        for p in positions {
            pieces.push(&bytes[start..p]);
            start = p;
        }
        pieces.push(&bytes[start..]);
        prop_assert_eq!(parse(&pieces), whole);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512), limit in 1usize..256) {
        let mut parser = SseParser::new(limit);
        let mut out = Vec::new();
        let _ = parser.push(&bytes, &mut out);
    }
}
