//! A Bedrock adapter on obs-mock, signing with static test credentials: the real AWS SDK end to end, and never the
//! default credential chain (which would ask the instance metadata service).

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_bedrockruntime::config::{BehaviorVersion, Region};
use obs_adapters::bedrock::{BedrockAdapter, BedrockSettings};
use obs_mock::MockHandle;

/// The adapter with `settings`, its runtime endpoint at `mock`.
pub fn bedrock(mock: &MockHandle, settings: BedrockSettings) -> BedrockAdapter {
    let sdk = aws_types::SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new("AKIDTEST", "secret", None, None, "t")))
        .endpoint_url(mock.base_url())
        .build();
    BedrockAdapter::new(&sdk, settings)
}
