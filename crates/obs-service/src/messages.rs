//! The Anthropic Messages API on the [`Gateway`]: planned like a chat request (groups, aliases,
//! `<provider>/<model-id>`, fallback and retries — the same plan runner), plus Anthropic's model names; per target,
//! the client's body goes to Claude on Bedrock as it came (passthrough) and to every other model converted to the
//! internal request, whose answer the caller writes back in Anthropic's shape.

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use futures::future::BoxFuture;
use obs_adapters::{ChatAdapter, Completion, ItemStream, MessagesEventStream};
use obs_models::Error;
use obs_models::anthropic::MessagesRequest;
use obs_models::guardrail::Guardrail;
use obs_models::openai::ChatCompletionRequest;

use crate::gateway::{Call, peek, track};
use crate::routing::{InFlight, Plan, Served};
use crate::{Gateway, RequestContext};

/// A Messages request on its way through a plan: the client's request, the guardrail it is sent with, and its
/// conversion to the internal one, made once, the first time a target needs it.
#[derive(Debug)]
pub struct MessagesInput {
    request: MessagesRequest,
    guardrail: Option<Guardrail>,
    internal: OnceLock<Result<ChatCompletionRequest, Error>>,
}

impl MessagesInput {
    /// A request, not converted yet. `guardrail`: the request's (Bedrock's `X-Amzn-Bedrock-Guardrail*` headers)
    /// or its model group's, which wins over a provider's own; `None` leaves each provider's.
    pub fn new(request: MessagesRequest, guardrail: Option<Guardrail>) -> Arc<Self> {
        Arc::new(MessagesInput { request, guardrail, internal: OnceLock::new() })
    }

    /// The client's request.
    pub fn request(&self) -> &MessagesRequest {
        &self.request
    }

    /// The internal request for a target that does not take the Messages body (a shallow clone: the messages
    /// are shared), with the guardrail.
    fn internal(&self) -> Result<ChatCompletionRequest, Error> {
        self.internal
            .get_or_init(|| {
                let mut internal = obs_convert::anthropic::to_internal(&self.request)?;
                internal.guardrail.clone_from(&self.guardrail);
                Ok(internal)
            })
            .clone()
    }
}

/// A Messages answer as its target gave it.
#[derive(Debug, Clone, PartialEq)]
// One per request, moved once or twice: boxing the converted answer would cost an allocation to save a copy.
#[allow(clippy::large_enum_variant)]
pub enum MessagesOutput {
    /// Claude on Bedrock's own Anthropic message JSON.
    Native(Bytes),
    /// Another model's answer, to be written as an Anthropic message (`obs_convert::claude_out::to_message`).
    Converted(Completion),
}

/// A non-streamed Messages answer and who served it.
#[derive(Debug, Clone, PartialEq)]
pub struct MessagesAnswer {
    /// The answer.
    pub message: MessagesOutput,
    /// The target that answered.
    pub served: Served,
}

/// A streamed Messages answer as its target gives it. The first item has already arrived.
pub enum MessagesEvents {
    /// Claude on Bedrock's own events, to relay as they are.
    Native(MessagesEventStream),
    /// Another model's chunks, to encode as Anthropic events (`obs_convert::stream::ClaudeEventEncoder::messages`).
    Converted(ItemStream),
}

/// A streamed Messages answer and who serves it. Dropping it cancels the upstream request.
pub struct MessagesAnswerStream {
    /// The events.
    pub events: MessagesEvents,
    /// The target that serves it.
    pub served: Served,
}

impl std::fmt::Debug for MessagesAnswerStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessagesAnswerStream").field("served", &self.served).finish_non_exhaustive()
    }
}

/// A token count and who counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenCount {
    /// The input tokens.
    pub input_tokens: u64,
    /// The target that counted.
    pub served: Served,
}

impl Gateway {
    /// Plans a Messages request: [`crate::routing::RoutingTable::plan_messages`] with the `bedrock` provider's
    /// region (read from its configuration, or once from its AWS profile). No request is sent.
    pub async fn plan_messages(&self, request: &MessagesRequest, context: &RequestContext<'_>) -> Result<Plan, Error> {
        let table = self.routing();
        let region = table.bedrock().region().await;
        table.plan_messages(&request.model, || request.user(), context, region)
    }

    /// Runs a plan for one non-streamed Messages answer.
    pub async fn messages(&self, plan: Plan, input: Arc<MessagesInput>) -> Result<MessagesAnswer, Error> {
        self.run(plan, input, Whole).await
    }

    /// Runs a plan for a streamed Messages answer; the first event (or chunk) has arrived when this resolves.
    pub async fn messages_stream(&self, plan: Plan, input: Arc<MessagesInput>) -> Result<MessagesAnswerStream, Error> {
        self.run(plan, input, Streamed).await
    }

    /// Runs a plan for a token count: the first target with a counter (Claude on Bedrock) counts; any other is a
    /// 400 naming its model (in a group, the next target is tried).
    pub async fn count_tokens(&self, plan: Plan, input: Arc<MessagesInput>) -> Result<TokenCount, Error> {
        self.run(plan, input, Count).await
    }
}

/// The target's Messages passthrough, when its model takes the Messages body natively.
async fn native<'a>(adapter: &'a dyn ChatAdapter, model: &str) -> Option<&'a dyn obs_adapters::MessagesAdapter> {
    let native = adapter.messages()?;
    native.native(model).await.then_some(native)
}

struct Whole;

impl Call for Whole {
    const SETTLED_AT_START: bool = true;
    type Request = Arc<MessagesInput>;
    type Upstream = MessagesOutput;
    type Output = MessagesAnswer;

    fn call<'a>(
        &'a self,
        adapter: &'a dyn ChatAdapter,
        input: Arc<MessagesInput>,
        model: &'a str,
    ) -> BoxFuture<'a, Result<MessagesOutput, Error>> {
        Box::pin(async move {
            match native(adapter, model).await {
                Some(native) => {
                    native.messages(&input.request, model, input.guardrail.as_ref()).await.map(MessagesOutput::Native)
                }
                None => adapter.chat(input.internal()?, model).await.map(MessagesOutput::Converted),
            }
        })
    }

    fn finish(message: MessagesOutput, served: Served, _in_flight: Option<InFlight>) -> MessagesAnswer {
        MessagesAnswer { message, served }
    }
}

struct Streamed;

impl Call for Streamed {
    const SETTLED_AT_START: bool = false;
    type Request = Arc<MessagesInput>;
    type Upstream = MessagesEvents;
    type Output = MessagesAnswerStream;

    fn call<'a>(
        &'a self,
        adapter: &'a dyn ChatAdapter,
        input: Arc<MessagesInput>,
        model: &'a str,
    ) -> BoxFuture<'a, Result<MessagesEvents, Error>> {
        Box::pin(async move {
            match native(adapter, model).await {
                Some(native) => {
                    let events = native.messages_stream(&input.request, model, input.guardrail.as_ref()).await?;
                    Ok(MessagesEvents::Native(peek(events).await?))
                }
                None => {
                    Ok(MessagesEvents::Converted(peek(adapter.chat_stream(input.internal()?, model).await?).await?))
                }
            }
        })
    }

    fn finish(events: MessagesEvents, served: Served, in_flight: Option<InFlight>) -> MessagesAnswerStream {
        let events = match events {
            MessagesEvents::Native(stream) => MessagesEvents::Native(track(stream, in_flight)),
            MessagesEvents::Converted(stream) => MessagesEvents::Converted(track(stream, in_flight)),
        };
        MessagesAnswerStream { events, served }
    }
}

struct Count;

impl Call for Count {
    const SETTLED_AT_START: bool = true;
    type Request = Arc<MessagesInput>;
    type Upstream = u64;
    type Output = TokenCount;

    fn call<'a>(
        &'a self,
        adapter: &'a dyn ChatAdapter,
        input: Arc<MessagesInput>,
        model: &'a str,
    ) -> BoxFuture<'a, Result<u64, Error>> {
        Box::pin(async move {
            match adapter.messages() {
                Some(counter) => counter.count_tokens(&input.request, model).await,
                None => Err(obs_adapters::no_token_counter(model)),
            }
        })
    }

    fn finish(input_tokens: u64, served: Served, _in_flight: Option<InFlight>) -> TokenCount {
        TokenCount { input_tokens, served }
    }
}
