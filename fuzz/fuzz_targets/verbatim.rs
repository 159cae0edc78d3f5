//! The verbatim checks against their oracle, serde_json: whatever bytes a check accepts, the typed parse must
//! accept too and write back the same JSON value — the property that makes forwarding an upstream's JSON safe.
//! Any input the checks accept while the typed path disagrees is a crash.
#![no_main]

use libfuzzer_sys::fuzz_target;
use obs_models::openai::verbatim::{VerbatimChunk, VerbatimCompletion};
use obs_models::openai::{ChatCompletionChunk, ChatCompletionResponse};
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(chunk) = VerbatimChunk::check(text.to_owned()) {
        let typed: ChatCompletionChunk = serde_json::from_str(text).expect("accepted chunk: the typed parse accepts");
        let forwarded: Value = serde_json::from_str(chunk.as_str()).expect("accepted chunk: JSON");
        assert_eq!(forwarded, serde_json::to_value(&typed).expect("serialises"));
        // Every edit leaves valid JSON.
        let mut out = Vec::new();
        chunk.write_edited(&mut out, Some("chatcmpl-\"x\""), Some(1), Some(false));
        serde_json::from_slice::<Value>(&out).expect("edited chunk: JSON");
        out.clear();
        chunk.write_edited(&mut out, None, None, Some(true));
        serde_json::from_slice::<Value>(&out).expect("edited chunk: JSON");
    }
    if let Ok(completion) = VerbatimCompletion::check(text.to_owned()) {
        let typed: ChatCompletionResponse =
            serde_json::from_str(text).expect("accepted completion: the typed parse accepts");
        let forwarded: Value = serde_json::from_str(completion.as_str()).expect("accepted completion: JSON");
        assert_eq!(forwarded, serde_json::to_value(&typed).expect("serialises"));
    }
});
