//! A Bedrock-kind provider configured with a Bedrock API key (`api_key`, the built-in provider's
//! `AWS_BEARER_TOKEN_BEDROCK`) reaches Bedrock with `Authorization: Bearer <key>` through the whole gateway, while a
//! provider without one signs with SigV4 — one gateway, both at once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use obs_mock::{MockConfig, spawn};
use obs_service::config::Config;
use obs_service::{ChatService, Gateway};
use pretty_assertions::assert_eq;

#[tokio::test]
async fn a_provider_with_an_api_key_sends_it_and_one_without_signs() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let url = mock.base_url();
    let toml = format!(
        "[providers.keyed]\nkind = \"bedrock\"\nregion = \"us-east-1\"\nendpoint_url = \"{url}\"\napi_key = \"br-key-1\"\n\
         [providers.signed]\nkind = \"bedrock\"\nregion = \"us-east-1\"\nendpoint_url = \"{url}\"\n\
         [providers.signed.aws]\naccess_key_id = \"AKIDTEST\"\nsecret_access_key = \"secret\"\n"
    );
    let config = Config::from_toml(&toml).unwrap();
    config.validate().unwrap();
    let gateway = Gateway::new(config).unwrap();
    for (provider, expected) in [("keyed", Some("Bearer br-key-1")), ("signed", None)] {
        let request = serde_json::from_value(serde_json::json!({
            "model": format!("{provider}/anthropic.claude-3-haiku-20240307-v1:0"),
            "messages": [{"role": "user", "content": "hi"}]}))
        .unwrap();
        gateway.chat_completion(request).await.unwrap();
        let sent = mock.recorder().last().unwrap();
        let authorization = sent.header("authorization").unwrap();
        match expected {
            Some(bearer) => assert_eq!(authorization, bearer),
            None => assert!(authorization.starts_with("AWS4-HMAC-SHA256 Credential=AKIDTEST/"), "{authorization}"),
        }
    }
    assert!(!format!("{:?}", Config::from_toml(&toml).unwrap()).contains("br-key-1"), "the key is a secret");
}
