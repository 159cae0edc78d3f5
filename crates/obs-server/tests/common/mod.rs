//! A real obs-server on 127.0.0.1:0 in demo mode (obs-mock in-process as both upstreams), and a reqwest client.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use obs_mock::MockHandle;
use obs_server::{RunningServer, ServeOptions};
use obs_service::config::Config;
use secrecy::SecretString;
use serde_json::Value;

pub const KEY: &str = "test-gateway-key";

pub struct TestServer {
    pub server: RunningServer,
    pub base: String,
    pub client: reqwest::Client,
}

pub async fn start(configure: impl FnOnce(&mut Config)) -> TestServer {
    let mut config = Config::default();
    config.server.port = 0;
    config.server.api_keys = vec![SecretString::from(KEY.to_owned())];
    config.retries.max_retries = 0;
    configure(&mut config);
    let server = obs_server::start(ServeOptions { config, no_auth: false, demo: true }).await.unwrap();
    let base = format!("http://{}", server.local_addr());
    TestServer { server, base, client: reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap() }
}

impl TestServer {
    pub fn mock(&self) -> &MockHandle {
        self.server.demo_upstream().unwrap()
    }

    pub async fn post(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client.post(format!("{}{path}", self.base)).bearer_auth(KEY).json(body).send().await.unwrap()
    }

    pub async fn post_raw(&self, path: &str, body: impl Into<reqwest::Body>) -> reqwest::Response {
        self.client.post(format!("{}{path}", self.base)).bearer_auth(KEY).body(body).send().await.unwrap()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(format!("{}{path}", self.base)).bearer_auth(KEY).send().await.unwrap()
    }
}

/// Status and parsed JSON body.
pub async fn status_json(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// The `data:` payloads of an SSE transcript (comments and `event:` lines skipped).
pub fn data_lines(transcript: &str) -> Vec<String> {
    transcript.lines().filter_map(|l| l.strip_prefix("data: ")).map(str::to_owned).collect()
}

pub fn chat(model: &str) -> Value {
    serde_json::json!({"model": model, "messages": [{"role": "user", "content": "hello obs"}]})
}
