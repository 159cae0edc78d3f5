//! A Bedrock API key (`api_key`, `AWS_BEARER_TOKEN_BEDROCK`) through the real AWS SDK against obs-mock: the runtime
//! calls carry `Authorization: Bearer <key>` and no SigV4 signature, and a refused key is the gateway's credential
//! problem (`upstream_access_denied`), not the client's.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod typed;

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_bedrockruntime::config::{BehaviorVersion, Region};
use futures::StreamExt;
use obs_adapters::bedrock::{BedrockAdapter, BedrockSettings};
use obs_mock::{MockConfig, MockHandle, REJECTED_BEDROCK_API_KEY, spawn};
use obs_models::error::ErrorCode;
use pretty_assertions::assert_eq;
use serde_json::json;
use typed::Typed;

fn with_key(mock: &MockHandle, key: &str) -> BedrockAdapter {
    let sdk = aws_types::SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        // Credentials the key must win over: a SigV4 signature would name this access key.
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new("AKIDSIGV4", "s", None, None, "t")))
        .endpoint_url(mock.base_url())
        .build();
    let settings = BedrockSettings { api_key: Some(key.to_owned().into()), ..BedrockSettings::default() };
    BedrockAdapter::new(&sdk, settings)
}

fn hello(model: &str) -> obs_models::openai::ChatCompletionRequest {
    obs_convert::validate::openai_request(json!({"model": model, "messages": [{"role":"user","content":"hi"}]}))
        .unwrap()
}

#[tokio::test]
async fn runtime_calls_carry_the_api_key_instead_of_a_signature() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let bedrock = with_key(&mock, "bedrock-api-key-123");
    for model in ["anthropic.claude-3-haiku-20240307-v1:0", "amazon.nova-lite-v1:0"] {
        let answer = bedrock.typed_chat(hello(model), model).await.unwrap();
        assert_eq!(answer.choices[0].message.content.as_deref(), Some("You said: hi"));
        let mut stream = bedrock.typed_stream(hello(model), model).await.unwrap();
        while let Some(chunk) = stream.next().await {
            chunk.unwrap();
        }
    }
    let requests = mock.recorder().requests();
    assert_eq!(requests.len(), 4);
    for request in requests {
        assert_eq!(request.header("authorization"), Some("Bearer bedrock-api-key-123"), "{}", request.path);
        assert_eq!(
            request.header("x-amz-date"),
            None,
            "no SigV4 (which always dates its signature) on {}",
            request.path
        );
    }
}

#[tokio::test]
async fn a_refused_api_key_is_the_gateways_credential_problem() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let model = "anthropic.claude-3-haiku-20240307-v1:0";
    let error = with_key(&mock, REJECTED_BEDROCK_API_KEY).typed_chat(hello(model), model).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::UpstreamAccessDenied, "{error:?}");
}
