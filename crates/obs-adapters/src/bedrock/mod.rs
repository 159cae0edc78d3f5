//! The Bedrock adapter: one `aws-sdk-bedrockruntime` client built from an `SdkConfig` and shared by every Bedrock
//! model, dispatching by API family to `strategy/{claude,titan,converse}.rs`.
//!
//! Retries are off in the SDK (obs-service decides them once, for every provider); time limits are obs's:
//! connect and read limits in the SDK's timeout config, first byte and idle between events with tokio timers.

pub mod catalog;
pub(crate) mod converse;
mod document;
mod errors;
mod event_stream;
pub mod images;
mod listing;
mod strategy;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_bedrockruntime::config::StalledStreamProtectionConfig;
use aws_sdk_bedrockruntime::config::retry::RetryConfig;
use aws_sdk_bedrockruntime::config::timeout::TimeoutConfig;
use obs_models::error::ErrorCode;
use obs_models::openai::{ChatCompletionRequest, ModelInfo};

pub use images::ImageFetchSettings;

pub use catalog::{BedrockFamily, ClaudeApi};

use crate::{ChatAdapter, Completion, Error, ItemStream, Timeouts};

/// Bedrock behaviour obs decides (not the SDK's defaults by accident).
#[derive(Debug, Clone)]
pub struct BedrockSettings {
    /// `max_tokens` for Claude when the client gave none (contract §3: 4096).
    pub claude_max_tokens: u32,
    /// `maxTokenCount` for Titan when the client gave none (contract §3: 512).
    pub titan_max_tokens: u32,
    /// Upstream time limits.
    pub timeouts: Timeouts,
    /// Which API Claude goes through.
    pub claude_api: ClaudeApi,
    /// Control-plane endpoint override (`BEDROCK_CONTROL_ENDPOINT_URL`), for listing models.
    pub control_endpoint_url: Option<String>,
    /// Limits on fetching http(s) image URLs.
    pub images: ImageFetchSettings,
}

impl Default for BedrockSettings {
    fn default() -> Self {
        BedrockSettings {
            claude_max_tokens: 4096,
            titan_max_tokens: 512,
            claude_api: ClaudeApi::Invoke,
            timeouts: Timeouts::default(),
            control_endpoint_url: None,
            images: ImageFetchSettings::default(),
        }
    }
}

pub(crate) struct Shared {
    pub(crate) client: aws_sdk_bedrockruntime::Client,
    pub(crate) settings: BedrockSettings,
    sdk_config: aws_types::SdkConfig,
}

impl Shared {
    /// Awaits an SDK call under the first-byte limit. The call comes boxed: an SDK call's future is tens of
    /// kilobytes, and inline it would make the strategy's, the adapter's and the gateway's futures as large — each
    /// copied whole when `async_trait` boxes it, on every request.
    pub(crate) async fn first_byte<F: Future>(&self, call: Pin<Box<F>>) -> Result<F::Output, Error> {
        tokio::time::timeout(self.settings.timeouts.first_byte, call)
            .await
            .map_err(|_| Error::new(ErrorCode::UpstreamTimeout, "Bedrock did not answer in time."))
    }
}

/// The Bedrock provider. Cheap to clone; clones share the client and its connection pool.
#[derive(Clone)]
pub struct BedrockAdapter {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for BedrockAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BedrockAdapter")
            .field("region", &self.shared.sdk_config.region())
            .field("settings", &self.shared.settings)
            .finish_non_exhaustive()
    }
}

impl BedrockAdapter {
    /// Builds the adapter from an `SdkConfig` (region, credentials provider, optional endpoint URL). Credentials
    /// are resolved lazily by the SDK on the first call — nothing is sent at construction.
    pub fn new(sdk_config: &aws_types::SdkConfig, settings: BedrockSettings) -> Self {
        // Retries are decided in obs-service; first-byte and idle limits are enforced around every call and
        // between stream events (see `Shared::first_byte` and `event_stream::drive`). The SDK's own per-read
        // timeout and stalled-stream guard would only repeat those with a timer and a body wrapper per request.
        let config = aws_sdk_bedrockruntime::config::Builder::from(sdk_config)
            .retry_config(RetryConfig::disabled())
            .timeout_config(TimeoutConfig::builder().connect_timeout(settings.timeouts.connect).build())
            .stalled_stream_protection(StalledStreamProtectionConfig::disabled())
            .build();
        let client = aws_sdk_bedrockruntime::Client::from_conf(config);
        BedrockAdapter { shared: Arc::new(Shared { client, settings, sdk_config: sdk_config.clone() }) }
    }
}

/// A routed Bedrock call: the model id as sent and the API family that serves it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target<'a> {
    pub(crate) model_id: &'a str,
    pub(crate) family: BedrockFamily,
}

impl BedrockAdapter {
    fn target<'a>(&self, model: &'a str) -> Result<Target<'a>, Error> {
        Ok(Target { model_id: model, family: catalog::family(model, self.shared.settings.claude_api)? })
    }
}

#[async_trait]
impl ChatAdapter for BedrockAdapter {
    /// Bedrock answers are always typed.
    async fn chat(&self, request: ChatCompletionRequest, model: &str) -> Result<Completion, Error> {
        let target = self.target(model)?;
        let answer = match target.family {
            BedrockFamily::ClaudeInvoke => strategy::claude::chat(&self.shared, request, target).await,
            BedrockFamily::TitanInvoke => strategy::titan::chat(&self.shared, request, target).await,
            BedrockFamily::ClaudeConverse | BedrockFamily::Converse => {
                strategy::converse::chat(&self.shared, request, target).await
            }
        };
        answer.map(Completion::Typed)
    }

    /// Bedrock chunks are always typed; the stream is built as items, so no layer wraps them on the way.
    async fn chat_stream(&self, request: ChatCompletionRequest, model: &str) -> Result<ItemStream, Error> {
        let target = self.target(model)?;
        match target.family {
            BedrockFamily::ClaudeInvoke => strategy::claude::chat_stream(&self.shared, request, target).await,
            BedrockFamily::TitanInvoke => strategy::titan::chat_stream(&self.shared, request, target).await,
            BedrockFamily::ClaudeConverse | BedrockFamily::Converse => {
                strategy::converse::chat_stream(&self.shared, request, target).await
            }
        }
    }

    async fn list_models(&self) -> Result<Vec<ModelInfo>, Error> {
        listing::list(&self.shared).await
    }
}
