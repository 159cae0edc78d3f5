//! `--demo`: obs-mock in-process, both providers pointed at it with dummy credentials — an emulator of OpenAI and
//! Bedrock that answers like a model (text derived from the prompt, tool calls built from the tool's schema, JSON
//! for structured output), no keys, no network. `docs/demo.md` describes what it answers.

use obs_mock::{MockConfig, MockHandle};
use obs_service::config::{AwsSection, Config};
use secrecy::SecretString;

pub(crate) async fn prepare(config: &mut Config) -> std::io::Result<MockHandle> {
    let mock = obs_mock::spawn(MockConfig::default()).await?;
    config.openai.base_url = mock.openai_base_url();
    config.openai.api_key = Some(SecretString::from("demo-openai-key".to_owned()));
    config.bedrock.region = Some(config.bedrock.region.clone().unwrap_or_else(|| "us-east-1".to_owned()));
    config.bedrock.endpoint_url = Some(mock.base_url());
    config.bedrock.control_endpoint_url = Some(mock.base_url());
    config.aws = AwsSection {
        access_key_id: Some("AKIDOBSDEMO".to_owned()),
        secret_access_key: Some(SecretString::from("demo-secret".to_owned())),
        ..AwsSection::default()
    };
    tracing::info!(upstream = %mock.base_url(), "demo mode: OpenAI and Bedrock are emulated in-process");
    Ok(mock)
}
