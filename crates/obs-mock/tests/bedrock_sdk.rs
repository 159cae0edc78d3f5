//! The Bedrock side of the mock through the real AWS SDK (runtime and control plane): every family, every
//! scenario, typed errors, mid-stream exception frames, validation like the real service.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use aws_credential_types::Credentials;
use aws_sdk_bedrockruntime::config::{BehaviorVersion, Region};
use aws_sdk_bedrockruntime::error::ProvideErrorMetadata;
use aws_sdk_bedrockruntime::primitives::Blob;
use aws_sdk_bedrockruntime::types::{
    ContentBlock, ContentBlockDelta, ContentBlockStart, ConversationRole, ConverseOutput, ConverseStreamOutput,
    Message, ResponseStream, StopReason,
};
use common::{masked, masked_id};
use obs_mock::{MockConfig, MockHandle, REJECTED_ACCESS_KEY_ID, spawn};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

fn runtime(mock: &MockHandle, access_key: &str) -> aws_sdk_bedrockruntime::Client {
    let config = aws_sdk_bedrockruntime::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(access_key, "test-secret", None, None, "obs-mock-test"))
        .endpoint_url(mock.base_url())
        .retry_config(aws_sdk_bedrockruntime::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_bedrockruntime::Client::from_conf(config)
}

fn user(text: &str) -> Message {
    Message::builder().role(ConversationRole::User).content(ContentBlock::Text(text.into())).build().unwrap()
}

async fn converse(
    client: &aws_sdk_bedrockruntime::Client,
    model: &str,
) -> aws_sdk_bedrockruntime::operation::converse::ConverseOutput {
    client.converse().model_id(model).messages(user("hello mock")).send().await.unwrap()
}

fn blocks(output: &aws_sdk_bedrockruntime::operation::converse::ConverseOutput) -> Vec<Value> {
    let Some(ConverseOutput::Message(message)) = &output.output else { panic!("no message") };
    message
        .content
        .iter()
        .map(|block| match block {
            ContentBlock::Text(text) => json!({"text": text}),
            ContentBlock::ToolUse(tool) => {
                json!({"toolUse": [tool.tool_use_id, tool.name, format!("{:?}", tool.input)]})
            }
            ContentBlock::ReasoningContent(_) => json!("reasoning"),
            other => json!(format!("{other:?}")),
        })
        .collect()
}

#[tokio::test]
async fn converse_text_tools_and_reasoning() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let client = runtime(&mock, "AKIDTEST");
    let text = converse(&client, "amazon.nova-lite-v1:0").await;
    assert_eq!(blocks(&text), vec![json!({"text": "You said: hello mock"})]);
    assert_eq!(text.stop_reason, StopReason::EndTurn);
    let usage = text.usage.unwrap();
    assert_eq!((usage.input_tokens, usage.output_tokens, usage.total_tokens), (2, 4, 6));

    let tools2 = converse(&client, "meta.llama3-tools2-v1:0").await;
    assert_eq!(tools2.stop_reason, StopReason::ToolUse);
    let got = blocks(&tools2);
    assert_eq!(got[0], json!({"text": "Let me check both."}));
    let ids: Vec<&str> = got[1..].iter().map(|b| b["toolUse"][0].as_str().unwrap()).collect();
    assert_eq!(ids.iter().map(|id| masked_id(id)).collect::<Vec<_>>(), ["tooluse_ID", "tooluse_ID"]);
    assert_ne!(ids[0], ids[1]);
    assert_eq!(got.len(), 3);

    let first = converse(&client, "mistral.tool-first").await;
    assert_eq!(blocks(&first).len(), 1);
    assert!(blocks(&first)[0].get("toolUse").is_some());

    let reasoning = converse(&client, "deepseek.r1-reasoning").await;
    assert_eq!(blocks(&reasoning), vec![json!("reasoning"), json!({"text": "You said: hello mock"})]);
}

#[tokio::test]
async fn converse_stream_events_and_midstream_exception() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let client = runtime(&mock, "AKIDTEST");
    let mut stream =
        client.converse_stream().model_id("us.amazon.nova-tool-v1:0").messages(user("hi")).send().await.unwrap().stream;
    let mut events = Vec::new();
    while let Some(event) = stream.recv().await.unwrap() {
        events.push(match event {
            ConverseStreamOutput::MessageStart(_) => "start".to_owned(),
            ConverseStreamOutput::ContentBlockStart(s) => match s.start {
                Some(ContentBlockStart::ToolUse(t)) => format!("tool {} {}", masked_id(&t.tool_use_id), t.name),
                other => format!("{other:?}"),
            },
            ConverseStreamOutput::ContentBlockDelta(d) => match d.delta {
                Some(ContentBlockDelta::Text(t)) => format!("text {t}"),
                Some(ContentBlockDelta::ToolUse(t)) => format!("input {}", t.input),
                other => format!("{other:?}"),
            },
            ConverseStreamOutput::ContentBlockStop(s) => format!("stop {}", s.content_block_index),
            ConverseStreamOutput::MessageStop(s) => format!("end {}", s.stop_reason.as_str()),
            ConverseStreamOutput::Metadata(m) => {
                format!("usage {:?}", m.usage.map(|u| (u.input_tokens, u.output_tokens)))
            }
            other => format!("{other:?}"),
        });
    }
    assert_eq!(
        events,
        vec![
            "start",
            "text Let",
            "text  me",
            "text  check",
            "text  that.",
            "stop 0",
            "tool tooluse_ID get_weather",
            "input {\"location\":",
            "input \"Paris\"}",
            "stop 1",
            "end tool_use",
            "usage Some((1, 17))",
        ]
    );

    let mut failing = client
        .converse_stream()
        .model_id("cohere.midstream-error")
        .messages(user("a b c d"))
        .send()
        .await
        .unwrap()
        .stream;
    let mut texts = 0;
    let error = loop {
        match failing.recv().await {
            Ok(Some(ConverseStreamOutput::ContentBlockDelta(_))) => texts += 1,
            Ok(Some(_)) => {}
            Ok(None) => panic!("stream ended without the exception"),
            Err(error) => break error,
        }
    };
    assert_eq!(texts, 3);
    let service = error.as_service_error().expect("a modelled exception");
    assert!(service.is_model_stream_error_exception(), "{service:?}");
}

#[tokio::test]
async fn claude_invoke_and_stream() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let client = runtime(&mock, "AKIDTEST");
    let body = json!({"anthropic_version":"bedrock-2023-05-31","max_tokens":100,"system":"Be brief.",
        "messages":[{"role":"user","content":"hello claude"}]});
    let output = client
        .invoke_model()
        .model_id("anthropic.claude-3-haiku-20240307-v1:0")
        .content_type("application/json")
        .body(Blob::new(body.to_string()))
        .send()
        .await
        .unwrap();
    let answer: Value = serde_json::from_slice(output.body.as_ref()).unwrap();
    assert_eq!(
        masked(answer),
        json!({"id":"msg_bdrk_01ID","type":"message","role":"assistant","model":"anthropic.claude-3-haiku-20240307-v1:0",
            "content":[{"type":"text","text":"You said: hello claude"}],"stop_reason":"end_turn","stop_sequence":null,
            "usage":{"input_tokens":4,"output_tokens":4}})
    );
    assert_eq!(mock.recorder().last().unwrap().path, "/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke");
    assert_eq!(mock.recorder().last().unwrap().model.as_deref(), Some("anthropic.claude-3-haiku-20240307-v1:0"));

    let mut stream = client
        .invoke_model_with_response_stream()
        .model_id("us.anthropic.claude-tool")
        .body(Blob::new(body.to_string()))
        .send()
        .await
        .unwrap()
        .body;
    let mut types = Vec::new();
    while let Some(event) = stream.recv().await.unwrap() {
        let ResponseStream::Chunk(part) = event else { panic!("unexpected {event:?}") };
        let payload: Value = serde_json::from_slice(part.bytes.unwrap().as_ref()).unwrap();
        types.push(payload["type"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        types,
        [
            "message_start",
            "content_block_start",
            "ping",
            "content_block_delta",
            "content_block_delta",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "content_block_start",
            "content_block_delta",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop",
        ]
    );
}

#[tokio::test]
async fn titan_invoke_and_stream() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let client = runtime(&mock, "AKIDTEST");
    let body =
        json!({"inputText":"System: be nice\nUser: hello titan\nBot:","textGenerationConfig":{"maxTokenCount":50}});
    let output = client
        .invoke_model()
        .model_id("amazon.titan-text-express-v1")
        .body(Blob::new(body.to_string()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(output.body.as_ref()).unwrap(),
        json!({"inputTextTokenCount":7,"results":[{"tokenCount":4,"outputText":"You said: hello titan","completionReason":"FINISH"}]})
    );
    let mut stream = client
        .invoke_model_with_response_stream()
        .model_id("amazon.titan-text-express-v1")
        .body(Blob::new(body.to_string()))
        .send()
        .await
        .unwrap()
        .body;
    let mut chunks = Vec::new();
    while let Some(ResponseStream::Chunk(part)) = stream.recv().await.unwrap() {
        let payload: Value = serde_json::from_slice(part.bytes.unwrap().as_ref()).unwrap();
        chunks.push(json!([payload["outputText"], payload["completionReason"], payload["totalOutputTextTokenCount"]]));
    }
    assert_eq!(
        chunks,
        vec![
            json!(["You", null, null]),
            json!([" said:", null, null]),
            json!([" hello", null, null]),
            json!([" titan", null, null]),
            json!(["", "FINISH", 4])
        ]
    );
}

#[tokio::test]
async fn scenario_errors_are_typed_sdk_errors() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let client = runtime(&mock, "AKIDTEST");
    let cases = [
        ("anthropic.claude-throttle", "ThrottlingException"),
        ("anthropic.claude-denied", "AccessDeniedException"),
        ("anthropic.claude-invalid", "ValidationException"),
        ("anthropic.claude-notfound", "ResourceNotFoundException"),
        ("anthropic.claude-unavailable", "ServiceUnavailableException"),
        ("anthropic.claude-timeout", "ModelTimeoutException"),
        ("anthropic.claude-midstream-error", "InternalServerException"),
    ];
    for (model, code) in cases {
        let error = client.converse().model_id(model).messages(user("x")).send().await.unwrap_err();
        assert_eq!(error.code(), Some(code), "{model}");
        let error = client.invoke_model().model_id(model).body(Blob::new("{}")).send().await.unwrap_err();
        assert_eq!(error.code(), Some(code), "{model}");
    }
}

#[tokio::test]
async fn arn_model_ids_are_decoded() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let client = runtime(&mock, "AKIDTEST");
    let arn = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123";
    converse(&client, arn).await;
    let recorded = mock.recorder().last().unwrap();
    assert_eq!(recorded.model.as_deref(), Some(arn));
    assert!(recorded.path.contains("%2F"), "{}", recorded.path);
    assert!(recorded.header("authorization").unwrap().starts_with("AWS4-HMAC-SHA256 Credential=AKIDTEST/"));
}

#[tokio::test]
async fn claude_bodies_are_validated_like_bedrock() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let client = runtime(&mock, "AKIDTEST");
    let bodies = [
        (json!({"anthropic_version":"bedrock-2023-05-31","messages":[{"role":"user","content":"x"}]}), "max_tokens"),
        (
            json!({"anthropic_version":"bedrock-2023-05-31","max_tokens":5,"messages":[{"role":"user","content":"x"},{"role":"user","content":"y"}]}),
            "alternate",
        ),
        (
            json!({"anthropic_version":"bedrock-2023-05-31","max_tokens":5,"messages":[
            {"role":"user","content":"x"},
            {"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"f","input":{}}]},
            {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_2","content":"r"}]}]}),
            "tool_use_id",
        ),
        (
            json!({"anthropic_version":"bedrock-2023-05-31","max_tokens":5,"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]}),
            "image_url",
        ),
    ];
    for (body, needle) in bodies {
        let error = client
            .invoke_model()
            .model_id("anthropic.claude-v2")
            .body(Blob::new(body.to_string()))
            .send()
            .await
            .unwrap_err();
        assert_eq!(error.code(), Some("ValidationException"));
        assert!(error.message().unwrap().contains(needle), "{:?}", error.message());
    }
    let error =
        client.converse().model_id("meta.llama3").messages(user("a")).messages(user("b")).send().await.unwrap_err();
    assert_eq!(error.code(), Some("ValidationException"));
}

#[tokio::test]
async fn unsigned_and_rejected_credentials() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let unsigned = reqwest::Client::new()
        .post(format!("{}/model/anthropic.claude-v2/invoke", mock.base_url()))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 403);
    assert!(
        unsigned.headers()["x-amzn-errortype"].to_str().unwrap().starts_with("MissingAuthenticationTokenException")
    );
    assert_eq!(unsigned.json::<Value>().await.unwrap(), json!({"message":"Missing Authentication Token"}));
    let error =
        runtime(&mock, REJECTED_ACCESS_KEY_ID).converse().model_id("m").messages(user("x")).send().await.unwrap_err();
    assert_eq!(error.code(), Some("UnrecognizedClientException"));
}

#[tokio::test]
async fn control_plane_lists_text_on_demand_models_and_profiles() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let config = aws_sdk_bedrock::Config::builder()
        .behavior_version(aws_sdk_bedrock::config::BehaviorVersion::latest())
        .region(aws_sdk_bedrock::config::Region::new("us-east-1"))
        .credentials_provider(Credentials::new("AKIDTEST", "s", None, None, "test"))
        .endpoint_url(mock.base_url())
        .build();
    let client = aws_sdk_bedrock::Client::from_conf(config);
    let models = client
        .list_foundation_models()
        .by_output_modality(aws_sdk_bedrock::types::ModelModality::Text)
        .by_inference_type(aws_sdk_bedrock::types::InferenceType::OnDemand)
        .send()
        .await
        .unwrap();
    let ids: Vec<&str> = models.model_summaries().iter().map(|m| m.model_id()).collect();
    assert_eq!(
        ids,
        [
            "anthropic.claude-3-haiku-20240307-v1:0",
            "amazon.titan-text-express-v1",
            "amazon.nova-lite-v1:0",
            "meta.llama3-8b-instruct-v1:0",
            "mistral.mistral-large-2402-v1:0",
        ]
    );
    let profiles = client.list_inference_profiles().send().await.unwrap();
    let ids: Vec<&str> = profiles.inference_profile_summaries().iter().map(|p| p.inference_profile_id()).collect();
    assert_eq!(
        ids,
        [
            "us.anthropic.claude-3-5-sonnet-20241022-v2:0",
            "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "us.amazon.nova-lite-v1:0"
        ]
    );
}

#[tokio::test]
async fn first_byte_delay_applies_to_bedrock_json_answers() {
    let mock = spawn(MockConfig { first_byte_delay: std::time::Duration::from_millis(200), ..MockConfig::default() })
        .await
        .unwrap();
    let started = std::time::Instant::now();
    converse(&runtime(&mock, "AKIDTEST"), "meta.llama3").await;
    assert!(started.elapsed() >= std::time::Duration::from_millis(200));
}

#[tokio::test]
async fn streamed_tool_input_accumulates_to_the_whole_input() {
    use aws_sdk_bedrockruntime::types::{Tool, ToolConfiguration, ToolInputSchema, ToolSpecification};
    let mock = spawn(MockConfig::default()).await.unwrap();
    let client = runtime(&mock, "AKIDTEST");
    let schema = json!({"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer","maximum":2},
        "units":{"enum":["metric","imperial"]}},"required":["city"]});
    let want = json!({"city":"Lisbon","days":2,"units":"metric"});

    let body = json!({"anthropic_version":"bedrock-2023-05-31","max_tokens":100,
        "messages":[{"role":"user","content":"Forecast for Lisbon"}],
        "tools":[{"name":"forecast","input_schema":schema}]});
    let whole = client.invoke_model().model_id("anthropic.claude-v2").body(Blob::new(body.to_string())).send().await;
    let whole: Value = serde_json::from_slice(whole.unwrap().body.as_ref()).unwrap();
    assert_eq!(whole["content"][0]["input"], want);
    let mut stream = client
        .invoke_model_with_response_stream()
        .model_id("anthropic.claude-v2")
        .body(Blob::new(body.to_string()))
        .send()
        .await
        .unwrap()
        .body;
    let mut partial = String::new();
    while let Some(ResponseStream::Chunk(part)) = stream.recv().await.unwrap() {
        let payload: Value = serde_json::from_slice(part.bytes.unwrap().as_ref()).unwrap();
        partial += payload.pointer("/delta/partial_json").and_then(Value::as_str).unwrap_or("");
    }
    assert_eq!(serde_json::from_str::<Value>(&partial).unwrap(), want);

    let spec = ToolSpecification::builder()
        .name("forecast")
        .input_schema(ToolInputSchema::Json(document(&schema)))
        .build()
        .unwrap();
    let tools = ToolConfiguration::builder().tools(Tool::ToolSpec(spec)).build().unwrap();
    let mut stream = client
        .converse_stream()
        .model_id("amazon.nova-pro-v1:0")
        .messages(user("Forecast for Lisbon"))
        .tool_config(tools)
        .send()
        .await
        .unwrap()
        .stream;
    let mut input = String::new();
    while let Some(event) = stream.recv().await.unwrap() {
        if let ConverseStreamOutput::ContentBlockDelta(delta) = event
            && let Some(ContentBlockDelta::ToolUse(tool)) = delta.delta
        {
            input += &tool.input;
        }
    }
    assert_eq!(serde_json::from_str::<Value>(&input).unwrap(), want);
}

/// A JSON value as the SDK's `Document`.
fn document(value: &Value) -> aws_smithy_types::Document {
    use aws_smithy_types::{Document, Number};
    match value {
        Value::Null => Document::Null,
        Value::Bool(b) => Document::Bool(*b),
        Value::Number(n) => match n.as_u64() {
            Some(u) => Document::Number(Number::PosInt(u)),
            None => Document::Number(Number::Float(n.as_f64().unwrap())),
        },
        Value::String(s) => Document::String(s.clone()),
        Value::Array(items) => Document::Array(items.iter().map(document).collect()),
        Value::Object(map) => Document::Object(map.iter().map(|(k, v)| (k.clone(), document(v))).collect()),
    }
}
