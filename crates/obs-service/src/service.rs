use std::sync::Arc;

use async_trait::async_trait;
use obs_adapters::{Completion, ItemStream};
use obs_models::Error;
use obs_models::openai::{ChatCompletionRequest, ModelList};

use crate::routing::{Plan, Served};

/// Looks up a request header by lower-case name.
pub type HeaderLookup<'a> = dyn Fn(&str) -> Option<&'a str> + Sync + 'a;

/// What a plan may read of a request besides its body: its headers, for group affinity (`header:<name>`), and the
/// caller's team, which the plan carries to the providers with team sessions (docs/reference/keys.md §9). The
/// body's `user` field is read from the request itself.
#[derive(Clone, Copy, Default)]
pub struct RequestContext<'a> {
    /// Looks up a request header by lower-case name.
    pub headers: Option<&'a HeaderLookup<'a>>,
    /// The team of the key the request came with.
    pub team: Option<&'a Arc<str>>,
}

impl std::fmt::Debug for RequestContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestContext").field("headers", &self.headers.is_some()).field("team", &self.team).finish()
    }
}

impl<'a> RequestContext<'a> {
    /// The value of header `name`, when headers were given.
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers.and_then(|lookup| lookup(name))
    }
}

/// A non-streamed answer and who served it.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The completion: typed, or an OpenAI-compatible upstream's own JSON (checked) that an OpenAI-format client
    /// can be sent as it came. [`Completion::into_typed`] gives the typed value either way.
    pub completion: Completion,
    /// The target that answered.
    pub served: Served,
}

/// A streamed answer and who serves it. Dropping the stream cancels the upstream request.
pub struct AnswerStream {
    /// The chunks: typed, or an OpenAI-compatible upstream's own (checked); [`obs_adapters::typed_chunks`] gives
    /// typed chunks either way. The first has already arrived.
    pub stream: ItemStream,
    /// The target that serves it.
    pub served: Served,
}

impl std::fmt::Debug for AnswerStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnswerStream").field("served", &self.served).finish_non_exhaustive()
    }
}

/// What obs does, without HTTP: the one API obs-server and other Rust applications call.
///
/// A request is planned once ([`ChatService::plan`]: which targets, in which order), the caller may log from the
/// plan, and then the plan is run ([`ChatService::complete`], [`ChatService::complete_stream`]): retries on each
/// target, then the next target on a failure before any output. Object-safe, so `Arc<dyn ChatService>` works;
/// [`crate::Gateway`] is the implementation.
#[async_trait]
pub trait ChatService: Send + Sync {
    /// Plans a request (pure: no I/O).
    fn plan(&self, request: &ChatCompletionRequest, context: &RequestContext<'_>) -> Result<Plan, Error>;

    /// Runs a plan for one non-streaming completion.
    async fn complete(&self, plan: Plan, request: ChatCompletionRequest) -> Result<Answer, Error>;

    /// Runs a plan for a streaming completion. The first chunk has already arrived when this resolves, so failures
    /// before any output are ordinary errors (retried, then the next target tried); later failures arrive as
    /// stream items and are never retried.
    async fn complete_stream(&self, plan: Plan, request: ChatCompletionRequest) -> Result<AnswerStream, Error>;

    /// Every model clients can ask for: groups and aliases, the providers' listed models or their upstream lists —
    /// sorted and de-duplicated.
    async fn list_models(&self) -> Result<ModelList, Error>;

    /// Plans and runs a non-streaming completion with no request context.
    async fn chat_completion(&self, request: ChatCompletionRequest) -> Result<Answer, Error> {
        let plan = self.plan(&request, &RequestContext::default())?;
        self.complete(plan, request).await
    }

    /// Plans and runs a streaming completion with no request context.
    async fn chat_completion_stream(&self, request: ChatCompletionRequest) -> Result<AnswerStream, Error> {
        let plan = self.plan(&request, &RequestContext::default())?;
        self.complete_stream(plan, request).await
    }
}
