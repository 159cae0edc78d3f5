//! `/v1/responses` passed to upstreams with their own Responses API (docs/reference/responses.md §9): a plan whose
//! every target is on an OpenAI-compatible provider configured `responses = "native"` runs on the one plan runner
//! (fallback, retries, health), each attempt posting the client's body — its `model` the target's upstream id —
//! to the provider's `/responses`, the answer or event stream coming back as the upstream wrote it.

use std::sync::Arc;

use bytes::Bytes;
use futures::future::BoxFuture;
use obs_adapters::{ByteStream, ChatAdapter};
use obs_models::Error;
use obs_models::error::ErrorCode;
use serde_json::Value;

use crate::Gateway;
use crate::config::{ProviderConfig, ResponsesApi};
use crate::gateway::{Call, peek, track};
use crate::routing::{InFlight, Plan, Served};

/// The client's Responses request as it came, and the model it named.
#[derive(Debug)]
pub struct NativeInput {
    body: Bytes,
    model: String,
}

impl NativeInput {
    /// The client's body (one JSON object, parsed and checked by the caller) and its `model`.
    pub fn new(body: Bytes, model: String) -> Arc<Self> {
        Arc::new(NativeInput { body, model })
    }

    /// The body for a target whose upstream id is `upstream`: the client's bytes when it is the model the client
    /// named, else the same object with `model` replaced (the other fields and their order kept).
    fn for_model(&self, upstream: &str) -> Result<Bytes, Error> {
        if upstream == self.model {
            return Ok(self.body.clone());
        }
        let mut object: serde_json::Map<String, Value> = serde_json::from_slice(&self.body)
            .map_err(|e| Error::new(ErrorCode::InvalidJson, format!("The request body is not a JSON object: {e}.")))?;
        object.insert("model".to_owned(), Value::String(upstream.to_owned()));
        serde_json::to_vec(&object)
            .map(Bytes::from)
            .map_err(|e| Error::new(ErrorCode::InternalError, format!("Could not encode the request: {e}.")))
    }
}

/// The upstream's whole response and who served it.
#[derive(Debug, Clone, PartialEq)]
pub struct NativeResponse {
    /// The upstream's JSON.
    pub body: Bytes,
    /// The target that answered.
    pub served: Served,
}

/// The upstream's event stream, byte for byte, and who serves it. The first bytes have arrived.
pub struct NativeResponseStream {
    /// The bytes.
    pub bytes: ByteStream,
    /// The target that serves it.
    pub served: Served,
}

impl std::fmt::Debug for NativeResponseStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NativeResponseStream").field("served", &self.served).finish_non_exhaustive()
    }
}

impl Gateway {
    /// Whether every target of `plan` takes `/v1/responses` natively; a plan that mixes is translated whole, so
    /// that `previous_response_id` and the stored conversation mean one thing on every attempt.
    pub fn responses_native(&self, plan: &Plan) -> bool {
        let mut providers = plan.candidates.iter().map(|c| c.provider().config()).peekable();
        providers.peek().is_some()
            && providers.all(
                |config| matches!(config, ProviderConfig::OpenAi(section) if section.responses == ResponsesApi::Native),
            )
    }

    /// Runs a native plan for one whole response.
    pub async fn responses_passthrough(&self, plan: Plan, input: Arc<NativeInput>) -> Result<NativeResponse, Error> {
        self.run(plan, input, Whole).await
    }

    /// Runs a native plan for a streamed response; the first bytes have arrived when this resolves.
    pub async fn responses_passthrough_stream(
        &self,
        plan: Plan,
        input: Arc<NativeInput>,
    ) -> Result<NativeResponseStream, Error> {
        self.run(plan, input, Streamed).await
    }
}

fn native<'a>(adapter: &'a dyn ChatAdapter, model: &str) -> Result<&'a dyn obs_adapters::ResponsesAdapter, Error> {
    adapter
        .responses()
        .ok_or_else(|| Error::new(ErrorCode::InternalError, format!("The provider of '{model}' has no Responses API.")))
}

struct Whole;

impl Call for Whole {
    const SETTLED_AT_START: bool = true;
    type Request = Arc<NativeInput>;
    type Upstream = Bytes;
    type Output = NativeResponse;

    fn call<'a>(
        &'a self,
        adapter: &'a dyn ChatAdapter,
        input: Arc<NativeInput>,
        model: &'a str,
    ) -> BoxFuture<'a, Result<Bytes, Error>> {
        Box::pin(async move { native(adapter, model)?.create(input.for_model(model)?).await })
    }

    fn finish(body: Bytes, served: Served, _in_flight: Option<InFlight>) -> NativeResponse {
        NativeResponse { body, served }
    }
}

struct Streamed;

impl Call for Streamed {
    const SETTLED_AT_START: bool = false;
    type Request = Arc<NativeInput>;
    type Upstream = ByteStream;
    type Output = NativeResponseStream;

    fn call<'a>(
        &'a self,
        adapter: &'a dyn ChatAdapter,
        input: Arc<NativeInput>,
        model: &'a str,
    ) -> BoxFuture<'a, Result<ByteStream, Error>> {
        Box::pin(async move { peek(native(adapter, model)?.create_stream(input.for_model(model)?).await?).await })
    }

    fn finish(bytes: ByteStream, served: Served, in_flight: Option<InFlight>) -> NativeResponseStream {
        NativeResponseStream { bytes: track(bytes, in_flight), served }
    }
}
