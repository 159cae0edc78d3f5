//! The factory: each provider's adapter is built once, on first use, and shared by every model it serves. Nothing
//! is keyed by the client's model string. A provider whose configuration is missing fails only its own requests.

use std::sync::Arc;

use obs_adapters::ChatAdapter;
use obs_adapters::bedrock::{BedrockAdapter, BedrockSettings, ImageFetchSettings};
use obs_adapters::openai::{OpenAiAdapter, OpenAiConfig, http_client};
use obs_models::error::ErrorCode;
use tokio::sync::OnceCell;

use crate::config::Config;
use crate::routing::Provider;
use crate::{Error, credentials};

type Slot = OnceCell<Result<Arc<dyn ChatAdapter>, Error>>;

pub(crate) struct Providers {
    config: Arc<Config>,
    openai: Slot,
    bedrock: Slot,
}

impl Providers {
    pub(crate) fn new(config: Arc<Config>) -> Self {
        Providers { config, openai: OnceCell::new(), bedrock: OnceCell::new() }
    }

    /// Uses `adapter` for `provider` instead of building one from the configuration.
    pub(crate) fn inject(&self, provider: Provider, adapter: Arc<dyn ChatAdapter>) {
        let _ = self.slot(provider).set(Ok(adapter));
    }

    fn slot(&self, provider: Provider) -> &Slot {
        match provider {
            Provider::OpenAi => &self.openai,
            Provider::Bedrock => &self.bedrock,
        }
    }

    /// The provider's adapter, built on first use.
    pub(crate) async fn get(&self, provider: Provider) -> Result<Arc<dyn ChatAdapter>, Error> {
        if let Some(built) = self.slot(provider).get() {
            return built.clone();
        }
        // Building loads AWS configuration, whose futures are tens of kilobytes. Boxed, they live on the heap once,
        // on the first request; inline, they would make every request's future that large, and every request
        // would copy it when the service call is boxed.
        Box::pin(self.build_once(provider)).await
    }

    async fn build_once(&self, provider: Provider) -> Result<Arc<dyn ChatAdapter>, Error> {
        self.slot(provider)
            .get_or_init(|| async {
                let built = match provider {
                    Provider::OpenAi => self.build_openai(),
                    Provider::Bedrock => self.build_bedrock().await,
                };
                if let Err(error) = &built {
                    tracing::warn!(provider = provider.as_str(), error = %error, "provider is not usable");
                }
                built
            })
            .await
            .clone()
    }

    /// How many adapters exist (for tests: it never exceeds the number of providers).
    pub(crate) fn built(&self) -> usize {
        usize::from(self.openai.initialized()) + usize::from(self.bedrock.initialized())
    }

    fn build_openai(&self) -> Result<Arc<dyn ChatAdapter>, Error> {
        let section = &self.config.openai;
        if !self.config.openai_configured() {
            return Err(Error::new(
                ErrorCode::UpstreamAuthenticationError,
                "OpenAI is not configured: set OPENAI_API_KEY (or openai.api_key), or OPENAI_BASE_URL for a server without keys.",
            ));
        }
        let timeouts = self.config.upstream_timeouts();
        let mut config = OpenAiConfig::new(section.base_url.clone(), section.api_key.clone());
        config.organization.clone_from(&section.organization);
        config.extra_headers = section.extra_headers.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        config.timeouts = timeouts;
        let adapter = OpenAiAdapter::new(config, http_client(timeouts.connect)?)?;
        Ok(Arc::new(adapter))
    }

    async fn build_bedrock(&self) -> Result<Arc<dyn ChatAdapter>, Error> {
        let Some(region) = credentials::region(&self.config).await else {
            return Err(Error::new(
                ErrorCode::ServiceUnavailable,
                "Bedrock is not configured: set AWS_REGION (or bedrock.region, or a region in the AWS profile).",
            ));
        };
        let (sdk_config, source) = credentials::bedrock_sdk_config(&self.config, region.clone()).await;
        tracing::info!(region = %region, credentials = source.label(), "bedrock provider ready");
        let section = &self.config.bedrock;
        let settings = BedrockSettings {
            claude_max_tokens: section.default_max_tokens_claude,
            titan_max_tokens: section.default_max_tokens_titan,
            timeouts: self.config.upstream_timeouts(),
            control_endpoint_url: section.control_endpoint_url.clone(),
            images: ImageFetchSettings {
                allow_private_networks: self.config.images.allow_private_networks,
                ..ImageFetchSettings::default()
            },
        };
        Ok(Arc::new(BedrockAdapter::new(&sdk_config, settings)))
    }
}
