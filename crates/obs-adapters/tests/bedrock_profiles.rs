//! Application inference profiles through the real AWS SDK against obs-mock's control plane: the profile's model is
//! looked up once (GetInferenceProfile) and its family applies — a Claude profile goes through InvokeModel with the
//! ARN as the model id, whole and streamed, after a single look-up; a profile that cannot be resolved goes through
//! Converse, and the failure is not asked again at once.
#![cfg(feature = "control-plane")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod emulated;
mod typed;

use futures::StreamExt;
use obs_adapters::bedrock::{BedrockAdapter, BedrockSettings};
use obs_mock::{MockConfig, MockHandle, spawn};
use obs_models::openai::{ChatCompletionRequest, FinishReason};
use pretty_assertions::assert_eq;
use serde_json::json;
use typed::Typed;

const CLAUDE_PROFILE: &str = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/claudeapp01";
const MISSING_PROFILE: &str = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/missing1";

fn adapter(mock: &MockHandle) -> BedrockAdapter {
    emulated::bedrock(
        mock,
        BedrockSettings { control_endpoint_url: Some(mock.base_url()), ..BedrockSettings::default() },
    )
}

fn request(model: &str, extra: serde_json::Value) -> ChatCompletionRequest {
    let mut body = json!({"model": model, "messages": [{"role":"user","content":"hi"}]});
    for (key, value) in extra.as_object().unwrap() {
        body[key] = value.clone();
    }
    obs_convert::validate::openai_request(body).unwrap()
}

fn encoded(arn: &str) -> String {
    arn.replace(':', "%3A").replace('/', "%2F")
}

/// The paths of the requests the mock received, in order.
fn paths(mock: &MockHandle) -> Vec<String> {
    mock.recorder().requests().into_iter().map(|r| r.path).collect()
}

#[tokio::test]
async fn a_claude_profile_goes_through_invoke_model_after_one_look_up() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let bedrock = adapter(&mock);
    let answer = bedrock.typed_chat(request(CLAUDE_PROFILE, json!({})), CLAUDE_PROFILE).await.unwrap();
    assert_eq!(answer.choices[0].finish_reason, Some(FinishReason::Stop));
    let mut chunks =
        bedrock.typed_stream(request(CLAUDE_PROFILE, json!({"stream": true})), CLAUDE_PROFILE).await.unwrap();
    while let Some(chunk) = chunks.next().await {
        chunk.unwrap();
    }
    let model = encoded(CLAUDE_PROFILE);
    assert_eq!(
        paths(&mock),
        [
            format!("/inference-profiles/{model}"),
            format!("/model/{model}/invoke"),
            format!("/model/{model}/invoke-with-response-stream"),
        ],
        "one look-up for two requests"
    );
    assert_eq!(
        mock.recorder().last().unwrap().json(),
        json!({"anthropic_version":"bedrock-2023-05-31","max_tokens":4096,"messages":[{"role":"user","content":"hi"}]}),
        "Claude's own body, the ARN as the model id"
    );
}

#[tokio::test]
async fn the_profiles_model_decides_tools_and_structured_output() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let schema = json!({"type":"object","properties":{"name":{"type":"string"}},"required":["name"]});
    let asks = json!({"response_format":{"type":"json_schema","json_schema":{"name":"person","schema":schema}}});
    let answer = adapter(&mock).typed_chat(request(CLAUDE_PROFILE, asks), CLAUDE_PROFILE).await.unwrap();
    let content: serde_json::Value =
        serde_json::from_str(answer.choices[0].message.content.as_deref().unwrap()).unwrap();
    assert!(content["name"].is_string(), "{content}");
    let sent = mock.recorder().last().unwrap().json();
    assert_eq!(
        (sent["tools"][0]["name"].clone(), sent["tool_choice"].clone()),
        (json!("person"), json!({"type":"tool","name":"person"})),
        "Claude's forced tool, as for the model itself"
    );
}

#[tokio::test]
async fn a_profile_that_cannot_be_resolved_goes_through_converse_and_is_not_asked_again_at_once() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let bedrock = adapter(&mock);
    for _ in 0..2 {
        bedrock.typed_chat(request(MISSING_PROFILE, json!({})), MISSING_PROFILE).await.unwrap();
    }
    let model = encoded(MISSING_PROFILE);
    assert_eq!(
        paths(&mock),
        [
            format!("/inference-profiles/{model}"),
            format!("/model/{model}/converse"),
            format!("/model/{model}/converse")
        ]
    );
}
