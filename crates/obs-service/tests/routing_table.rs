//! Every model-id form of docs/reference/formats.md §6 and orig §3 (where obs departs from the original, as that reference says), routed by the pure
//! function.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use obs_adapters::bedrock::ClaudeApi;
use obs_adapters::bedrock::catalog::BedrockFamily::{ClaudeConverse, ClaudeInvoke, Converse, TitanInvoke};
use obs_adapters::bedrock::catalog::{self, BedrockFamily};
use obs_models::error::ErrorCode;
use obs_service::RequestContext;
use obs_service::config::Config;
use obs_service::routing::{RouteRule, RoutingTable};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Provider {
    OpenAi,
    Bedrock,
}

struct Router {
    table: RoutingTable,
    claude_api: ClaudeApi,
}

#[derive(Debug)]
struct Route {
    provider: Provider,
    upstream_model: String,
    /// The Bedrock API family, as the Bedrock adapter decides it (`Converse` for OpenAI routes, where it is unused).
    family: BedrockFamily,
    rule: RouteRule,
}

impl Router {
    fn route(&self, model: &str) -> Result<Route, obs_models::Error> {
        let plan = self.table.plan(model, || None, &RequestContext::default())?;
        let (provider, upstream) = plan.targets().next().unwrap();
        let provider = match provider {
            "openai" => Provider::OpenAi,
            "bedrock" => Provider::Bedrock,
            other => panic!("unexpected provider {other}"),
        };
        let family = match provider {
            Provider::Bedrock => catalog::family(upstream, self.claude_api)?,
            Provider::OpenAi => Converse,
        };
        Ok(Route { provider, upstream_model: upstream.to_owned(), family, rule: plan.rule() })
    }
}

fn router(default: Option<Provider>, claude_api: ClaudeApi) -> Router {
    let default = match default {
        None => String::new(),
        Some(Provider::OpenAi) => "default_provider = \"openai\"".to_owned(),
        Some(Provider::Bedrock) => "default_provider = \"bedrock\"".to_owned(),
    };
    let claude_api = match claude_api {
        ClaudeApi::Invoke => ("invoke", ClaudeApi::Invoke),
        ClaudeApi::Converse => ("converse", ClaudeApi::Converse),
    };
    let config = Config::from_toml(&format!(
        r#"
[routing]
{default}
[bedrock]
claude_api = "{}"
[aliases]
"claude-3-haiku" = "bedrock:anthropic.claude-3-haiku-20240307-v1:0"
"fast" = "openai:gpt-4o-mini"
"gpt-4o" = "bedrock:us.amazon.nova-pro-v1:0"
"#,
        claude_api.0
    ))
    .unwrap();
    Router { table: RoutingTable::build(&config).unwrap(), claude_api: claude_api.1 }
}

#[test]
fn every_id_form() {
    use Provider::{Bedrock, OpenAi};
    let table: &[(&str, Provider, &str, BedrockFamily, RouteRule)] = &[
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
            RouteRule::Bedrock,
        ),
        (
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20241022-v2:0",
            Bedrock,
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20241022-v2:0",
            ClaudeInvoke,
            RouteRule::Bedrock,
        ),
        (
            "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1",
            Bedrock,
            "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1",
            TitanInvoke,
            RouteRule::Bedrock,
        ),
        (
            "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3",
            Bedrock,
            "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3",
            Converse,
            RouteRule::Bedrock,
        ),
        (
            "arn:aws-us-gov:bedrock:us-gov-west-1::foundation-model/meta.llama3-8b-instruct-v1:0",
            Bedrock,
            "arn:aws-us-gov:bedrock:us-gov-west-1::foundation-model/meta.llama3-8b-instruct-v1:0",
            Converse,
            RouteRule::Bedrock,
        ),
        // 3. Bedrock ids, with every geo prefix
        (
            "anthropic.claude-3-haiku-20240307-v1:0",
            Bedrock,
            "anthropic.claude-3-haiku-20240307-v1:0",
            ClaudeInvoke,
            RouteRule::Bedrock,
        ),
        (
            "us.anthropic.claude-3-5-haiku-20241022-v1:0",
            Bedrock,
            "us.anthropic.claude-3-5-haiku-20241022-v1:0",
            ClaudeInvoke,
            RouteRule::Bedrock,
        ),
        (
            "eu.anthropic.claude-3-7-sonnet-20250219-v1:0",
            Bedrock,
            "eu.anthropic.claude-3-7-sonnet-20250219-v1:0",
            ClaudeInvoke,
            RouteRule::Bedrock,
        ),
        (
            "apac.anthropic.claude-sonnet-4-20250514-v1:0",
            Bedrock,
            "apac.anthropic.claude-sonnet-4-20250514-v1:0",
            ClaudeInvoke,
            RouteRule::Bedrock,
        ),
        (
            "us-gov.anthropic.claude-3-haiku-20240307-v1:0",
            Bedrock,
            "us-gov.anthropic.claude-3-haiku-20240307-v1:0",
            ClaudeInvoke,
            RouteRule::Bedrock,
        ),
        ("ca.anthropic.x", Bedrock, "ca.anthropic.x", Converse, RouteRule::Bedrock),
        (
            "jp.anthropic.claude-sonnet-4-5-20250929-v1:0",
            Bedrock,
            "jp.anthropic.claude-sonnet-4-5-20250929-v1:0",
            ClaudeInvoke,
            RouteRule::Bedrock,
        ),
        (
            "au.anthropic.claude-sonnet-4-5-20250929-v1:0",
            Bedrock,
            "au.anthropic.claude-sonnet-4-5-20250929-v1:0",
            ClaudeInvoke,
            RouteRule::Bedrock,
        ),
        (
            "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
            Bedrock,
            "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
            ClaudeInvoke,
            RouteRule::Bedrock,
        ),
        ("amazon.titan-text-express-v1", Bedrock, "amazon.titan-text-express-v1", TitanInvoke, RouteRule::Bedrock),
        ("amazon.titan-text-premier-v1:0", Bedrock, "amazon.titan-text-premier-v1:0", TitanInvoke, RouteRule::Bedrock),
        ("amazon.titan-tg1-large", Bedrock, "amazon.titan-tg1-large", TitanInvoke, RouteRule::Bedrock),
        ("amazon.nova-pro-v1:0", Bedrock, "amazon.nova-pro-v1:0", Converse, RouteRule::Bedrock),
        ("us.amazon.nova-lite-v1:0", Bedrock, "us.amazon.nova-lite-v1:0", Converse, RouteRule::Bedrock),
        ("meta.llama3-70b-instruct-v1:0", Bedrock, "meta.llama3-70b-instruct-v1:0", Converse, RouteRule::Bedrock),
        (
            "us.meta.llama3-2-90b-instruct-v1:0",
            Bedrock,
            "us.meta.llama3-2-90b-instruct-v1:0",
            Converse,
            RouteRule::Bedrock,
        ),
        ("mistral.mistral-large-2402-v1:0", Bedrock, "mistral.mistral-large-2402-v1:0", Converse, RouteRule::Bedrock),
        (
            "us.mistral.pixtral-large-2502-v1:0",
            Bedrock,
            "us.mistral.pixtral-large-2502-v1:0",
            Converse,
            RouteRule::Bedrock,
        ),
        ("cohere.command-r-plus-v1:0", Bedrock, "cohere.command-r-plus-v1:0", Converse, RouteRule::Bedrock),
        ("ai21.jamba-1-5-large-v1:0", Bedrock, "ai21.jamba-1-5-large-v1:0", Converse, RouteRule::Bedrock),
        ("deepseek.r1-v1:0", Bedrock, "deepseek.r1-v1:0", Converse, RouteRule::Bedrock),
        ("us.deepseek.r1-v1:0", Bedrock, "us.deepseek.r1-v1:0", Converse, RouteRule::Bedrock),
        ("writer.palmyra-x5-v1:0", Bedrock, "writer.palmyra-x5-v1:0", Converse, RouteRule::Bedrock),
        ("qwen.qwen3-32b-v1:0", Bedrock, "qwen.qwen3-32b-v1:0", Converse, RouteRule::Bedrock),
        // gpt-oss on Bedrock: an `openai.` vendor prefix goes to Bedrock, not OpenAI.
        ("openai.gpt-oss-120b-1:0", Bedrock, "openai.gpt-oss-120b-1:0", Converse, RouteRule::Bedrock),
        ("twelvelabs.pegasus-1-2-v1:0", Bedrock, "twelvelabs.pegasus-1-2-v1:0", Converse, RouteRule::Bedrock),
        ("moonshot.kimi-k2-thinking", Bedrock, "moonshot.kimi-k2-thinking", Converse, RouteRule::Bedrock),
        ("google.gemma-3-27b-it", Bedrock, "google.gemma-3-27b-it", Converse, RouteRule::Bedrock),
        ("minimax.minimax-m2", Bedrock, "minimax.minimax-m2", Converse, RouteRule::Bedrock),
        // 4. OpenAI prefixes
        ("gpt-4o-mini", OpenAi, "gpt-4o-mini", Converse, RouteRule::OpenAi),
        ("o1-mini", OpenAi, "o1-mini", Converse, RouteRule::OpenAi),
        ("o3-mini", OpenAi, "o3-mini", Converse, RouteRule::OpenAi),
        ("o4-mini", OpenAi, "o4-mini", Converse, RouteRule::OpenAi),
        ("chatgpt-4o-latest", OpenAi, "chatgpt-4o-latest", Converse, RouteRule::OpenAi),
        ("text-davinci-003", OpenAi, "text-davinci-003", Converse, RouteRule::OpenAi),
        ("ft:gpt-4o-mini:org::abc", OpenAi, "ft:gpt-4o-mini:org::abc", Converse, RouteRule::OpenAi),
        ("dall-e-3", OpenAi, "dall-e-3", Converse, RouteRule::OpenAi),
        ("codex-mini-latest", OpenAi, "codex-mini-latest", Converse, RouteRule::OpenAi),
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
