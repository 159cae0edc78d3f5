//! Shared helpers: obs-mock instances configured as named providers of one gateway (one mock per provider, so
//! each mock's recorder tells which provider a request reached).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use futures::StreamExt;
use obs_mock::{MockConfig, MockHandle};
use obs_models::Error;
use obs_models::openai::ChatCompletionRequest;
use obs_service::config::Config;
use obs_service::routing::Served;
use obs_service::{Answer, AnswerStream, Gateway};

/// An OpenAI base URL nothing listens on (connection refused at once).
pub const UNREACHABLE_OPENAI: &str = "http://127.0.0.1:1/v1";
/// A Bedrock endpoint nothing listens on.
pub const UNREACHABLE_BEDROCK: &str = "http://127.0.0.1:1";
/// The mock's answer to [`request`].
pub const ANSWER: &str = "You said: hello gateway";
/// A Claude model the mock answers on the invoke API.
pub const HAIKU: &str = "anthropic.claude-3-haiku-20240307-v1:0";
/// [`HAIKU`]'s runtime path.
pub const HAIKU_INVOKE: &str = "/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke";
/// [`HAIKU`]'s streaming runtime path.
pub const HAIKU_STREAM: &str = "/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke-with-response-stream";

/// Fast failures: no retries unless a test asks for them.
pub const NO_RETRIES: &str = "[retries]\nmax_retries = 0\ninitial_backoff_ms = 5\n";

pub async fn mock() -> MockHandle {
    obs_mock::spawn(MockConfig::default()).await.unwrap()
}

/// `[providers.<name>]` of kind `openai` at a mock.
pub fn openai(name: &str, mock: &MockHandle) -> String {
    openai_at(name, &mock.openai_base_url())
}

/// `[providers.<name>]` of kind `openai` at any base URL.
pub fn openai_at(name: &str, base_url: &str) -> String {
    format!("[providers.{name}]\nkind = \"openai\"\napi_key = \"sk-{name}\"\nbase_url = \"{base_url}\"\n")
}

/// `[providers.<name>]` of kind `bedrock` at a mock (runtime and control plane), with static credentials whose
/// access key id is `AKID<NAME>` (upper case, no dashes).
pub fn bedrock(name: &str, mock: &MockHandle) -> String {
    bedrock_at(name, &mock.base_url(), "us-east-1")
}

/// `[providers.<name>]` of kind `bedrock` at any endpoint, in `region`.
pub fn bedrock_at(name: &str, endpoint: &str, region: &str) -> String {
    format!(
        "[providers.{name}]\nkind = \"bedrock\"\nregion = \"{region}\"\nendpoint_url = \"{endpoint}\"\n\
         control_endpoint_url = \"{endpoint}\"\n[providers.{name}.aws]\naccess_key_id = \"{}\"\n\
         secret_access_key = \"secret-{name}\"\n",
        access_key_id(name)
    )
}

/// The access key id [`bedrock`] gives provider `name`.
pub fn access_key_id(name: &str) -> String {
    format!("AKID{}", name.to_ascii_uppercase().replace(['-', '_', '.'], ""))
}

/// A gateway over a TOML configuration, validated as `Config::load` would.
pub fn gateway(toml: &str) -> Gateway {
    let config = Config::from_toml(toml).unwrap_or_else(|e| panic!("{e}\n{toml}"));
    config.validate().unwrap_or_else(|e| panic!("{e}\n{toml}"));
    Gateway::new(config).unwrap()
}

pub fn request(model: &str, stream: bool) -> ChatCompletionRequest {
    serde_json::from_value(serde_json::json!({"model": model, "stream": stream,
        "messages": [{"role": "user", "content": "hello gateway"}]}))
    .unwrap()
}

/// A request with the body's `user` field.
pub fn request_from(model: &str, user: &str) -> ChatCompletionRequest {
    serde_json::from_value(serde_json::json!({"model": model, "user": user,
        "messages": [{"role": "user", "content": "hello gateway"}]}))
    .unwrap()
}

pub fn served(provider: &str, model: &str, attempts: u32, retries: u32) -> Served {
    Served { provider: Arc::from(provider), model: model.to_owned(), attempts, retries }
}

/// The answer's text.
pub fn text(answer: Answer) -> String {
    let typed = answer.completion.into_typed().unwrap();
    typed.choices[0].message.content.clone().unwrap_or_default()
}

/// Every chunk's text, or the first error, and how many chunks came before it.
pub async fn stream_text(answer: AnswerStream) -> (String, Option<Error>) {
    let mut chunks = obs_service::typed_chunks(answer.stream);
    let mut text = String::new();
    while let Some(item) = chunks.next().await {
        match item {
            Ok(chunk) => {
                for choice in chunk.choices {
                    text.push_str(choice.delta.content.as_deref().unwrap_or(""));
                }
            }
            Err(error) => return (text, Some(error)),
        }
    }
    (text, None)
}

/// Runs `model` once, streamed or not, and returns who served it; panics unless the answer is the mock's text.
pub async fn serve(gateway: &Gateway, model: &str, stream: bool) -> Served {
    use obs_service::ChatService as _;
    if stream {
        let answer = gateway.chat_completion_stream(request(model, true)).await.unwrap_or_else(|e| panic!("{e}"));
        let served = answer.served.clone();
        assert_eq!(stream_text(answer).await, (ANSWER.to_owned(), None), "{model} stream");
        served
    } else {
        let answer = gateway.chat_completion(request(model, false)).await.unwrap_or_else(|e| panic!("{e}"));
        let served = answer.served.clone();
        assert_eq!(text(answer), ANSWER, "{model}");
        served
    }
}

/// Requests each mock received since the last call (counts are cumulative; `before` is updated).
pub fn deltas(mocks: &[&MockHandle], before: &mut Vec<u64>) -> Vec<u64> {
    let now: Vec<u64> = mocks.iter().map(|m| m.recorder().count()).collect();
    let delta = now.iter().zip(before.iter().chain(std::iter::repeat(&0))).map(|(n, b)| n - b).collect();
    *before = now;
    delta
}

/// A one-shot HTTP/1.1 server on `127.0.0.1:0` for answers obs-mock does not give: reads one request, answers with
/// `status`, `headers` and `body`, and hands back the request line it read. Returns its base URL.
pub async fn one_shot(status: &str, headers: &[(&str, &str)], body: &str) -> (String, tokio::task::JoinHandle<String>) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let mut response = format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n", body.len());
    for (name, value) in headers {
        response.push_str(&format!("{name}: {value}\r\n"));
    }
    response.push_str("\r\n");
    response.push_str(body);
    let task = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut received = Vec::new();
        let mut buffer = [0u8; 4096];
        // The headers, then as much body as content-length says.
        loop {
            let n = socket.read(&mut buffer).await.unwrap();
            assert!(n > 0, "connection closed before the whole request arrived");
            received.extend_from_slice(&buffer[..n]);
            let text = String::from_utf8_lossy(&received).into_owned();
            if let Some(end) = text.find("\r\n\r\n") {
                let length = text[..end]
                    .lines()
                    .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()))
                    .and_then(|v| v.parse::<usize>().ok())
                    .unwrap_or(0);
                if received.len() >= end + 4 + length {
                    break;
                }
            }
        }
        socket.write_all(response.as_bytes()).await.unwrap();
        String::from_utf8_lossy(&received).lines().next().unwrap().to_owned()
    });
    (url, task)
}
