//! Every model-id form of contract §7 and orig §3 (with the contract's fixes), routed by the pure function.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;

use obs_adapters::BedrockFamily::{ClaudeConverse, ClaudeInvoke, Converse, TitanInvoke};
use obs_models::error::ErrorCode;
use obs_service::routing::{AliasTarget, ClaudeApi, Provider, RouteRule, Router};

fn router(default: Option<Provider>, claude_api: ClaudeApi) -> Router {
    let mut aliases = HashMap::new();
    aliases.insert(
        "claude-3-haiku".into(),
        AliasTarget { provider: Provider::Bedrock, model: "anthropic.claude-3-haiku-20240307-v1:0".into() },
    );
    aliases.insert("fast".into(), AliasTarget { provider: Provider::OpenAi, model: "gpt-4o-mini".into() });
    aliases
        .insert("gpt-4o".into(), AliasTarget { provider: Provider::Bedrock, model: "us.amazon.nova-pro-v1:0".into() });
    Router::new(aliases, default, claude_api)
}

#[test]
fn every_id_form() {
    use Provider::{Bedrock, OpenAi};
    let table: &[(&str, Provider, &str, obs_adapters::BedrockFamily, RouteRule)] = &[
        // 1. aliases, exact match, before any other rule (even one shadowing an OpenAI id)
        ("claude-3-haiku", Bedrock, "anthropic.claude-3-haiku-20240307-v1:0", ClaudeInvoke, RouteRule::Alias),
        ("fast", OpenAi, "gpt-4o-mini", Converse, RouteRule::Alias),
        ("gpt-4o", Bedrock, "us.amazon.nova-pro-v1:0", Converse, RouteRule::Alias),
        // 2. ARNs
        (
            "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
            Bedrock,
            "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
            ClaudeInvoke,
            RouteRule::Arn,
        ),
        (
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20241022-v2:0",
            Bedrock,
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20241022-v2:0",
            ClaudeInvoke,
            RouteRule::Arn,
        ),
        (
            "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1",
            Bedrock,
            "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1",
            TitanInvoke,
            RouteRule::Arn,
        ),
        (
            "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3",
            Bedrock,
            "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3",
            Converse,
            RouteRule::Arn,
        ),
        (
            "arn:aws-us-gov:bedrock:us-gov-west-1::foundation-model/meta.llama3-8b-instruct-v1:0",
            Bedrock,
            "arn:aws-us-gov:bedrock:us-gov-west-1::foundation-model/meta.llama3-8b-instruct-v1:0",
            Converse,
            RouteRule::Arn,
        ),
        // 3. Bedrock ids, with every geo prefix
        (
            "anthropic.claude-3-haiku-20240307-v1:0",
            Bedrock,
            "anthropic.claude-3-haiku-20240307-v1:0",
            ClaudeInvoke,
            RouteRule::BedrockId,
        ),
        (
            "us.anthropic.claude-3-5-haiku-20241022-v1:0",
            Bedrock,
            "us.anthropic.claude-3-5-haiku-20241022-v1:0",
            ClaudeInvoke,
            RouteRule::BedrockId,
        ),
        (
            "eu.anthropic.claude-3-7-sonnet-20250219-v1:0",
            Bedrock,
            "eu.anthropic.claude-3-7-sonnet-20250219-v1:0",
            ClaudeInvoke,
            RouteRule::BedrockId,
        ),
        (
            "apac.anthropic.claude-sonnet-4-20250514-v1:0",
            Bedrock,
            "apac.anthropic.claude-sonnet-4-20250514-v1:0",
            ClaudeInvoke,
            RouteRule::BedrockId,
        ),
        (
            "us-gov.anthropic.claude-3-haiku-20240307-v1:0",
            Bedrock,
            "us-gov.anthropic.claude-3-haiku-20240307-v1:0",
            ClaudeInvoke,
            RouteRule::BedrockId,
        ),
        ("ca.anthropic.x", Bedrock, "ca.anthropic.x", Converse, RouteRule::BedrockId),
        (
            "jp.anthropic.claude-sonnet-4-5-20250929-v1:0",
            Bedrock,
            "jp.anthropic.claude-sonnet-4-5-20250929-v1:0",
            ClaudeInvoke,
            RouteRule::BedrockId,
        ),
        (
            "au.anthropic.claude-sonnet-4-5-20250929-v1:0",
            Bedrock,
            "au.anthropic.claude-sonnet-4-5-20250929-v1:0",
            ClaudeInvoke,
            RouteRule::BedrockId,
        ),
        (
            "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
            Bedrock,
            "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
            ClaudeInvoke,
            RouteRule::BedrockId,
        ),
        ("amazon.titan-text-express-v1", Bedrock, "amazon.titan-text-express-v1", TitanInvoke, RouteRule::BedrockId),
        (
            "amazon.titan-text-premier-v1:0",
            Bedrock,
            "amazon.titan-text-premier-v1:0",
            TitanInvoke,
            RouteRule::BedrockId,
        ),
        ("amazon.titan-tg1-large", Bedrock, "amazon.titan-tg1-large", TitanInvoke, RouteRule::BedrockId),
        ("amazon.nova-pro-v1:0", Bedrock, "amazon.nova-pro-v1:0", Converse, RouteRule::BedrockId),
        ("us.amazon.nova-lite-v1:0", Bedrock, "us.amazon.nova-lite-v1:0", Converse, RouteRule::BedrockId),
        ("meta.llama3-70b-instruct-v1:0", Bedrock, "meta.llama3-70b-instruct-v1:0", Converse, RouteRule::BedrockId),
        (
            "us.meta.llama3-2-90b-instruct-v1:0",
            Bedrock,
            "us.meta.llama3-2-90b-instruct-v1:0",
            Converse,
            RouteRule::BedrockId,
        ),
        ("mistral.mistral-large-2402-v1:0", Bedrock, "mistral.mistral-large-2402-v1:0", Converse, RouteRule::BedrockId),
        (
            "us.mistral.pixtral-large-2502-v1:0",
            Bedrock,
            "us.mistral.pixtral-large-2502-v1:0",
            Converse,
            RouteRule::BedrockId,
        ),
        ("cohere.command-r-plus-v1:0", Bedrock, "cohere.command-r-plus-v1:0", Converse, RouteRule::BedrockId),
        ("ai21.jamba-1-5-large-v1:0", Bedrock, "ai21.jamba-1-5-large-v1:0", Converse, RouteRule::BedrockId),
        ("deepseek.r1-v1:0", Bedrock, "deepseek.r1-v1:0", Converse, RouteRule::BedrockId),
        ("us.deepseek.r1-v1:0", Bedrock, "us.deepseek.r1-v1:0", Converse, RouteRule::BedrockId),
        ("writer.palmyra-x5-v1:0", Bedrock, "writer.palmyra-x5-v1:0", Converse, RouteRule::BedrockId),
        ("qwen.qwen3-32b-v1:0", Bedrock, "qwen.qwen3-32b-v1:0", Converse, RouteRule::BedrockId),
        // gpt-oss on Bedrock: an `openai.` vendor prefix goes to Bedrock, not OpenAI.
        ("openai.gpt-oss-120b-1:0", Bedrock, "openai.gpt-oss-120b-1:0", Converse, RouteRule::BedrockId),
        ("twelvelabs.pegasus-1-2-v1:0", Bedrock, "twelvelabs.pegasus-1-2-v1:0", Converse, RouteRule::BedrockId),
        ("moonshot.kimi-k2-thinking", Bedrock, "moonshot.kimi-k2-thinking", Converse, RouteRule::BedrockId),
        ("google.gemma-3-27b-it", Bedrock, "google.gemma-3-27b-it", Converse, RouteRule::BedrockId),
        ("minimax.minimax-m2", Bedrock, "minimax.minimax-m2", Converse, RouteRule::BedrockId),
        // 4. OpenAI prefixes
        ("gpt-4o-mini", OpenAi, "gpt-4o-mini", Converse, RouteRule::OpenAiPrefix),
        ("o1-mini", OpenAi, "o1-mini", Converse, RouteRule::OpenAiPrefix),
        ("o3-mini", OpenAi, "o3-mini", Converse, RouteRule::OpenAiPrefix),
        ("o4-mini", OpenAi, "o4-mini", Converse, RouteRule::OpenAiPrefix),
        ("chatgpt-4o-latest", OpenAi, "chatgpt-4o-latest", Converse, RouteRule::OpenAiPrefix),
        ("text-davinci-003", OpenAi, "text-davinci-003", Converse, RouteRule::OpenAiPrefix),
        ("ft:gpt-4o-mini:org::abc", OpenAi, "ft:gpt-4o-mini:org::abc", Converse, RouteRule::OpenAiPrefix),
        ("dall-e-3", OpenAi, "dall-e-3", Converse, RouteRule::OpenAiPrefix),
        ("codex-mini-latest", OpenAi, "codex-mini-latest", Converse, RouteRule::OpenAiPrefix),
        // 5. everything else: the default provider (the original's substring rules are gone)
        ("test-model", OpenAi, "test-model", Converse, RouteRule::Default),
        ("my-bedrock-model", OpenAi, "my-bedrock-model", Converse, RouteRule::Default),
        ("llama3.1:8b", OpenAi, "llama3.1:8b", Converse, RouteRule::Default),
    ];
    let router = router(None, ClaudeApi::Invoke);
    for (id, provider, upstream, family, rule) in table {
        let route = router.route(id).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(
            (route.provider, route.upstream_model.as_str(), route.family, route.rule),
            (*provider, *upstream, *family, *rule),
            "{id}"
        );
    }
}

#[test]
fn non_chat_models_are_rejected_with_param_model() {
    let router = router(None, ClaudeApi::Invoke);
    for id in [
        "amazon.titan-embed-text-v2:0",
        "amazon.titan-embed-image-v1",
        "amazon.titan-image-generator-v2:0",
        "stability.sd3-5-large-v1:0",
        "us.stability.stable-image-ultra-v1:1",
        "amazon.nova-canvas-v1:0",
        "amazon.nova-reel-v1:1",
        "amazon.nova-sonic-v1:0",
        "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-embed-text-v1",
    ] {
        let error = router.route(id).unwrap_err();
        assert_eq!((error.code, error.param.as_deref()), (ErrorCode::InvalidValue, Some("model")), "{id}");
        assert!(error.message.contains("not a chat model"), "{id}");
    }
}

#[test]
fn default_provider_and_claude_api_switch() {
    let bedrock_default = router(Some(Provider::Bedrock), ClaudeApi::Converse);
    let route = bedrock_default.route("some-custom-model").unwrap();
    assert_eq!((route.provider, route.family, route.rule), (Provider::Bedrock, Converse, RouteRule::Default));
    let claude = bedrock_default.route("us.anthropic.claude-3-5-haiku-20241022-v1:0").unwrap();
    assert_eq!(claude.family, ClaudeConverse);
    assert_eq!(bedrock_default.route("amazon.titan-text-express-v1").unwrap().family, TitanInvoke);
}
