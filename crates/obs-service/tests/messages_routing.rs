//! Routing of Messages requests (docs/reference/messages.md §3, §5): Anthropic's model names become the Bedrock id
//! of the built-in table for the `bedrock` provider's region group; groups, aliases, listed ids, provider-prefixed
//! and Bedrock ids route as on chat completions, and override the table.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use obs_models::anthropic::MessagesRequest;
use obs_service::config::Config;
use obs_service::routing::RouteRule;
use obs_service::{Gateway, RequestContext};

fn gateway(region: &str, extra: &str) -> Gateway {
    let config = Config::from_toml(&format!(
        "[bedrock]\nregion = \"{region}\"\n[providers.vllm]\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:9/v1\"\nmodels = [\"claude-3-haiku-20240307\"]\n{extra}"
    ))
    .unwrap();
    Gateway::new(config).unwrap()
}

async fn route(gateway: &Gateway, model: &str) -> (RouteRule, String) {
    let request =
        MessagesRequest { model: model.to_owned(), stream: false, betas: Vec::new(), body: Default::default() };
    let plan = gateway.plan_messages(&request, &RequestContext::default()).await.unwrap();
    let (provider, upstream) = plan.targets().next().unwrap();
    (plan.rule(), format!("{provider}/{upstream}"))
}

#[tokio::test]
async fn anthropic_names_take_the_profile_of_the_region_group() {
    let cases = [
        ("us-west-2", "claude-sonnet-4-5", "bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0"),
        ("eu-west-1", "claude-sonnet-4-5-20250929", "bedrock/eu.anthropic.claude-sonnet-4-5-20250929-v1:0"),
        ("ap-northeast-1", "claude-sonnet-4-5", "bedrock/jp.anthropic.claude-sonnet-4-5-20250929-v1:0"),
        ("ap-northeast-1", "claude-3-7-sonnet-20250219", "bedrock/apac.anthropic.claude-3-7-sonnet-20250219-v1:0"),
        ("ap-south-1", "claude-sonnet-4-5", "bedrock/global.anthropic.claude-sonnet-4-5-20250929-v1:0"),
        ("eu-central-1", "claude-3-5-haiku-20241022", "bedrock/anthropic.claude-3-5-haiku-20241022-v1:0"),
        ("us-east-1", "claude-opus-4-1", "bedrock/us.anthropic.claude-opus-4-1-20250805-v1:0"),
        ("us-east-1", "claude-haiku-4-5", "bedrock/us.anthropic.claude-haiku-4-5-20251001-v1:0"),
        ("us-east-1", "claude-sonnet-4-20250514", "bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0"),
        ("us-east-1", "claude-opus-4-20250514", "bedrock/us.anthropic.claude-opus-4-20250514-v1:0"),
        ("sa-east-1", "claude-3-haiku-20240307", "vllm/claude-3-haiku-20240307"),
    ];
    for (region, name, target) in cases {
        let gateway = gateway(region, "");
        let (rule, routed) = route(&gateway, name).await;
        assert_eq!(routed, target, "{region} {name}");
        if target.starts_with("bedrock/") {
            assert_eq!(rule, RouteRule::AnthropicName, "{name}");
        }
    }
}

#[tokio::test]
async fn groups_aliases_and_ids_route_as_on_chat_completions() {
    let gateway = gateway(
        "us-east-1",
        "[aliases]\nclaude-sonnet-4-5 = \"openai:gpt-4o\"\n[models.claude-haiku-4-5]\ntargets = [\"bedrock/eu.anthropic.claude-haiku-4-5-20251001-v1:0\"]\n",
    );
    for (model, rule, target) in [
        ("claude-sonnet-4-5", RouteRule::Alias, "openai/gpt-4o"),
        ("claude-haiku-4-5", RouteRule::Group, "bedrock/eu.anthropic.claude-haiku-4-5-20251001-v1:0"),
        ("vllm/claude-opus-4-1", RouteRule::Explicit, "vllm/claude-opus-4-1"),
        ("us.anthropic.claude-3-haiku-throttle", RouteRule::Bedrock, "bedrock/us.anthropic.claude-3-haiku-throttle"),
        ("gpt-4o", RouteRule::OpenAi, "openai/gpt-4o"),
        ("claude-unknown", RouteRule::Default, "openai/claude-unknown"),
    ] {
        assert_eq!(route(&gateway, model).await, (rule, target.to_owned()), "{model}");
    }
}
