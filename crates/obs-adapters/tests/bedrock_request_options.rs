//! Request options Bedrock has its own fields for, through the real AWS SDK against obs-mock: `response_format`
//! (the forced-tool method on Claude and Converse, the native `outputConfig` on models that take it, streamed and
//! not, and the refusals — Titan, a forced tool of the client's own) and `service_tier` / `performance_config`
//! (Converse fields, InvokeModel headers, the served tier reported) — bodies the emulator received compared.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod typed;

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_bedrockruntime::config::{BehaviorVersion, Region};
use futures::StreamExt;
use obs_adapters::bedrock::structured::StructuredOutputMethod;
use obs_adapters::bedrock::{BedrockAdapter, BedrockSettings};
use obs_mock::{MockConfig, MockHandle, spawn};
use obs_models::error::ErrorCode;
use obs_models::openai::{ChatCompletionRequest, FinishReason};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use typed::Typed;

const CLAUDE: &str = "anthropic.claude-3-5-sonnet-20240620-v1:0";
const NOVA: &str = "amazon.nova-pro-v1:0";
const NATIVE: &str = "us.amazon.nova-2-lite-v1:0";

fn adapter(mock: &MockHandle, method: StructuredOutputMethod) -> BedrockAdapter {
    let sdk = aws_types::SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new("AKIDTEST", "secret", None, None, "t")))
        .endpoint_url(mock.base_url())
        .build();
    BedrockAdapter::new(&sdk, BedrockSettings { structured_output: method, ..BedrockSettings::default() })
}

fn schema() -> Value {
    json!({"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer","minimum":0}},
           "required":["name","age"],"additionalProperties":false})
}

fn asking(model: &str, extra: Value) -> ChatCompletionRequest {
    let mut body = json!({"model": model, "messages": [{"role":"user","content":"Describe a person."}],
        "response_format": {"type":"json_schema","json_schema":{"name":"person","schema":schema(),"strict":true}}});
    for (key, value) in extra.as_object().unwrap() {
        body[key] = value.clone();
    }
    obs_convert::validate::openai_request(body).unwrap()
}

/// A person as the schema wants it: the answer must be exactly that JSON object.
fn assert_person(content: &str) {
    let person: Value = serde_json::from_str(content).unwrap_or_else(|e| panic!("not JSON ({e}): {content}"));
    // Keys in any order: a Converse tool input travels as the SDK's Document, a map without order.
    let mut keys: Vec<&String> = person.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["age", "name"], "{content}");
    assert!(person["name"].is_string() && person["age"].as_u64().is_some(), "{content}");
}

#[tokio::test]
async fn claude_gets_one_forced_tool_and_the_client_gets_json_content() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let answer =
        adapter(&mock, StructuredOutputMethod::Auto).typed_chat(asking(CLAUDE, json!({})), CLAUDE).await.unwrap();
    let sent = mock.recorder().last().unwrap().json();
    assert_eq!(sent["tools"][0]["name"], "person");
    assert_eq!(sent["tools"][0]["input_schema"], schema());
    assert_eq!(sent["tool_choice"], json!({"type":"tool","name":"person"}));
    let choice = &answer.choices[0];
    assert_person(choice.message.content.as_deref().unwrap());
    assert_eq!((choice.message.tool_calls.as_ref(), choice.finish_reason.as_ref()), (None, Some(&FinishReason::Stop)));
}

#[tokio::test]
async fn a_streamed_forced_tool_arrives_as_content_deltas() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let bedrock = adapter(&mock, StructuredOutputMethod::Auto);
    for model in [CLAUDE, NOVA] {
        let mut chunks = bedrock.typed_stream(asking(model, json!({"stream": true})), model).await.unwrap();
        let (mut content, mut finish) = (String::new(), None);
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.unwrap();
            for choice in chunk.choices {
                assert!(choice.delta.tool_calls.is_none(), "{model}: the synthetic call is not shown as one");
                content.push_str(choice.delta.content.as_deref().unwrap_or(""));
                finish = choice.finish_reason.or(finish);
            }
        }
        assert_person(&content);
        assert_eq!(finish, Some(FinishReason::Stop), "{model}");
    }
}

#[tokio::test]
async fn converse_takes_the_forced_tool_unless_the_model_takes_the_schema_natively() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let bedrock = adapter(&mock, StructuredOutputMethod::Auto);
    let answer = bedrock.typed_chat(asking(NOVA, json!({})), NOVA).await.unwrap();
    assert_person(answer.choices[0].message.content.as_deref().unwrap());
    let sent = mock.recorder().last().unwrap().json();
    assert_eq!(sent["toolConfig"]["toolChoice"], json!({"tool":{"name":"person"}}));
    assert_eq!(sent["toolConfig"]["tools"][0]["toolSpec"]["inputSchema"]["json"], schema());
    assert!(sent.get("outputConfig").is_none(), "{sent}");

    let answer = bedrock.typed_chat(asking(NATIVE, json!({})), NATIVE).await.unwrap();
    assert_person(answer.choices[0].message.content.as_deref().unwrap());
    let sent = mock.recorder().last().unwrap().json();
    let format = &sent["outputConfig"]["textFormat"];
    assert_eq!(format["type"], "json_schema");
    assert_eq!(format["structure"]["jsonSchema"]["name"], "person");
    let sent_schema: Value =
        serde_json::from_str(format["structure"]["jsonSchema"]["schema"].as_str().unwrap()).unwrap();
    assert_eq!(sent_schema, schema());
    assert!(sent.get("toolConfig").is_none(), "the native method offers no tool: {sent}");

    // The provider's setting overrides the table both ways.
    let native = adapter(&mock, StructuredOutputMethod::Native);
    native.typed_chat(asking(NOVA, json!({})), NOVA).await.unwrap();
    assert!(mock.recorder().last().unwrap().json().get("outputConfig").is_some());
    let tool = adapter(&mock, StructuredOutputMethod::Tool);
    tool.typed_chat(asking(NATIVE, json!({})), NATIVE).await.unwrap();
    assert!(mock.recorder().last().unwrap().json().get("outputConfig").is_none());
}

const CLAUDE_NATIVE: &str = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";

#[tokio::test]
async fn claude_on_invoke_model_takes_the_schema_natively_where_the_table_says() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let bedrock = adapter(&mock, StructuredOutputMethod::Auto);
    let answer = bedrock.typed_chat(asking(CLAUDE_NATIVE, json!({})), CLAUDE_NATIVE).await.unwrap();
    let sent = mock.recorder().last().unwrap();
    assert!(sent.path.ends_with("/invoke"), "{}", sent.path);
    assert_eq!(
        sent.json(),
        json!({"anthropic_version":"bedrock-2023-05-31","max_tokens":4096,
            "messages":[{"role":"user","content":"Describe a person."}],
            "output_config":{"format":{"type":"json_schema","schema":schema()}}}),
        "Bedrock's output_config.format, no tool"
    );
    let choice = &answer.choices[0];
    assert_person(choice.message.content.as_deref().unwrap());
    assert_eq!((choice.message.tool_calls.as_ref(), choice.finish_reason.as_ref()), (None, Some(&FinishReason::Stop)));

    let mut chunks = bedrock.typed_stream(asking(CLAUDE_NATIVE, json!({"stream": true})), CLAUDE_NATIVE).await.unwrap();
    let mut content = String::new();
    while let Some(chunk) = chunks.next().await {
        for choice in chunk.unwrap().choices {
            content.push_str(choice.delta.content.as_deref().unwrap_or(""));
        }
    }
    assert_person(&content);
    assert!(mock.recorder().last().unwrap().json().get("output_config").is_some());

    // `tool` overrides the table: the forced tool, no output_config.
    adapter(&mock, StructuredOutputMethod::Tool)
        .typed_chat(asking(CLAUDE_NATIVE, json!({})), CLAUDE_NATIVE)
        .await
        .unwrap();
    let sent = mock.recorder().last().unwrap().json();
    assert_eq!((sent.get("output_config"), &sent["tool_choice"]), (None, &json!({"type":"tool","name":"person"})));
}

#[tokio::test]
async fn json_object_gets_an_object() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let request = obs_convert::validate::openai_request(json!({"model": CLAUDE,
        "messages": [{"role":"user","content":"hi"}], "response_format": {"type":"json_object"}}))
    .unwrap();
    let answer = adapter(&mock, StructuredOutputMethod::Auto).typed_chat(request, CLAUDE).await.unwrap();
    let content: Value = serde_json::from_str(answer.choices[0].message.content.as_deref().unwrap()).unwrap();
    assert!(content.is_object(), "{content}");
}

#[tokio::test]
async fn what_cannot_be_honoured_is_refused_before_any_call() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let bedrock = adapter(&mock, StructuredOutputMethod::Auto);
    let titan = "amazon.titan-text-express-v1";
    let error = bedrock.typed_chat(asking(titan, json!({})), titan).await.unwrap_err();
    assert_eq!((error.code, error.param.as_deref()), (ErrorCode::UnsupportedParameter, Some("response_format")));
    let own_forced_tool = json!({
        "tools": [{"type":"function","function":{"name":"lookup","parameters":{"type":"object"}}}],
        "tool_choice": {"type":"function","function":{"name":"lookup"}}});
    let error = bedrock.typed_chat(asking(CLAUDE, own_forced_tool), CLAUDE).await.unwrap_err();
    assert_eq!((error.code, error.param.as_deref()), (ErrorCode::UnsupportedParameter, Some("response_format")));
    let bad = obs_convert::validate::openai_request(json!({"model": CLAUDE,
        "messages": [{"role":"user","content":"hi"}], "response_format": {"type":"yaml"}}))
    .unwrap();
    let error = bedrock.typed_chat(bad, CLAUDE).await.unwrap_err();
    assert_eq!((error.code, error.param.as_deref()), (ErrorCode::InvalidValue, Some("response_format.type")));
    assert_eq!(mock.recorder().count(), 0, "nothing was sent");
}

// ---- service tiers and latency ----

fn plain(model: &str, extra: Value) -> ChatCompletionRequest {
    let mut body = json!({"model": model, "messages": [{"role":"user","content":"hi"}]});
    for (key, value) in extra.as_object().unwrap() {
        body[key] = value.clone();
    }
    obs_convert::validate::openai_request(body).unwrap()
}

#[tokio::test]
async fn service_tier_and_latency_reach_bedrock_and_the_served_tier_comes_back() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let bedrock = adapter(&mock, StructuredOutputMethod::Auto);
    let asks = json!({"service_tier": "flex", "performance_config": {"latency": "optimized"}});
    let answer = bedrock.typed_chat(plain(NOVA, asks.clone()), NOVA).await.unwrap();
    let sent = mock.recorder().last().unwrap().json();
    assert_eq!(
        (sent["serviceTier"].clone(), sent["performanceConfig"].clone()),
        (json!({"type":"flex"}), json!({"latency":"optimized"}))
    );
    assert_eq!(answer.extra.get("service_tier"), Some(&json!("flex")), "the tier that served is reported");

    bedrock.typed_chat(plain(CLAUDE, asks), CLAUDE).await.unwrap();
    let sent = mock.recorder().last().unwrap();
    assert_eq!(sent.header("x-amzn-bedrock-service-tier"), Some("flex"));
    assert_eq!(sent.header("x-amzn-bedrock-performanceconfig-latency"), Some("optimized"));

    // auto leaves the choice to Bedrock; a tier Bedrock lacks is refused before any call.
    bedrock.typed_chat(plain(NOVA, json!({"service_tier": "auto"})), NOVA).await.unwrap();
    assert!(mock.recorder().last().unwrap().json().get("serviceTier").is_none());
    let before = mock.recorder().count();
    let error = bedrock.typed_chat(plain(NOVA, json!({"service_tier": "scale"})), NOVA).await.unwrap_err();
    assert_eq!((error.code, error.param.as_deref()), (ErrorCode::UnsupportedParameter, Some("service_tier")));
    let error = bedrock
        .typed_chat(plain(CLAUDE, json!({"performance_config": {"latency": "fast"}})), CLAUDE)
        .await
        .unwrap_err();
    assert_eq!((error.code, error.param.as_deref()), (ErrorCode::InvalidValue, Some("performance_config.latency")));
    assert_eq!(mock.recorder().count(), before);
}

// ---- prompt-cache breakpoints on Converse ----

#[tokio::test]
async fn converse_gets_a_cache_point_after_each_marked_place() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let mark = json!({"type":"ephemeral","ttl":"1h"});
    let request = obs_convert::validate::openai_request(json!({"model": NOVA,
        "tools":[{"type":"function","function":{"name":"lookup","parameters":{"type":"object"}},"cache_control":mark}],
        "tool_choice":"none",
        "messages":[{"role":"system","content":"Long instructions.","cache_control":{"type":"ephemeral"}},
            {"role":"user","content":[{"type":"text","text":"Long document.","cache_control":mark},
                                       {"type":"text","text":"Question?"}]}]}))
    .unwrap();
    adapter(&mock, StructuredOutputMethod::Auto).typed_chat(request, NOVA).await.unwrap();
    let sent = mock.recorder().last().unwrap().json();
    assert_eq!(sent["system"], json!([{"text":"Long instructions."},{"cachePoint":{"type":"default","ttl":"5m"}}]));
    assert_eq!(
        sent["messages"][0]["content"],
        json!([{"text":"Long document."},{"cachePoint":{"type":"default","ttl":"1h"}},{"text":"Question?"}])
    );
}
