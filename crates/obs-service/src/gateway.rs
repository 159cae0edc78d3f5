//! The [`Gateway`]: plans each request on the routing table and runs the plan — retries on each target, then the
//! next target on a failure before the first byte — peeks the first stream chunk, lists models.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::future::BoxFuture;
use futures::{Stream, StreamExt};
use obs_adapters::{ChatAdapter, Completion, ItemStream};
use obs_models::Error;
use obs_models::error::ErrorCode;
use obs_models::openai::{ChatCompletionRequest, ModelList};

use crate::config::{Config, ConfigError};
use crate::models::ModelCache;
use crate::retry::RetryPolicy;
use crate::routing::{InFlight, Outcome, Plan, RoutingTable, Served, TargetStatus};
use crate::{Answer, AnswerStream, ChatService, RequestContext};

/// obs without HTTP: providers, model groups, retries, fallback and model listing over one [`Config`].
pub struct Gateway {
    config: Arc<Config>,
    table: RoutingTable,
    retry: RetryPolicy,
    models: ModelCache,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway").field("table", &self.table).field("retry", &self.retry).finish_non_exhaustive()
    }
}

impl Gateway {
    /// A gateway over a configuration (as [`Config::load`] gives it; checked again here). Builds no client yet:
    /// each provider's adapter is built on its first request, so nothing is sent at construction.
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
    /// let gateway = Gateway::new(Config::load(ConfigSources { file: None, env: &env }).unwrap()).unwrap();
    /// let request = serde_json::from_value(serde_json::json!({
    ///     "model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]
    /// })).unwrap();
    /// let answer = gateway.chat_completion(request).await.unwrap();
    /// assert_eq!(answer.served.target(), "openai/gpt-4o");
    /// let typed = answer.completion.into_typed().unwrap();
    /// assert_eq!(typed.choices[0].message.content.as_deref(), Some("You said: hi"));
    /// # });
    /// ```
    pub fn new(config: Config) -> Result<Self, ConfigError> {
        // A configuration built by hand gets the checks Config::load makes; building the table is the last of them.
        config.validate_values()?;
        let table = RoutingTable::build(&config)?;
        Ok(Gateway {
            table,
            retry: RetryPolicy::from(&config.retries),
            models: ModelCache::new(Duration::from_secs(config.models.cache_seconds)),
            config: Arc::new(config),
        })
    }

    /// Uses `adapter` for the provider `provider` instead of building one (custom providers, tests). Unknown
    /// names are ignored.
    pub fn with_adapter(self, provider: &str, adapter: Arc<dyn ChatAdapter>) -> Self {
        if let Some(slot) = self.table.provider(provider) {
            slot.inject(adapter);
        }
        self
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The routing table (plans, group and target state).
    pub fn routing(&self) -> &RoutingTable {
        &self.table
    }

    /// Every group target's health and load, for `/obs/targets` and `/metrics`.
    pub fn targets(&self) -> Vec<TargetStatus> {
        self.table.targets()
    }

    /// How many provider adapters have been built (at most one per provider, whatever the model ids).
    pub fn built_adapters(&self) -> usize {
        self.table.providers().iter().filter(|slot| slot.built()).count()
    }

    /// Runs a plan: each candidate with its retries, the next one after a failure that another target might not
    /// have. The last attempt gets the request itself, earlier ones a clone — a shallow one: the messages, which
    /// hold nearly all of a large request's bytes, are shared, not copied.
    pub(crate) async fn run<C: Call>(&self, plan: Plan, request: C::Request, call: C) -> Result<C::Output, Error> {
        let Plan { candidates, team, .. } = plan;
        let total = candidates.len();
        let mut request = Some(request);
        let mut throttled = 0;
        let mut retries_before = 0;
        let mut shortest_retry_after: Option<f64> = None;
        for (index, candidate) in candidates.into_iter().enumerate() {
            let final_candidate = index + 1 == total;
            let in_flight = candidate.begin();
            let mut retry = 0;
            let outcome = loop {
                let adapter = match candidate.provider().adapter().await {
                    Ok(adapter) => adapter,
                    Err(error) => break Err(error),
                };
                let last_attempt = final_candidate && retry >= self.retry.max_retries;
                let attempt = if last_attempt { request.take() } else { request.clone() };
                let Some(attempt) = attempt else {
                    break Err(Error::new(ErrorCode::InternalError, "Internal server error"));
                };
                let attempted = call.call(&*adapter, attempt, candidate.model());
                let team = team.as_ref().filter(|_| candidate.provider().uses_team_sessions());
                match obs_adapters::team::on_behalf_of(team, attempted).await {
                    Ok(output) => break Ok(output),
                    Err(error) => match self.retry.delay(retry, &error) {
                        Some(wait) if !last_attempt => {
                            tracing::info!(code = %error.code, retry = retry + 1, wait_ms = wait.as_millis() as u64, "retrying upstream call");
                            tokio::time::sleep(wait).await;
                            retry += 1;
                        }
                        _ => break Err(error),
                    },
                }
            };
            match outcome {
                Ok(output) => {
                    // A stream's health is decided when it ends, unless it is a probe (which the first chunk
                    // settles, so other requests need not wait out a long stream).
                    if C::SETTLED_AT_START || candidate.is_probe() {
                        candidate.record(Outcome::Answered);
                    }
                    let served = Served {
                        provider: candidate.provider().name().clone(),
                        attempts: u32::try_from(index + 1).unwrap_or(u32::MAX),
                        retries: retries_before + retry,
                        model: candidate.into_model(),
                    };
                    return Ok(C::finish(output, served, in_flight));
                }
                Err(mut error) => {
                    retries_before += retry;
                    error.retries = retries_before;
                    // A target that cannot honour a parameter (tools on Titan) may be followed by one that can;
                    // it says nothing about the target's health.
                    let unsupported = error.code == ErrorCode::UnsupportedParameter;
                    let fallback = error.allows_fallback() || unsupported;
                    candidate.record(if error.allows_fallback() {
                        Outcome::Failed
                    } else if error.code.is_upstream() {
                        Outcome::Answered
                    } else {
                        Outcome::NotSent
                    });
                    if error.code == ErrorCode::RateLimitExceeded {
                        throttled += 1;
                        let after = error.retry_after.as_deref().and_then(|v| v.trim().parse::<f64>().ok());
                        shortest_retry_after = match (shortest_retry_after, after) {
                            (Some(a), Some(b)) => Some(a.min(b)),
                            (a, b) => a.or(b),
                        };
                    }
                    if !fallback || final_candidate {
                        // A lone target's 429 passes the upstream's own retry-after on, as it came.
                        if total > 1 && throttled == index + 1 && error.code == ErrorCode::RateLimitExceeded {
                            // Every target throttled: tell the client when the soonest might take a request (at
                            // most an hour, whatever an upstream claimed).
                            let seconds = shortest_retry_after.map_or(1.0, |s| s.ceil().clamp(1.0, 3600.0));
                            error.retry_after = Some(format!("{seconds}"));
                        }
                        return Err(error);
                    }
                    tracing::info!(
                        provider = %candidate.provider().name(),
                        model = candidate.model(),
                        code = %error.code,
                        "target failed; falling back to the next"
                    );
                }
            }
        }
        Err(Error::new(ErrorCode::ModelNotFound, "No target can serve this model.").with_param("model"))
    }
}

/// One kind of upstream call a plan runs: chat answers or streams, and the Messages route's (`messages.rs`).
pub(crate) trait Call: Sync {
    /// Whether the target's health is settled when the call returns (a whole answer), not when a stream ends.
    const SETTLED_AT_START: bool;
    /// What each attempt is given; cloned for every attempt but the last, so it should be cheap to clone.
    type Request: Clone + Send;
    type Upstream: Send;
    type Output: Send;
    fn call<'a>(
        &'a self,
        adapter: &'a dyn ChatAdapter,
        request: Self::Request,
        model: &'a str,
    ) -> BoxFuture<'a, Result<Self::Upstream, Error>>;
    fn finish(upstream: Self::Upstream, served: Served, in_flight: Option<InFlight>) -> Self::Output;
}

/// A stream whose first item has arrived: a failure before any output is an ordinary error (retryable, and the
/// next target may be tried); the caller commits its answer only once this first item exists.
pub(crate) async fn peek<T: Send + 'static>(
    mut stream: Pin<Box<dyn Stream<Item = Result<T, Error>> + Send>>,
) -> Result<Pin<Box<dyn Stream<Item = Result<T, Error>> + Send>>, Error> {
    match stream.next().await {
        Some(Ok(first)) => Ok(Box::pin(futures::stream::once(async move { Ok(first) }).chain(stream))),
        Some(Err(error)) => Err(error),
        None => Err(Error::new(ErrorCode::UpstreamError, "The upstream stream ended before any output.")),
    }
}

/// A group target's stream counts as in flight until it ends or the client leaves. Its health hears how it ended:
/// a clean end is a success, an upstream failure after output started a failure (one that is never retried or
/// fallen back from).
pub(crate) fn track<T: Send + 'static>(
    stream: Pin<Box<dyn Stream<Item = Result<T, Error>> + Send>>,
    in_flight: Option<InFlight>,
) -> Pin<Box<dyn Stream<Item = Result<T, Error>> + Send>> {
    let Some(mut in_flight) = in_flight else { return stream };
    let mut inner = stream;
    Box::pin(futures::stream::poll_fn(move |cx| {
        let item = inner.as_mut().poll_next(cx);
        match &item {
            std::task::Poll::Ready(Some(Err(error))) if error.allows_fallback() => in_flight.stream_ended(false),
            std::task::Poll::Ready(None) => in_flight.stream_ended(true),
            _ => {}
        }
        item
    }))
}

struct Whole;

impl Call for Whole {
    const SETTLED_AT_START: bool = true;
    type Request = ChatCompletionRequest;
    type Upstream = Completion;
    type Output = Answer;

    fn call<'a>(
        &'a self,
        adapter: &'a dyn ChatAdapter,
        request: ChatCompletionRequest,
        model: &'a str,
    ) -> BoxFuture<'a, Result<Completion, Error>> {
        // The adapter's own boxed future, not another box around it.
        adapter.chat(request, model)
    }

    fn finish(completion: Completion, served: Served, _in_flight: Option<InFlight>) -> Answer {
        Answer { completion, served }
    }
}

struct Streamed;

impl Call for Streamed {
    const SETTLED_AT_START: bool = false;
    type Request = ChatCompletionRequest;
    type Upstream = ItemStream;
    type Output = AnswerStream;

    fn call<'a>(
        &'a self,
        adapter: &'a dyn ChatAdapter,
        request: ChatCompletionRequest,
        model: &'a str,
    ) -> BoxFuture<'a, Result<ItemStream, Error>> {
        Box::pin(async move { peek(adapter.chat_stream(request, model).await?).await })
    }

    fn finish(stream: ItemStream, served: Served, in_flight: Option<InFlight>) -> AnswerStream {
        AnswerStream { stream: track(stream, in_flight), served }
    }
}

#[async_trait]
impl ChatService for Gateway {
    fn plan(&self, request: &ChatCompletionRequest, context: &RequestContext<'_>) -> Result<Plan, Error> {
        // The `user` field is looked up only for a group with user affinity.
        let user = || request.extra.get("user").and_then(serde_json::Value::as_str);
        self.table.plan(&request.model, user, context)
    }

    async fn complete(&self, plan: Plan, mut request: ChatCompletionRequest) -> Result<Answer, Error> {
        group_guardrail(&plan, &mut request);
        self.group_cache(&plan, &mut request);
        self.run(plan, request, Whole).await
    }

    async fn complete_stream(&self, plan: Plan, mut request: ChatCompletionRequest) -> Result<AnswerStream, Error> {
        group_guardrail(&plan, &mut request);
        self.group_cache(&plan, &mut request);
        self.run(plan, request, Streamed).await
    }

    async fn list_models(&self) -> Result<ModelList, Error> {
        if let Some(list) = self.models.get() {
            return Ok(list);
        }
        let list = crate::models::collect(&self.table).await?;
        self.models.put(&list);
        Ok(list)
    }
}

impl Gateway {
    /// A group's `cache.auto` goes with its requests, over their provider's.
    fn group_cache(&self, plan: &Plan, request: &mut ChatCompletionRequest) {
        let group = plan.group().and_then(|name| self.config.models.groups.get(name));
        request.cache_auto = group.and_then(|group| group.cache.as_ref()).map(|cache| cache.auto);
    }
}

/// A group's guardrail goes with its requests that name none of their own (request > group > provider).
fn group_guardrail(plan: &Plan, request: &mut ChatCompletionRequest) {
    if request.guardrail.is_none() {
        request.guardrail = plan.guardrail.clone();
    }
}
