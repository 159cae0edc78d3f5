//! The Gateway against obs-mock: routing to both providers, isolation of misconfigured providers, retries, the
//! stream peek, flat memory across model ids, and model listing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::{config_from, env_for, request};
use futures::StreamExt;
use obs_mock::{MockConfig, spawn};
use obs_models::error::ErrorCode;
use obs_service::config::AliasConfig;
use obs_service::{ChatService, Gateway};
use pretty_assertions::assert_eq;

/// A typed answer (the gateway hands OpenAI upstreams' JSON on as it came).
async fn chat(
    gateway: &Gateway,
    request: obs_models::openai::ChatCompletionRequest,
) -> Result<obs_models::openai::ChatCompletionResponse, obs_models::Error> {
    gateway.chat_completion(request).await?.completion.into_typed()
}

/// Typed chunks.
async fn chat_stream(
    gateway: &Gateway,
    request: obs_models::openai::ChatCompletionRequest,
) -> Result<obs_service::ChunkStream, obs_models::Error> {
    gateway.chat_completion_stream(request).await.map(|answer| obs_service::typed_chunks(answer.stream))
}

#[tokio::test]
async fn routes_each_request_to_its_provider_and_api() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let mut config = config_from(env_for(&mock));
    config.aliases.insert("haiku".into(), AliasConfig::Short("bedrock:anthropic.claude-3-haiku-20240307-v1:0".into()));
    let gateway = Gateway::new(config).unwrap();
    for (model, path) in [
        ("gpt-4o", "/v1/chat/completions"),
        ("haiku", "/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke"),
        ("amazon.titan-text-express-v1", "/model/amazon.titan-text-express-v1/invoke"),
        ("us.amazon.nova-lite-v1:0", "/model/us.amazon.nova-lite-v1%3A0/converse"),
        ("openai.gpt-oss-120b-1:0", "/model/openai.gpt-oss-120b-1%3A0/converse"),
    ] {
        let answer = chat(&gateway, request(model, false)).await.unwrap();
        assert_eq!(answer.choices[0].message.content.as_deref(), Some("You said: hello gateway"), "{model}");
        assert_eq!(mock.recorder().last().unwrap().path, path, "{model}");
        if model != "gpt-4o" {
            assert_eq!(answer.model, model, "Bedrock answers carry the id the client sent");
        }
    }
    assert_eq!(gateway.built_adapters(), 2);
}

#[tokio::test]
async fn a_provider_without_configuration_fails_only_its_own_requests() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let without_openai: Vec<_> = env_for(&mock).into_iter().filter(|(k, _)| !k.starts_with("OPENAI")).collect();
    let gateway = Gateway::new(config_from(without_openai)).unwrap();
    let error = chat(&gateway, request("gpt-4o", false)).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::UpstreamAuthenticationError);
    assert!(error.message.contains("OPENAI_API_KEY"), "{}", error.message);
    assert!(chat(&gateway, request("anthropic.claude-v2", false)).await.is_ok());
    let mut stream = chat_stream(&gateway, request("meta.llama3", true)).await.unwrap();
    assert!(stream.next().await.unwrap().is_ok());

    let without_region: Vec<_> = env_for(&mock).into_iter().filter(|(k, _)| k != "AWS_REGION").collect();
    let gateway = Gateway::new(config_from(without_region)).unwrap();
    let error = chat(&gateway, request("anthropic.claude-v2", false)).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::ServiceUnavailable);
    assert!(error.message.contains("AWS_REGION"), "{}", error.message);
    assert!(chat(&gateway, request("gpt-4o", false)).await.is_ok());
}

#[tokio::test]
async fn retryable_failures_are_retried_before_any_output() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let gateway = Gateway::new(config_from(env_for(&mock))).unwrap();
    for (model, stream) in
        [("gpt-flaky-1", false), ("gpt-flaky-2", true), ("meta.flaky-3", false), ("anthropic.claude-flaky-4", true)]
    {
        let before = mock.recorder().count();
        if stream {
            let chunks: Vec<_> = chat_stream(&gateway, request(model, true)).await.unwrap().collect().await;
            assert!(chunks.iter().all(Result::is_ok), "{model}");
        } else {
            chat(&gateway, request(model, false)).await.unwrap();
        }
        assert_eq!(mock.recorder().count() - before, 2, "{model}: one failure, one retry");
    }

    let mut config = config_from(env_for(&mock));
    config.retries.max_retries = 1;
    let gateway = Gateway::new(config).unwrap();
    let before = mock.recorder().count();
    let error = chat(&gateway, request("gpt-throttle", false)).await.unwrap_err();
    assert_eq!((error.code, error.retry_after.as_deref()), (ErrorCode::RateLimitExceeded, Some("1")));
    assert_eq!(mock.recorder().count() - before, 2, "retry-after 1 s honoured once");

    let before = mock.recorder().count();
    let error = chat(&gateway, request("gpt-invalid", false)).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::UpstreamValidationError);
    assert_eq!(mock.recorder().count() - before, 1, "validation errors are not retried");
}

#[tokio::test]
async fn stream_failures_before_output_are_errors_and_after_output_are_never_retried() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let mut config = config_from(env_for(&mock));
    config.retries.max_retries = 0;
    let gateway = Gateway::new(config).unwrap();
    let error = chat_stream(&gateway, request("anthropic.claude-throttle", true)).await.err().unwrap();
    assert_eq!(error.code, ErrorCode::RateLimitExceeded);

    let gateway = Gateway::new(config_from(env_for(&mock))).unwrap();
    let before = mock.recorder().count();
    let items: Vec<_> =
        chat_stream(&gateway, request("meta.llama-midstream-error", true)).await.unwrap().collect().await;
    assert!(items.first().unwrap().is_ok());
    assert_eq!(items.last().unwrap().as_ref().unwrap_err().code, ErrorCode::UpstreamError);
    assert_eq!(mock.recorder().count() - before, 1);
}

#[tokio::test]
async fn ten_thousand_distinct_model_ids_build_no_new_clients() {
    let mock = spawn(MockConfig { record_limit: 16, ..MockConfig::default() }).await.unwrap();
    let gateway = Gateway::new(config_from(env_for(&mock))).unwrap();
    let ok = futures::stream::iter(0..10_000)
        .map(|i| {
            let gateway = &gateway;
            async move {
                let model = if i % 2 == 0 { format!("gpt-distinct-{i}") } else { format!("us.meta.distinct-{i}") };
                chat(gateway, request(&model, false)).await.is_ok()
            }
        })
        .buffer_unordered(64)
        .filter(|ok| futures::future::ready(*ok))
        .count()
        .await;
    assert_eq!(ok, 10_000);
    assert_eq!(mock.recorder().count(), 10_000);
    assert_eq!(gateway.built_adapters(), 2, "one adapter per provider, whatever the ids");
}

#[tokio::test]
async fn models_merge_every_source_sorted_and_cached() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let mut config = config_from(env_for(&mock));
    config.aliases.insert("aaa-alias".into(), AliasConfig::Short("openai:gpt-4o".into()));
    let gateway = Gateway::new(config).unwrap();
    let list = gateway.list_models().await.unwrap();
    let ids: Vec<(&str, &str)> = list.data.iter().map(|m| (m.id.as_str(), m.owned_by.as_str())).collect();
    assert_eq!(
        ids,
        [
            ("aaa-alias", "obs"),
            ("amazon.nova-lite-v1:0", "bedrock"),
            ("amazon.titan-embed-text-v2:0", "bedrock"),
            ("amazon.titan-text-express-v1", "bedrock"),
            ("anthropic.claude-3-haiku-20240307-v1:0", "bedrock"),
            ("arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/claudeapp01", "bedrock"),
            ("arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/novaapp01", "bedrock"),
            ("cohere.embed-english-v3", "bedrock"),
            ("cohere.embed-v4:0", "bedrock"),
            ("global.anthropic.claude-sonnet-4-5-20250929-v1:0", "bedrock"),
            ("gpt-4o", "openai"),
            ("gpt-4o-mini", "openai"),
            ("meta.llama3-8b-instruct-v1:0", "bedrock"),
            ("mistral.mistral-large-2402-v1:0", "bedrock"),
            ("o3-mini", "openai"),
            ("obs-mock-tool", "openai"),
            ("text-embedding-3-small", "openai"),
            ("us.amazon.nova-lite-v1:0", "bedrock"),
            ("us.anthropic.claude-3-5-sonnet-20241022-v2:0", "bedrock"),
        ]
    );
    let requests = mock.recorder().count();
    gateway.list_models().await.unwrap();
    assert_eq!(mock.recorder().count(), requests, "served from the cache");
}

#[tokio::test]
async fn model_listing_survives_one_source_failing() {
    let mock = spawn(MockConfig { openai_api_key: Some("sk-right".into()), ..MockConfig::default() }).await.unwrap();
    let gateway = Gateway::new(config_from(env_for(&mock))).unwrap();
    let list = gateway.list_models().await.unwrap();
    assert!(list.data.iter().all(|m| m.owned_by == "bedrock"));
    assert_eq!(list.data.len(), 13, "8 foundation models, 3 system profiles, 2 application profiles");

    let only_openai: Vec<_> = env_for(&mock).into_iter().filter(|(k, _)| k.starts_with("OPENAI")).collect();
    let error = Gateway::new(config_from(only_openai)).unwrap().list_models().await.unwrap_err();
    assert_eq!(error.code, ErrorCode::UpstreamError);

    let mut nothing = config_from(vec![]);
    nothing.aliases.insert("only-alias".into(), AliasConfig::Short("bedrock:meta.llama3".into()));
    let list = Gateway::new(nothing).unwrap().list_models().await.unwrap();
    assert_eq!(list.data.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), ["only-alias"]);
}

#[tokio::test]
async fn nothing_is_sent_at_construction() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let gateway = Gateway::new(config_from(env_for(&mock))).unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!((mock.recorder().count(), gateway.built_adapters()), (0, 0));
}
