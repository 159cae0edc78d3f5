//! The Bedrock adapter: one `aws-sdk-bedrockruntime` client built from an `SdkConfig` and shared by every Bedrock
//! model, dispatching by API family to `strategy/{claude,titan,converse}.rs`.
//!
//! Retries are off in the SDK (obs-service decides them once, for every provider); time limits are obs's:
//! connect and read limits in the SDK's timeout config, first byte and idle between events with tokio timers.

pub mod anthropic_models;
pub mod cache_auto;
pub mod catalog;
pub(crate) mod converse;
mod document;
mod embeddings;
mod errors;
mod event_stream;
mod guardrails;
pub mod images;
mod listing;
mod messages;
pub mod profiles;
mod runtime;
mod strategy;
pub mod structured;
mod team_clients;
mod thinking_cache;
mod tiers;

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
pub use team_clients::{MAX_TEAM_CLIENTS, TeamCredentials};

use crate::{ChatAdapter, Completion, Error, ItemStream, Timeouts};

/// Bedrock behaviour obs decides (not the SDK's defaults by accident).
#[derive(Debug, Clone)]
pub struct BedrockSettings {
    /// `max_tokens` for Claude when the client gave none (docs/reference/formats.md §3: 4096).
    pub claude_max_tokens: u32,
    /// `maxTokenCount` for Titan when the client gave none (docs/reference/formats.md §3: 512).
    pub titan_max_tokens: u32,
    /// Upstream time limits.
    pub timeouts: Timeouts,
    /// Which API Claude goes through.
    pub claude_api: ClaudeApi,
    /// How `response_format` is given: natively where the model takes it, or through a forced tool.
    pub structured_output: structured::StructuredOutputMethod,
    /// The provider's guardrail (`guardrail = {id, version, trace}`), for requests that name none of their own.
    pub guardrail: Option<obs_models::guardrail::Guardrail>,
    /// A Bedrock API key: sent as `Authorization: Bearer …` (the SDK's HTTP bearer auth) instead of SigV4.
    pub api_key: Option<secrecy::SecretString>,
    /// Control-plane endpoint override (`BEDROCK_CONTROL_ENDPOINT_URL`), for listing models.
    pub control_endpoint_url: Option<String>,
    /// Limits on fetching http(s) image URLs.
    pub images: ImageFetchSettings,
    /// `cache.auto`: cache breakpoints after the tools and the system prompt ([`cache_auto`]).
    pub cache_auto: bool,
    /// `[reasoning] budgets`: the thinking budget of each `reasoning_effort`.
    pub effort_budgets: obs_convert::bedrock::reasoning::EffortBudgets,
    /// `aws.team_sessions`: the credentials a team's requests use ([`crate::team`]); `None`: the provider's for
    /// every request.
    pub team_credentials: Option<TeamCredentials>,
}

impl Default for BedrockSettings {
    fn default() -> Self {
        BedrockSettings {
            claude_max_tokens: 4096,
            titan_max_tokens: 512,
            claude_api: ClaudeApi::Invoke,
            structured_output: structured::StructuredOutputMethod::Auto,
            guardrail: None,
            api_key: None,
            timeouts: Timeouts::default(),
            control_endpoint_url: None,
            images: ImageFetchSettings::default(),
            cache_auto: false,
            effort_budgets: Default::default(),
            team_credentials: None,
        }
    }
}

pub(crate) struct Shared {
    /// The provider's client; [`Shared::client`] chooses between it and a team's.
    base_client: aws_sdk_bedrockruntime::Client,
    team_clients: Option<team_clients::TeamClients>,
    pub(crate) settings: BedrockSettings,
    sdk_config: aws_types::SdkConfig,
    /// Claude's tool-turn thinking, for clients that send the turn back without it.
    pub(crate) thinking: Arc<thinking_cache::ThinkingCache>,
    /// The models behind the application inference profiles asked for.
    pub(crate) profiles: profiles::Profiles,
}

impl Shared {
    /// The client a runtime call is sent with: the team's, inside [`crate::team::on_behalf_of`] on a provider
    /// with team sessions; the provider's otherwise.
    pub(crate) fn client(&self) -> aws_sdk_bedrockruntime::Client {
        match (&self.team_clients, crate::team::current()) {
            (Some(teams), Some(team)) => teams.client(&self.base_client, &team),
            _ => self.base_client.clone(),
        }
    }

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
        let mut config = aws_sdk_bedrockruntime::config::Builder::from(sdk_config)
            .retry_config(RetryConfig::disabled())
            .timeout_config(TimeoutConfig::builder().connect_timeout(settings.timeouts.connect).build())
            .stalled_stream_protection(StalledStreamProtectionConfig::disabled());
        if let Some(key) = &settings.api_key {
            // A Bedrock API key replaces SigV4 for the runtime calls, as AWS documents (AWS_BEARER_TOKEN_BEDROCK).
            use secrecy::ExposeSecret as _;
            config = config
                .bearer_token(aws_sdk_bedrockruntime::config::Token::new(key.expose_secret(), None))
                .auth_scheme_preference([aws_smithy_runtime_api::client::auth::http::HTTP_BEARER_AUTH_SCHEME_ID]);
        }
        let config = config.build();
        let client = aws_sdk_bedrockruntime::Client::from_conf(config);
        let thinking = Arc::new(thinking_cache::ThinkingCache::default());
        let profiles = profiles::Profiles::default();
        let team_clients = settings.team_credentials.clone().map(team_clients::TeamClients::new);
        let shared =
            Shared { base_client: client, team_clients, settings, sdk_config: sdk_config.clone(), thinking, profiles };
        BedrockAdapter { shared: Arc::new(shared) }
    }
}

/// A routed Bedrock call: the model id as sent, the API family that serves it, and the model whose capabilities
/// apply.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target<'a> {
    pub(crate) model_id: &'a str,
    pub(crate) family: BedrockFamily,
    /// `model_id`, or the foundation model behind an application inference profile ([`profiles`]): what the
    /// family and the capability tables (structured output, reasoning, caching) are looked up by.
    pub(crate) known_as: &'a str,
}

impl BedrockAdapter {
    fn target_known_as<'a>(&self, model: &'a str, underlying: Option<&'a str>) -> Result<Target<'a>, Error> {
        let known_as = underlying.unwrap_or(model);
        Ok(Target { model_id: model, family: catalog::family(known_as, self.shared.settings.claude_api)?, known_as })
    }
}

#[async_trait]
impl ChatAdapter for BedrockAdapter {
    /// Bedrock answers are always typed.
    async fn chat(&self, request: ChatCompletionRequest, model: &str) -> Result<Completion, Error> {
        let underlying = self.shared.profiles.underlying(&self.shared, model).await;
        let target = self.target_known_as(model, underlying.as_deref())?;
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
        let underlying = self.shared.profiles.underlying(&self.shared, model).await;
        let target = self.target_known_as(model, underlying.as_deref())?;
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

    fn messages(&self) -> Option<&dyn crate::MessagesAdapter> {
        Some(self)
    }

    fn embeddings(&self) -> Option<&dyn crate::EmbeddingsAdapter> {
        Some(self)
    }

    fn bedrock_runtime(&self) -> Option<&dyn crate::RuntimeAdapter> {
        Some(self)
    }

    fn guardrail_checker(&self) -> Option<&dyn crate::GuardrailChecker> {
        Some(self)
    }
}
