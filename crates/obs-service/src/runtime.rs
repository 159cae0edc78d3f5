//! The Bedrock runtime API on the [`Gateway`] (docs/reference/bedrock-ingress.md): planned like a chat request by
//! the model id of the path (groups, aliases, `<provider>/<model-id>`, fallback and retries — the same plan runner);
//! per target, a provider with a native Bedrock runtime API (Bedrock) gets the client's body as it came and answers
//! with its own JSON and frames; any other gets it translated (`runtime_translate.rs`).

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use bytes::Bytes;
use futures::future::BoxFuture;
use obs_adapters::{ChatAdapter, RuntimeCall, RuntimeFrameStream, RuntimeReply, RuntimeStream};
use obs_models::Error;
use obs_models::openai::ChatCompletionRequest;

use crate::gateway::{Call, peek, track};
use crate::routing::{InFlight, Plan, Served};
use crate::runtime_translate::{self, Shape};
use crate::{Gateway, RequestContext};

/// A Bedrock runtime request on its way through a plan: the path's model id, the client's body, and its
/// translation to the internal request, made once, the first time a target needs it.
#[derive(Debug)]
pub struct RuntimeInput {
    model_id: String,
    body: Bytes,
    /// The guardrail to apply (the client's headers, else its model group's); a Bedrock target adds its own when
    /// this is none.
    guardrail: Option<obs_models::guardrail::Guardrail>,
    /// The client's InvokeModel request headers passed on to a Bedrock target ([`obs_adapters::FORWARDED_INVOKE_HEADERS`]).
    headers: Vec<(String, String)>,
    internal: OnceLock<Result<(Shape, ChatCompletionRequest), Error>>,
}

impl RuntimeInput {
    /// A request for the path's model id (the body a JSON object, checked by the caller).
    pub fn new(model_id: String, body: Bytes) -> Arc<Self> {
        Self::guarded(model_id, body, None)
    }

    /// A request that applies `guardrail` on a Bedrock target.
    pub fn guarded(model_id: String, body: Bytes, guardrail: Option<obs_models::guardrail::Guardrail>) -> Arc<Self> {
        Self::with_headers(model_id, body, guardrail, Vec::new())
    }

    /// A request that applies `guardrail` and passes the client's `headers` (those of
    /// [`obs_adapters::FORWARDED_INVOKE_HEADERS`]) on to a Bedrock target.
    pub fn with_headers(
        model_id: String,
        body: Bytes,
        guardrail: Option<obs_models::guardrail::Guardrail>,
        headers: Vec<(String, String)>,
    ) -> Arc<Self> {
        Arc::new(RuntimeInput { model_id, body, guardrail, headers, internal: OnceLock::new() })
    }

    fn options(&self) -> obs_adapters::RuntimeOptions<'_> {
        obs_adapters::RuntimeOptions { guardrail: self.guardrail.as_ref(), headers: &self.headers }
    }

    /// The internal request for a target that does not take the body (a shallow clone: the messages are shared).
    fn internal(&self, converse: bool, stream: bool) -> Result<(Shape, ChatCompletionRequest), Error> {
        self.internal
            .get_or_init(|| runtime_translate::to_internal(&self.body, &self.model_id, converse, stream))
            .clone()
    }

    /// The client's body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }
}

/// A non-streamed answer (the upstream's JSON), its `x-amzn-bedrock-*` headers and who served it.
#[derive(Debug, Clone, PartialEq)]
pub struct RuntimeAnswer {
    /// The answer's body.
    pub body: Bytes,
    /// The headers an AWS client reads beside the body: a Bedrock target's as they came, for a translated
    /// InvokeModel answer the token counts and latency obs measured (`runtime_translate.rs`).
    pub headers: Vec<(String, String)>,
    /// The target that answered.
    pub served: Served,
}

/// A streamed answer, frame for frame, and who serves it. The first frame has arrived; dropping the stream cancels
/// the upstream request.
pub struct RuntimeAnswerStream {
    /// The frames.
    pub frames: RuntimeFrameStream,
    /// The target that serves it.
    pub served: Served,
}

impl std::fmt::Debug for RuntimeAnswerStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuntimeAnswerStream").field("served", &self.served).finish_non_exhaustive()
    }
}

impl Gateway {
    /// Plans a Bedrock runtime request for the model id of its path. No request is sent.
    pub fn plan_runtime(&self, model_id: &str, context: &RequestContext<'_>) -> Result<Plan, Error> {
        self.routing().plan(model_id, || None, context)
    }

    /// Runs a plan for one answer of `operation`.
    pub async fn runtime(
        &self,
        plan: Plan,
        operation: RuntimeCall,
        input: Arc<RuntimeInput>,
    ) -> Result<RuntimeAnswer, Error> {
        self.run(plan, input, Whole(operation)).await
    }

    /// Runs a plan for a streamed answer of `operation`; the first frame has arrived when this resolves.
    pub async fn runtime_stream(
        &self,
        plan: Plan,
        operation: RuntimeStream,
        input: Arc<RuntimeInput>,
    ) -> Result<RuntimeAnswerStream, Error> {
        self.run(plan, input, Streamed(operation)).await
    }
}

struct Whole(RuntimeCall);

impl Call for Whole {
    const SETTLED_AT_START: bool = true;
    type Request = Arc<RuntimeInput>;
    type Upstream = RuntimeReply;
    type Output = RuntimeAnswer;

    fn call<'a>(
        &'a self,
        adapter: &'a dyn ChatAdapter,
        input: Arc<RuntimeInput>,
        model: &'a str,
    ) -> BoxFuture<'a, Result<RuntimeReply, Error>> {
        Box::pin(async move {
            match adapter.bedrock_runtime() {
                Some(native) => native.call_guarded(self.0, input.body.clone(), model, input.options()).await,
                None if self.0 == RuntimeCall::CountTokens => Err(obs_adapters::no_token_counter(model)),
                None => {
                    let (shape, request) = input.internal(self.0 == RuntimeCall::Converse, false)?;
                    let started = Instant::now();
                    let completion = adapter.chat(request, model).await?;
                    runtime_translate::answer(shape, completion, started.elapsed())
                }
            }
        })
    }

    fn finish(reply: RuntimeReply, served: Served, _in_flight: Option<InFlight>) -> RuntimeAnswer {
        RuntimeAnswer { body: reply.body, headers: reply.headers, served }
    }
}

struct Streamed(RuntimeStream);

impl Call for Streamed {
    const SETTLED_AT_START: bool = false;
    type Request = Arc<RuntimeInput>;
    type Upstream = RuntimeFrameStream;
    type Output = RuntimeAnswerStream;

    fn call<'a>(
        &'a self,
        adapter: &'a dyn ChatAdapter,
        input: Arc<RuntimeInput>,
        model: &'a str,
    ) -> BoxFuture<'a, Result<RuntimeFrameStream, Error>> {
        Box::pin(async move {
            match adapter.bedrock_runtime() {
                Some(native) => {
                    peek(native.stream_guarded(self.0, input.body.clone(), model, input.options()).await?).await
                }
                None => {
                    let (shape, request) = input.internal(self.0 == RuntimeStream::ConverseStream, true)?;
                    let started = Instant::now();
                    let items = peek(adapter.chat_stream(request, model).await?).await?;
                    Ok(runtime_translate::frames(shape, items, started))
                }
            }
        })
    }

    fn finish(frames: RuntimeFrameStream, served: Served, in_flight: Option<InFlight>) -> RuntimeAnswerStream {
        RuntimeAnswerStream { frames: track(frames, in_flight), served }
    }
}
