//! Shared helpers: a configuration pointing both providers at one obs-mock.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use obs_mock::MockHandle;
use obs_models::openai::ChatCompletionRequest;
use obs_service::config::{Config, ConfigSources};

pub fn env_for(mock: &MockHandle) -> Vec<(String, String)> {
    vec![
        ("OPENAI_API_KEY".into(), "sk-test".into()),
        ("OPENAI_BASE_URL".into(), mock.openai_base_url()),
        ("AWS_REGION".into(), "us-east-1".into()),
        ("BEDROCK_ENDPOINT_URL".into(), mock.base_url()),
        ("BEDROCK_CONTROL_ENDPOINT_URL".into(), mock.base_url()),
        ("AWS_ACCESS_KEY_ID".into(), "AKIDTEST".into()),
        ("AWS_SECRET_ACCESS_KEY".into(), "test-secret".into()),
    ]
}

pub fn config_from(env: Vec<(String, String)>) -> Config {
    let map: HashMap<String, String> = env.into_iter().collect();
    let lookup = move |key: &str| map.get(key).cloned();
    let mut config = Config::load(ConfigSources { file: None, env: &lookup }).unwrap();
    config.retries.initial_backoff_ms = 5;
    config.retries.max_backoff_ms = 2_000;
    config
}

pub fn request(model: &str, stream: bool) -> ChatCompletionRequest {
    serde_json::from_value(serde_json::json!({"model": model, "stream": stream,
        "messages": [{"role": "user", "content": "hello gateway"}]}))
    .unwrap()
}
