//! Embeddings on the [`Gateway`] (docs/reference/embeddings.md): planned like a chat request (groups, aliases,
//! `<provider>/<model-id>`, fallback, retries — the one plan runner), each target asked through its provider's
//! [`obs_adapters::EmbeddingsAdapter`].

use std::sync::Arc;

use futures::future::BoxFuture;
use obs_adapters::{ChatAdapter, EmbeddingsOutput};
use obs_models::Error;
use obs_models::embeddings::EmbeddingsRequest;

use crate::gateway::Call;
use crate::routing::{InFlight, Plan, Served};
use crate::{Gateway, RequestContext};

/// An embeddings answer and who served it.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddingsAnswer {
    /// The answer.
    pub output: EmbeddingsOutput,
    /// The target that answered.
    pub served: Served,
}

impl Gateway {
    /// Plans an embeddings request as a chat request is planned. No request is sent.
    pub fn plan_embeddings(&self, request: &EmbeddingsRequest, context: &RequestContext<'_>) -> Result<Plan, Error> {
        self.routing().plan_embeddings(&request.model, || request.user.as_deref(), context)
    }

    /// Runs a plan for one embeddings answer.
    pub async fn embeddings(&self, plan: Plan, request: Arc<EmbeddingsRequest>) -> Result<EmbeddingsAnswer, Error> {
        self.run(plan, request, Embed).await
    }
}

struct Embed;

impl Call for Embed {
    const SETTLED_AT_START: bool = true;
    type Request = Arc<EmbeddingsRequest>;
    type Upstream = EmbeddingsOutput;
    type Output = EmbeddingsAnswer;

    fn call<'a>(
        &'a self,
        adapter: &'a dyn ChatAdapter,
        request: Arc<EmbeddingsRequest>,
        model: &'a str,
    ) -> BoxFuture<'a, Result<EmbeddingsOutput, Error>> {
        Box::pin(async move {
            match adapter.embeddings() {
                Some(embedder) => embedder.embeddings(&request, model).await,
                None => Err(Error::unsupported("model", format!("The provider of '{model}' serves no embeddings."))),
            }
        })
    }

    fn finish(output: EmbeddingsOutput, served: Served, _in_flight: Option<InFlight>) -> EmbeddingsAnswer {
        EmbeddingsAnswer { output, served }
    }
}
