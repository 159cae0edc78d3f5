//! Format detection + conversion: any bytes as a request body must give a request or a typed error, never a panic;
//! whatever ingress accepts, the Claude and Titan body builders handle.
#![no_main]

use std::collections::HashMap;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((_, request)) = obs_convert::ingress::parse_chat_request(data) {
        let _ = obs_convert::bedrock::claude_request::build(&request, 4096, &HashMap::new());
        let _ = obs_convert::bedrock::titan::build(&request, 512);
        let _ = serde_json::to_vec(&request);
    }
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = obs_convert::detect::detect(&value);
    }
});
