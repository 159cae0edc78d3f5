//! The [`Gateway`]: routes each request to its provider's adapter, retries what may be retried, peeks the first
//! stream chunk, lists models.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use obs_adapters::{ChatAdapter, ChunkStream, Completion, Error, ItemStream, typed_chunks};
use obs_models::error::ErrorCode;
use obs_models::openai::{ChatCompletionRequest, ChatCompletionResponse, ModelList};

use crate::config::Config;
use crate::models::{ModelCache, merge};
use crate::providers::Providers;
use crate::retry::RetryPolicy;
use crate::routing::{Provider, Route, Router};
use crate::{ChatService, credentials};

/// obs without HTTP: routing, providers, retries and model listing over one [`Config`].
pub struct Gateway {
    config: Arc<Config>,
    router: Router,
    providers: Providers,
    retry: RetryPolicy,
    models: ModelCache,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway").field("router", &self.router).field("retry", &self.retry).finish_non_exhaustive()
    }
}

impl Gateway {
    /// A gateway over a validated configuration. Builds nothing yet: each provider's adapter is built on its first
    /// request (no network traffic at construction).
    ///
    /// ```
    /// use obs_service::{ChatService, Gateway, config::{Config, ConfigSources}};
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let mock = obs_mock::spawn(obs_mock::MockConfig::default()).await.unwrap();
    /// let env = |key: &str| match key {
    ///     "OPENAI_API_KEY" => Some("sk-test".to_owned()),
    ///     "OPENAI_BASE_URL" => Some(mock.openai_base_url()),
    ///     _ => None,
    /// };
    /// let gateway = Gateway::new(Config::load(ConfigSources { file: None, env: &env }).unwrap());
    /// let request = serde_json::from_value(serde_json::json!({
    ///     "model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]
    /// })).unwrap();
    /// let answer = gateway.chat_completion(request).await.unwrap();
    /// assert_eq!(answer.choices[0].message.content.as_deref(), Some("You said: hi"));
    /// # });
    /// ```
    pub fn new(config: Config) -> Self {
        let aliases =
            config.aliases.iter().filter_map(|(name, alias)| alias.target().ok().map(|t| (name.clone(), t))).collect();
        let router = Router::new(aliases, config.routing.default_provider, config.bedrock.claude_api);
        let config = Arc::new(config);
        Gateway {
            router,
            providers: Providers::new(config.clone()),
            retry: RetryPolicy::from(&config.retries),
            models: ModelCache::new(Duration::from_secs(config.models.cache_seconds)),
            config,
        }
    }

    /// Uses `adapter` for `provider` instead of building one (custom providers, tests).
    pub fn with_adapter(self, provider: Provider, adapter: Arc<dyn ChatAdapter>) -> Self {
        self.providers.inject(provider, adapter);
        self
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Routes a model id (pure; callers use it to log the provider).
    pub fn route(&self, model: &str) -> Result<Route, Error> {
        self.router.route(model)
    }

    /// How many provider adapters have been built (at most one per provider, whatever the model ids).
    pub fn built_adapters(&self) -> usize {
        self.providers.built()
    }

    /// Runs `call` with retries; the last attempt gets the request itself, earlier ones a clone.
    async fn with_retries<T, F, Fut>(&self, request: ChatCompletionRequest, call: F) -> Result<T, Error>
    where
        F: Fn(ChatCompletionRequest) -> Fut,
        Fut: std::future::Future<Output = Result<T, Error>>,
    {
        let mut request = Some(request);
        let mut retry = 0;
        loop {
            let last = retry >= self.retry.max_retries;
            let attempt = if last { request.take() } else { request.clone() };
            let Some(attempt) = attempt else {
                return Err(Error::new(ErrorCode::InternalError, "Internal server error"));
            };
            match call(attempt).await {
                Ok(value) => return Ok(value),
                Err(error) => match self.retry.delay(retry, &error) {
                    Some(wait) if !last => {
                        tracing::info!(code = %error.code, retry = retry + 1, wait_ms = wait.as_millis() as u64, "retrying upstream call");
                        tokio::time::sleep(wait).await;
                        retry += 1;
                    }
                    _ => return Err(error),
                },
            }
        }
    }
}

impl Gateway {
    /// [`ChatService::chat_completion`] for a caller that answers in OpenAI format: an OpenAI-compatible provider's
    /// answer may come back as the upstream's own JSON (checked), to be sent as it came.
    pub async fn chat_completion_passthrough(&self, request: ChatCompletionRequest) -> Result<Completion, Error> {
        let route = self.router.route(&request.model)?;
        let adapter = self.providers.get(route.provider).await?;
        let target = route.target();
        self.with_retries(request, |attempt| adapter.chat_passthrough(attempt, &target)).await
    }

    /// [`ChatService::chat_completion_stream`] for a caller that answers in OpenAI format: an OpenAI-compatible
    /// provider's chunks may come back as the upstream's own (checked).
    pub async fn chat_completion_stream_passthrough(
        &self,
        request: ChatCompletionRequest,
    ) -> Result<ItemStream, Error> {
        let route = self.router.route(&request.model)?;
        let adapter = self.providers.get(route.provider).await?;
        let target = route.target();
        self.with_retries(request, |attempt| {
            let adapter = adapter.clone();
            let target = target.clone();
            async move {
                let mut stream = adapter.chat_stream_passthrough(attempt, &target).await?;
                // Peek: a failure before any output is an ordinary error (and retryable); the caller commits its
                // answer only once this first chunk exists.
                match stream.next().await {
                    Some(Ok(first)) => {
                        Ok(Box::pin(futures::stream::once(async move { Ok(first) }).chain(stream)) as ItemStream)
                    }
                    Some(Err(error)) => Err(error),
                    None => Err(Error::new(ErrorCode::UpstreamError, "The upstream stream ended before any output.")),
                }
            }
        })
        .await
    }
}

#[async_trait]
impl ChatService for Gateway {
    async fn chat_completion(&self, request: ChatCompletionRequest) -> Result<ChatCompletionResponse, Error> {
        Ok(self.chat_completion_passthrough(request).await?.into_typed()?)
    }

    async fn chat_completion_stream(&self, request: ChatCompletionRequest) -> Result<ChunkStream, Error> {
        self.chat_completion_stream_passthrough(request).await.map(typed_chunks)
    }

    async fn list_models(&self) -> Result<ModelList, Error> {
        if let Some(list) = self.models.get() {
            return Ok(list);
        }
        let openai = if self.config.openai_configured() {
            Some(match self.providers.get(Provider::OpenAi).await {
                Ok(adapter) => adapter.list_models().await,
                Err(error) => Err(error),
            })
        } else {
            None
        };
        let bedrock = if credentials::region(&self.config).await.is_some() {
            Some(match self.providers.get(Provider::Bedrock).await {
                Ok(adapter) => adapter.list_models().await,
                Err(error) => Err(error),
            })
        } else {
            None
        };
        let list = merge(vec![("openai", openai), ("bedrock", bedrock)], self.router.aliases().cloned())?;
        self.models.put(&list);
        Ok(list)
    }
}
