//! The Bedrock adapter through the real AWS SDK against obs-mock: every family path, exact bodies the mock
//! received, exact internal responses and chunks, every error scenario, credentials, images, and proof that no
//! request leaves 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod typed;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_bedrockruntime::config::{BehaviorVersion, Region};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use futures::StreamExt;
use obs_adapters::bedrock::ClaudeApi;
use obs_adapters::bedrock::{BedrockAdapter, BedrockSettings, ImageFetchSettings};
use obs_adapters::{Error, Timeouts};
use obs_mock::{MockConfig, MockHandle, REJECTED_ACCESS_KEY_ID, spawn};
use obs_models::error::ErrorCode;
use obs_models::openai::ChatCompletionRequest;
use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use typed::Typed;

fn sdk_config(mock: &MockHandle, access_key: &str) -> aws_types::SdkConfig {
    aws_types::SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            access_key,
            "test-secret",
            None,
            None,
            "test",
        )))
        .endpoint_url(mock.base_url())
        .build()
}

fn adapter(mock: &MockHandle) -> BedrockAdapter {
    BedrockAdapter::new(&sdk_config(mock, "AKIDTEST"), settings(mock))
}

fn settings(mock: &MockHandle) -> BedrockSettings {
    BedrockSettings { control_endpoint_url: Some(mock.base_url()), ..BedrockSettings::default() }
}

fn request(body: Value) -> ChatCompletionRequest {
    obs_convert::validate::openai_request(body).unwrap()
}

fn hello(model: &str) -> ChatCompletionRequest {
    request(
        json!({"model": model, "messages": [{"role":"system","content":"Be brief."},{"role": "user", "content": "hello bedrock"}]}),
    )
}

/// The response as JSON with its random id checked and replaced.
fn normalised(response: &obs_models::openai::ChatCompletionResponse) -> Value {
    let mut value = serde_json::to_value(response).unwrap();
    let id = value["id"].as_str().unwrap();
    assert!(id.starts_with("chatcmpl-") && id.len() >= 33, "{id}");
    value["id"] = json!("ID");
    value["created"] = json!(0);
    mask_tool_ids(&mut value);
    value
}

/// Tool-call ids the mock mints (`toolu_bdrk_01…`, `tooluse_…`, random) checked and replaced by their prefix + `ID`.
fn mask_tool_ids(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                match item.as_str().filter(|_| key == "id") {
                    Some(id) if id.starts_with("toolu_bdrk_01") => {
                        assert_eq!(id.len(), "toolu_bdrk_01".len() + 22, "{id}");
                        *item = json!("toolu_bdrk_01ID");
                    }
                    Some(id) if id.starts_with("tooluse_") => {
                        assert_eq!(id.len(), "tooluse_".len() + 22, "{id}");
                        *item = json!("tooluse_ID");
                    }
                    _ => mask_tool_ids(item),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask_tool_ids),
        _ => {}
    }
}

async fn deltas(stream: obs_adapters::ChunkStream) -> Vec<Value> {
    let chunks: Vec<_> = stream.collect().await;
    let id = chunks[0].as_ref().unwrap().id.clone();
    chunks
        .into_iter()
        .map(|c| {
            let c = c.unwrap();
            assert_eq!(c.id, id, "one id per stream");
            let mut delta = match c.choices.first() {
                Some(choice) => json!([choice.delta, choice.finish_reason]),
                None => json!({"usage": c.usage}),
            };
            mask_tool_ids(&mut delta);
            delta
        })
        .collect()
}

#[tokio::test]
async fn claude_invoke_sends_the_native_body_and_maps_the_answer() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let response =
        adapter(&mock).typed_chat(hello("claude-alias"), "anthropic.claude-3-haiku-20240307-v1:0").await.unwrap();
    assert_eq!(
        normalised(&response),
        json!({"id":"ID","object":"chat.completion","created":0,"model":"claude-alias",
            "choices":[{"index":0,"message":{"role":"assistant","content":"You said: hello bedrock"},"finish_reason":"stop","logprobs":null}],
            "usage":{"prompt_tokens":4,"completion_tokens":4,"total_tokens":8}})
    );
    let sent = mock.recorder().last().unwrap();
    assert_eq!(sent.path, "/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke");
    assert_eq!(
        sent.json(),
        json!({"anthropic_version":"bedrock-2023-05-31","max_tokens":4096,"messages":[{"role":"user","content":"hello bedrock"}],"system":"Be brief."})
    );
}

#[tokio::test]
async fn claude_stream_counts_tool_calls_from_zero() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let stream =
        adapter(&mock).typed_stream(hello("anthropic.claude-tools2"), "us.anthropic.claude-tools2").await.unwrap();
    assert_eq!(
        deltas(stream).await,
        vec![
            json!([{"role":"assistant","content":""}, null]),
            json!([{"content":"Let"}, null]),
            json!([{"content":" me"}, null]),
            json!([{"content":" check"}, null]),
            json!([{"content":" both."}, null]),
            json!([{"tool_calls":[{"index":0,"id":"toolu_bdrk_01ID","type":"function","function":{"name":"get_weather","arguments":""}}]}, null]),
            json!([{"tool_calls":[{"index":0,"function":{"arguments":"{\"location\":"}}]}, null]),
            json!([{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]}, null]),
            json!([{"tool_calls":[{"index":1,"id":"toolu_bdrk_01ID","type":"function","function":{"name":"get_weather","arguments":""}}]}, null]),
            json!([{"tool_calls":[{"index":1,"function":{"arguments":"{\"location\":"}}]}, null]),
            json!([{"tool_calls":[{"index":1,"function":{"arguments":"\"Tokyo\"}"}}]}, null]),
            json!([{}, "tool_calls"]),
            json!({"usage":{"prompt_tokens":4,"completion_tokens":30,"total_tokens":34}}),
        ]
    );
}

#[tokio::test]
async fn claude_body_from_a_claude_client_goes_out_unchanged() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let original = json!({"anthropic_version":"bedrock-2023-05-31","max_tokens":300,"top_k":20,"temperature":0.3,
        "system":[{"type":"text","text":"Be brief."}],
        "messages":[{"role":"user","content":"weather?"},
            {"role":"assistant","content":[{"type":"text","text":"Checking."},{"type":"tool_use","id":"toolu_1","name":"w","input":{"city":"Paris"}}]},
            {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"21C"}]}],
        "tools":[{"name":"w","description":"Weather","input_schema":{"type":"object"}}],
        "tool_choice":{"type":"auto"},"metadata":{"user_id":"u-1"}});
    let mut body = original.clone();
    body["model"] = json!("anthropic.claude-v2");
    let (_, request) = obs_convert::ingress::parse_chat_request(body.to_string().as_bytes()).unwrap();
    let response = adapter(&mock).typed_chat(request, "anthropic.claude-v2").await.unwrap();
    assert_eq!(mock.recorder().last().unwrap().json(), original);
    // The mock validated the tool_result against the tool_use and answered from it.
    assert_eq!(response.choices[0].message.content.as_deref(), Some("The tool returned: 21C"));
}

#[tokio::test]
async fn titan_invoke_and_stream_and_tools_refused_before_any_call() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let adapter = adapter(&mock);
    let titan = "amazon.titan-text-express-v1";
    let response = adapter.typed_chat(hello("titan"), titan).await.unwrap();
    assert_eq!(
        normalised(&response),
        json!({"id":"ID","object":"chat.completion","created":0,"model":"titan",
            "choices":[{"index":0,"message":{"role":"assistant","content":"You said: hello bedrock"},"finish_reason":"stop","logprobs":null}],
            "usage":{"prompt_tokens":7,"completion_tokens":4,"total_tokens":11}})
    );
    assert_eq!(
        mock.recorder().last().unwrap().json(),
        json!({"inputText":"System: Be brief.\nUser: hello bedrock\nBot:","textGenerationConfig":{"maxTokenCount":512}})
    );
    let stream = adapter.typed_stream(hello("titan"), titan).await.unwrap();
    assert_eq!(
        deltas(stream).await,
        vec![
            json!([{"role":"assistant","content":""}, null]),
            json!([{"content":"You"}, null]),
            json!([{"content":" said:"}, null]),
            json!([{"content":" hello"}, null]),
            json!([{"content":" bedrock"}, null]),
            json!([{}, "stop"]),
            json!({"usage":{"prompt_tokens":7,"completion_tokens":4,"total_tokens":11}}),
        ]
    );
    let before = mock.recorder().count();
    let with_tools = request(
        json!({"model":"t","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f"}}]}),
    );
    let error = adapter.typed_chat(with_tools, titan).await.unwrap_err();
    assert_eq!((error.code, error.param.as_deref()), (ErrorCode::UnsupportedParameter, Some("tools")));
    assert_eq!(mock.recorder().count(), before);
}

#[tokio::test]
async fn converse_sends_sdk_shapes_and_maps_text_tools_and_reasoning() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let adapter = adapter(&mock);
    let chat = request(json!({"model":"nova","max_tokens":200,"temperature":0.5,"top_p":0.75,"stop":["END"],
        "messages":[{"role":"system","content":"Be brief."},
            {"role":"user","content":[{"type":"text","text":"look"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]},
            {"role":"assistant","content":null,"tool_calls":[{"id":"tooluse_1","type":"function","function":{"name":"w","arguments":"{\"city\":\"Paris\"}"}}]},
            {"role":"tool","tool_call_id":"tooluse_1","content":"21C"}],
        "tools":[{"type":"function","function":{"name":"w","description":"Weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}],
        "tool_choice":"required"}));
    let response = adapter.typed_chat(chat, "amazon.nova-lite-v1:0").await.unwrap();
    // tool_choice "required" (Converse `any`) calls a tool again, even after a tool result.
    assert_eq!(
        normalised(&response)["choices"][0]["message"]["tool_calls"][0]["function"],
        json!({"name":"w","arguments":"{\"city\":\"Paris\"}"})
    );
    assert_eq!(
        mock.recorder().last().unwrap().json(),
        json!({"messages":[
            {"role":"user","content":[{"text":"look"},{"image":{"format":"png","source":{"bytes":"iVBORw0KGgo="}}}]},
            {"role":"assistant","content":[{"toolUse":{"toolUseId":"tooluse_1","name":"w","input":{"city":"Paris"}}}]},
            {"role":"user","content":[{"toolResult":{"toolUseId":"tooluse_1","content":[{"text":"21C"}]}}]}],
            "system":[{"text":"Be brief."}],
            "inferenceConfig":{"maxTokens":200,"temperature":0.5,"topP":0.75,"stopSequences":["END"]},
            "toolConfig":{"tools":[{"toolSpec":{"name":"w","description":"Weather","inputSchema":{"json":{"type":"object","properties":{"city":{"type":"string"}}}}}}],
                "toolChoice":{"any":{}}}})
    );
    let tools2 = adapter.typed_chat(hello("llama"), "meta.llama3-tools2").await.unwrap();
    assert_eq!(
        normalised(&tools2)["choices"][0],
        json!({"index":0,"message":{"role":"assistant","content":"Let me check both.","tool_calls":[
            {"id":"tooluse_ID","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"Paris\"}"}},
            {"id":"tooluse_ID","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"Tokyo\"}"}}]},
            "finish_reason":"tool_calls","logprobs":null})
    );
    let reasoning = adapter.typed_chat(hello("r1"), "deepseek.r1-reasoning").await.unwrap();
    assert_eq!(
        normalised(&reasoning)["choices"][0]["message"],
        json!({"role":"assistant","content":"You said: hello bedrock","reasoning_content":"The user wants a short answer."})
    );
}

#[tokio::test]
async fn converse_stream_tool_first_and_reasoning() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let adapter = adapter(&mock);
    let stream = adapter.typed_stream(hello("m"), "mistral.tool-first").await.unwrap();
    assert_eq!(
        deltas(stream).await,
        vec![
            json!([{"role":"assistant","content":""}, null]),
            json!([{"tool_calls":[{"index":0,"id":"tooluse_ID","type":"function","function":{"name":"get_weather","arguments":""}}]}, null]),
            json!([{"tool_calls":[{"index":0,"function":{"arguments":"{\"location\":"}}]}, null]),
            json!([{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]}, null]),
            json!([{}, "tool_calls"]),
            json!({"usage":{"prompt_tokens":4,"completion_tokens":13,"total_tokens":17}}),
        ]
    );
    let stream = adapter.typed_stream(hello("m"), "deepseek.reasoning").await.unwrap();
    let got = deltas(stream).await;
    assert_eq!(got[1], json!([{"reasoning_content":"The user wants a short answer."}, null]));
}

#[tokio::test]
async fn claude_on_converse_carries_top_k_in_additional_fields() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let body = json!({"anthropic_version":"bedrock-2023-05-31","model":"c","max_tokens":50,"top_k":7,"messages":[{"role":"user","content":"hi"}]});
    let (_, chat) = obs_convert::ingress::parse_chat_request(body.to_string().as_bytes()).unwrap();
    let converse = BedrockAdapter::new(
        &sdk_config(&mock, "AKIDTEST"),
        BedrockSettings { claude_api: ClaudeApi::Converse, ..settings(&mock) },
    );
    converse.typed_chat(chat, "anthropic.claude-v2").await.unwrap();
    let sent = mock.recorder().last().unwrap().json();
    assert_eq!(sent["additionalModelRequestFields"], json!({"top_k":7}));
    assert_eq!(sent["inferenceConfig"], json!({"maxTokens":50}));
}

#[tokio::test]
async fn every_error_scenario_on_every_path() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let adapter = adapter(&mock);
    let scenarios = [
        ("throttle", ErrorCode::RateLimitExceeded),
        ("denied", ErrorCode::UpstreamAccessDenied),
        ("invalid", ErrorCode::UpstreamValidationError),
        ("notfound", ErrorCode::ModelNotFound),
        ("unavailable", ErrorCode::ServiceUnavailable),
        ("timeout", ErrorCode::UpstreamTimeout),
        ("midstream-error", ErrorCode::UpstreamError),
    ];
    let families = ["anthropic.claude", "amazon.titan-text", "meta.llama3"];
    for prefix in families {
        for (scenario, code) in scenarios {
            let model = format!("{prefix}-{scenario}");
            let error = adapter.typed_chat(hello(&model), &model).await.unwrap_err();
            assert_eq!(error.code, code, "{model}: {error:?}");
            if scenario == "midstream-error" {
                let items: Vec<_> = adapter.typed_stream(hello(&model), &model).await.unwrap().collect().await;
                let (last, first) = items.split_last().unwrap();
                assert!(first.len() >= 2 && first.iter().all(Result::is_ok), "{model}");
                assert_eq!(last.as_ref().unwrap_err().code, ErrorCode::UpstreamError, "{model}");
            } else {
                let error = adapter.typed_stream(hello(&model), &model).await.err().unwrap();
                assert_eq!(error.code, code, "{model} (stream)");
            }
        }
        let model = format!("{prefix}-disconnect");
        let items: Vec<_> = adapter.typed_stream(hello(&model), &model).await.unwrap().collect().await;
        assert!(items.last().unwrap().is_err(), "{model}: a cut stream must end in an error");
    }
    let validation = adapter.typed_chat(hello("x"), "anthropic.claude-invalid").await.unwrap_err();
    assert_eq!(validation.message, "The provided request is not valid (mock scenario 'invalid').");
}

/// What the default chain amounts to on a machine with nothing configured.
#[derive(Debug)]
struct NoCredentials;

impl aws_credential_types::provider::ProvideCredentials for NoCredentials {
    fn provide_credentials<'a>(&'a self) -> aws_credential_types::provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        aws_credential_types::provider::future::ProvideCredentials::ready(Err(
            aws_credential_types::provider::error::CredentialsError::not_loaded("no credentials configured"),
        ))
    }
}

#[tokio::test]
async fn rejected_and_missing_credentials_are_gateway_authentication_errors() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let rejected = BedrockAdapter::new(&sdk_config(&mock, REJECTED_ACCESS_KEY_ID), settings(&mock));
    let error: Error = rejected.typed_chat(hello("m"), "meta.llama3").await.unwrap_err();
    assert_eq!(error.code, ErrorCode::UpstreamAuthenticationError);
    assert!(!error.message.contains("test-secret"));

    let no_credentials = aws_types::SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(NoCredentials))
        .endpoint_url(mock.base_url())
        .build();
    let before = mock.recorder().count();
    let error =
        BedrockAdapter::new(&no_credentials, settings(&mock)).typed_chat(hello("m"), "meta.llama3").await.unwrap_err();
    assert_eq!(error.code, ErrorCode::UpstreamAuthenticationError, "{error:?}");
    assert_eq!(mock.recorder().count(), before, "nothing may be sent unsigned");
}

#[tokio::test]
async fn arn_ids_are_sent_percent_encoded() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    // A provisioned model: sent as it is (an application profile would first be looked up, bedrock_profiles.rs).
    let arn = "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/a1b2c3";
    adapter(&mock).typed_chat(hello("p"), arn).await.unwrap();
    let sent = mock.recorder().last().unwrap();
    assert_eq!(sent.model.as_deref(), Some(arn));
    assert_eq!(
        sent.path,
        "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aprovisioned-model%2Fa1b2c3/converse"
    );
}

#[tokio::test]
async fn idle_limit_cuts_a_silent_stream() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let timeouts = Timeouts {
        connect: Duration::from_secs(2),
        first_byte: Duration::from_secs(5),
        idle: Duration::from_millis(30),
    };
    let adapter = BedrockAdapter::new(&sdk_config(&mock, "AKIDTEST"), BedrockSettings { timeouts, ..settings(&mock) });
    let items: Vec<_> = adapter.typed_stream(hello("m"), "meta.llama-slow").await.unwrap().collect().await;
    assert_eq!(items.last().unwrap().as_ref().unwrap_err().code, ErrorCode::UpstreamTimeout);
}

// ---- no request leaves 127.0.0.1 ------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct LoopbackGuard {
    inner: SharedHttpClient,
    destinations: Arc<Mutex<Vec<String>>>,
}

#[derive(Debug)]
struct GuardConnector {
    inner: SharedHttpConnector,
    destinations: Arc<Mutex<Vec<String>>>,
}

impl HttpClient for LoopbackGuard {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(GuardConnector {
            inner: self.inner.http_connector(settings, components),
            destinations: self.destinations.clone(),
        })
    }
}

impl HttpConnector for GuardConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let uri = request.uri().to_owned();
        self.destinations.lock().unwrap().push(uri.clone());
        if !uri.starts_with("http://127.0.0.1:") {
            return HttpConnectorFuture::ready(Err(ConnectorError::other(
                format!("non-loopback request to {uri}").into(),
                None,
            )));
        }
        self.inner.call(request)
    }
}

#[tokio::test]
async fn no_request_leaves_loopback() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let destinations = Arc::new(Mutex::new(Vec::new()));
    let guard = LoopbackGuard {
        inner: aws_smithy_http_client::Builder::new().build_http(),
        destinations: destinations.clone(),
    };
    let config = sdk_config(&mock, "AKIDTEST").into_builder().http_client(guard).build();
    let invoke = BedrockAdapter::new(&config, settings(&mock));
    let converse = BedrockAdapter::new(&config, BedrockSettings { claude_api: ClaudeApi::Converse, ..settings(&mock) });
    // Claude and Titan through InvokeModel, Llama through Converse, then Claude through Converse.
    for (adapter, model) in [
        (&invoke, "anthropic.claude-3-haiku-20240307-v1:0"),
        (&invoke, "amazon.titan-text-express-v1"),
        (&invoke, "us.meta.llama3-tool"),
        (&converse, "anthropic.claude-3-haiku-20240307-v1:0"),
    ] {
        adapter.typed_chat(hello(model), model).await.unwrap();
        let items: Vec<_> = adapter.typed_stream(hello(model), model).await.unwrap().collect().await;
        assert!(items.iter().all(Result::is_ok));
    }
    let seen = destinations.lock().unwrap().clone();
    assert_eq!(seen.len(), 8);
    assert!(seen.iter().all(|uri| uri.starts_with(&mock.base_url())), "{seen:?}");
    assert_eq!(mock.recorder().count(), 8, "every request the SDK made reached the mock");
}

// ---- images ----------------------------------------------------------------------------------------------------

async fn image_server(content_type: &'static str) -> std::net::SocketAddr {
    use http_body_util::Full;
    use hyper_util::rt::{TokioExecutor, TokioIo};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |_req| async move {
                    let mut response = http::Response::new(Full::new(bytes::Bytes::from_static(b"\x89PNG\r\n")));
                    response.headers_mut().insert("content-type", http::HeaderValue::from_static(content_type));
                    Ok::<_, std::convert::Infallible>(response)
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

fn with_image(url: &str) -> ChatCompletionRequest {
    request(
        json!({"model":"c","messages":[{"role":"user","content":[{"type":"text","text":"what is this?"},{"type":"image_url","image_url":{"url":url}}]}]}),
    )
}

#[tokio::test]
async fn http_images_are_fetched_within_limits() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let png = image_server("image/png").await;
    let claude = "anthropic.claude-v2";

    // Loopback is refused by default: clients must not make the gateway probe its own network.
    let error = adapter(&mock).typed_chat(with_image(&format!("http://{png}/cat.png")), claude).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidValue);
    assert!(error.message.contains("private"), "{}", error.message);

    let open = BedrockAdapter::new(
        &sdk_config(&mock, "AKIDTEST"),
        BedrockSettings {
            images: ImageFetchSettings { allow_private_networks: true, ..ImageFetchSettings::default() },
            ..settings(&mock)
        },
    );
    open.typed_chat(with_image(&format!("http://{png}/cat.png")), claude).await.unwrap();
    assert_eq!(
        mock.recorder().last().unwrap().json()["messages"][0]["content"][1],
        json!({"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0K"}})
    );
    let text = image_server("text/html").await;
    let error = open.typed_chat(with_image(&format!("http://{text}/page")), claude).await.unwrap_err();
    assert!(error.message.contains("not an image"), "{}", error.message);

    // Nobody listens: one plain reason, the image named without its query; what the OS said goes to the log only.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let error = open
        .typed_chat(with_image(&format!("http://{closed}/cat.png?X-Amz-Signature=secret")), claude)
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidValue);
    assert_eq!(
        error.message,
        format!("Could not use the image at http://{closed}/cat.png: the image's server could not be reached.")
    );
    assert!(error.detail.as_deref().is_some_and(|d| !d.is_empty()), "the cause is kept for the log");
}

#[cfg(feature = "control-plane")]
#[tokio::test]
async fn list_models_returns_foundation_models_and_profiles() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let models = obs_adapters::ChatAdapter::list_models(&adapter(&mock)).await.unwrap();
    let ids: Vec<&str> = models.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "anthropic.claude-3-haiku-20240307-v1:0",
            "amazon.titan-text-express-v1",
            "amazon.nova-lite-v1:0",
            "meta.llama3-8b-instruct-v1:0",
            "mistral.mistral-large-2402-v1:0",
            // Embedding models, which /v1/embeddings serves.
            "amazon.titan-embed-text-v2:0",
            "cohere.embed-english-v3",
            "cohere.embed-v4:0",
            "us.anthropic.claude-3-5-sonnet-20241022-v2:0",
            "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "us.amazon.nova-lite-v1:0",
            // The account's application profiles, by ARN.
            "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/claudeapp01",
            "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/novaapp01",
        ]
    );
    assert!(models.iter().all(|m| m.owned_by == "bedrock"));
}
