//! The providers: one [`ProviderSlot`] per configured provider, whose adapter (HTTP client or AWS SDK client) is built
//! once, on first use, and shared by every model and group that names the provider. Nothing is keyed by the
//! client's model string. A provider whose configuration is incomplete fails only its own requests.

use std::sync::Arc;

use obs_adapters::ChatAdapter;
use obs_adapters::bedrock::{BedrockAdapter, BedrockSettings, ImageFetchSettings};
use obs_adapters::openai::{OpenAiAdapter, OpenAiConfig, http_client};
use obs_models::Error;
use obs_models::error::ErrorCode;
use tokio::sync::OnceCell;

use crate::config::{BedrockProvider, Config, ImagesSection, OpenAiSection, ProviderConfig, TimeoutsSection};
use crate::credentials;

/// One configured provider: its name, settings and (once built) adapter.
pub struct ProviderSlot {
    name: Arc<str>,
    config: ProviderConfig,
    timeouts: TimeoutsSection,
    images: ImagesSection,
    /// `[reasoning] budgets`, for a Bedrock provider's thinking budgets.
    effort_budgets: obs_convert::bedrock::reasoning::EffortBudgets,
    adapter: OnceCell<Result<Arc<dyn ChatAdapter>, Error>>,
    /// A Bedrock provider's region, once looked up (its profile may have to be read).
    region: OnceCell<Option<String>>,
    /// The Bedrock provider whose `ApplyGuardrail` checks this one's guarded requests (`apply_guardrail`).
    checker: std::sync::OnceLock<Arc<ProviderSlot>>,
}

impl std::fmt::Debug for ProviderSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderSlot").field("name", &self.name).field("kind", &self.config.kind()).finish()
    }
}

impl ProviderSlot {
    /// A provider as configured; nothing is built or sent yet.
    pub(crate) fn new(name: &str, config: ProviderConfig, defaults: &Config) -> Self {
        let timeouts = match &config {
            ProviderConfig::OpenAi(section) => section.timeouts.clone(),
            ProviderConfig::Bedrock(provider) => provider.bedrock.timeouts.clone(),
        }
        .unwrap_or_else(|| defaults.timeouts.clone());
        ProviderSlot {
            name: Arc::from(name),
            config,
            timeouts,
            images: defaults.images.clone(),
            effort_budgets: defaults.reasoning.budgets.table(),
            adapter: OnceCell::new(),
            region: OnceCell::new(),
            checker: std::sync::OnceLock::new(),
        }
    }

    /// Whether calls to this provider are made as the caller's team: a Bedrock provider with `aws.team_sessions`,
    /// or a provider whose guardrail checks go to one. Elsewhere the team is not passed at all, so it costs nothing.
    pub(crate) fn uses_team_sessions(&self) -> bool {
        let own = matches!(&self.config, ProviderConfig::Bedrock(provider) if provider.aws.team_sessions);
        own || self.checker.get().is_some_and(|checker| checker.uses_team_sessions())
    }

    /// Checks this provider's guarded requests with `bedrock`'s `ApplyGuardrail` (set once, by the routing table).
    pub(crate) fn check_guardrails_with(&self, bedrock: Arc<ProviderSlot>) {
        let _ = self.checker.set(bedrock);
    }

    /// The provider's name.
    pub fn name(&self) -> &Arc<str> {
        &self.name
    }

    /// The provider's settings.
    pub fn config(&self) -> &ProviderConfig {
        &self.config
    }

    /// Checks, without I/O, that this provider can serve `model` (Bedrock refuses models that do not chat).
    pub(crate) fn check_model(&self, model: &str) -> Result<(), Error> {
        match &self.config {
            ProviderConfig::OpenAi(_) => Ok(()),
            ProviderConfig::Bedrock(provider) => {
                obs_adapters::bedrock::catalog::family(model, provider.bedrock.claude_api).map(|_| ())
            }
        }
    }

    /// Checks, without I/O, that this provider can embed with `model` (Bedrock refuses models that do not embed).
    pub(crate) fn check_embedding_model(&self, model: &str) -> Result<(), Error> {
        match &self.config {
            ProviderConfig::OpenAi(_) => Ok(()),
            ProviderConfig::Bedrock(_) => obs_adapters::bedrock::catalog::embedding_family(model).map(|_| ()),
        }
    }

    /// A Bedrock provider's region (its `region`, else its profile's, read once); None for other kinds.
    pub(crate) async fn region(&self) -> Option<&str> {
        let ProviderConfig::Bedrock(provider) = &self.config else { return None };
        self.region
            .get_or_init(|| async { credentials::region(provider).await.map(|r| r.as_ref().to_owned()) })
            .await
            .as_deref()
    }

    /// Uses `adapter` instead of building one from the configuration (custom providers, tests).
    pub(crate) fn inject(&self, adapter: Arc<dyn ChatAdapter>) {
        let _ = self.adapter.set(Ok(adapter));
    }

    /// Whether the adapter exists yet (a provider whose configuration failed to build has none).
    pub(crate) fn built(&self) -> bool {
        matches!(self.adapter.get(), Some(Ok(_)))
    }

    /// The adapter, built on first use.
    pub(crate) async fn adapter(&self) -> Result<Arc<dyn ChatAdapter>, Error> {
        if let Some(built) = self.adapter.get() {
            return built.clone();
        }
        // Building loads AWS configuration, whose futures are tens of kilobytes. Boxed, they live on the heap once,
        // on the first request; inline, they would make every request's future that large, and every request
        // would copy it when the service call is boxed.
        Box::pin(self.build_once()).await
    }

    /// Whether listing this provider's models can work at all (an OpenAI key or base URL, a Bedrock region).
    pub(crate) async fn listable(&self) -> bool {
        match &self.config {
            ProviderConfig::OpenAi(section) => section.configured(),
            ProviderConfig::Bedrock(provider) => credentials::region(provider).await.is_some(),
        }
    }

    async fn build_once(&self) -> Result<Arc<dyn ChatAdapter>, Error> {
        self.adapter
            .get_or_init(|| async {
                let built = match &self.config {
                    ProviderConfig::OpenAi(section) => self.build_openai(section),
                    ProviderConfig::Bedrock(provider) => self.build_bedrock(provider).await,
                };
                let built = match (built, self.checker.get()) {
                    (Ok(adapter), Some(bedrock)) => {
                        Ok(crate::apply_guardrail::GuardedAdapter::wrap(adapter, bedrock.clone()))
                    }
                    (built, _) => built,
                };
                if let Err(error) = &built {
                    tracing::warn!(provider = %self.name, error = %error, "provider is not usable");
                }
                built
            })
            .await
            .clone()
    }

    fn build_openai(&self, section: &OpenAiSection) -> Result<Arc<dyn ChatAdapter>, Error> {
        if !section.configured() {
            let how = if &*self.name == crate::config::OPENAI {
                "set OPENAI_API_KEY (or openai.api_key), or OPENAI_BASE_URL for a server without keys".to_owned()
            } else {
                format!("set providers.{}.api_key or providers.{}.base_url", self.name, self.name)
            };
            return Err(Error::new(
                ErrorCode::UpstreamAuthenticationError,
                format!("The provider '{}' is not configured: {how}.", self.name),
            ));
        }
        let timeouts = self.timeouts.durations();
        let mut config = OpenAiConfig::new(section.base_url.clone(), section.api_key.clone());
        config.organization.clone_from(&section.organization);
        config.extra_headers = section.extra_headers.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        config.timeouts = timeouts;
        let adapter = OpenAiAdapter::new(config, http_client(timeouts.connect)?)?;
        Ok(Arc::new(adapter))
    }

    async fn build_bedrock(&self, provider: &BedrockProvider) -> Result<Arc<dyn ChatAdapter>, Error> {
        let Some(region) = credentials::region(provider).await else {
            let how = if &*self.name == crate::config::BEDROCK {
                "set AWS_REGION (or bedrock.region, or a region in the AWS profile)".to_owned()
            } else {
                format!("set providers.{}.region (or a region in its AWS profile)", self.name)
            };
            return Err(Error::new(
                ErrorCode::ServiceUnavailable,
                format!("The provider '{}' is not configured: {how}.", self.name),
            ));
        };
        let (sdk_config, source) = credentials::bedrock_sdk_config(provider, region.clone()).await;
        let team_credentials = credentials::team_credentials(&provider.aws, &region).await;
        tracing::info!(provider = %self.name, region = %region, credentials = source.label(), "bedrock provider ready");
        let section = &provider.bedrock;
        let settings = BedrockSettings {
            claude_max_tokens: section.default_max_tokens_claude,
            titan_max_tokens: section.default_max_tokens_titan,
            claude_api: section.claude_api,
            structured_output: section.structured_output,
            guardrail: section.guardrail.clone(),
            cache_auto: section.cache.auto,
            effort_budgets: self.effort_budgets,
            team_credentials,
            api_key: section.api_key.clone(),
            timeouts: self.timeouts.durations(),
            control_endpoint_url: section.control_endpoint_url.clone(),
            images: ImageFetchSettings {
                allow_private_networks: self.images.allow_private_networks,
                ..ImageFetchSettings::default()
            },
        };
        Ok(Arc::new(BedrockAdapter::new(&sdk_config, settings)))
    }
}
