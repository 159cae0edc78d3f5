//! `cache.auto` per model group, through the gateway to obs-mock: a group that turns it on marks its requests'
//! long system prompt for a provider that has it off, a group that turns it off leaves a provider's on unused, and
//! a group without the key follows its provider. Upstream bodies compared whole.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod mocks;

use mocks::{NO_RETRIES, bedrock, gateway, mock};
use obs_service::ChatService as _;
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

const SONNET: &str = "anthropic.claude-3-7-sonnet-20250219-v1:0";

/// A system prompt of about 1,250 estimated tokens: above Sonnet's minimum of 1,024.
fn system() -> String {
    "You answer questions about the policy. ".repeat(128)
}

fn body(marked: bool) -> Value {
    let system = if marked {
        json!([{"type":"text","text":system(),"cache_control":{"type":"ephemeral"}}])
    } else {
        json!(system())
    };
    json!({"anthropic_version":"bedrock-2023-05-31","max_tokens":4096,"system":system,
        "messages":[{"role":"user","content":"hello gateway"}]})
}

#[tokio::test]
async fn a_group_turns_cache_auto_on_or_off_over_its_provider() {
    let (off, on) = (mock().await, mock().await);
    let gateway = gateway(&format!(
        "{NO_RETRIES}{}{}\
         [models.cached]\ntargets = [\"off/{SONNET}\"]\ncache.auto = true\n\
         [models.uncached]\ntargets = [\"on/{SONNET}\"]\ncache = {{ auto = false }}\n\
         [models.follows]\ntargets = [\"on/{SONNET}\"]\n",
        bedrock("off", &off),
        // The provider `on` has cache.auto (before its `aws` table).
        bedrock("on", &on).replacen("[providers.on.aws]", "cache.auto = true\n[providers.on.aws]", 1),
    ));
    let ask = |model: &str| {
        serde_json::from_value(json!({"model": model, "messages": [{"role":"system","content":system()},
            {"role":"user","content":"hello gateway"}]}))
        .unwrap()
    };
    let direct = format!("off/{SONNET}");
    let cases =
        [("cached", &off, true), (direct.as_str(), &off, false), ("uncached", &on, false), ("follows", &on, true)];
    for (model, upstream, marked) in cases {
        gateway.chat_completion(ask(model)).await.unwrap_or_else(|e| panic!("{model}: {e}"));
        assert_eq!(upstream.recorder().last().unwrap().json(), body(marked), "{model}");
    }
}
