//! A guardrail for providers that cannot apply one (docs/reference/formats.md §7.12): an OpenAI-compatible provider
//! configured with `apply_guardrail = "<bedrock provider>"` has its guarded chat requests checked with that Bedrock
//! provider's `ApplyGuardrail` — the input before the upstream is asked (an intervention answers at once, and the
//! upstream never sees the request), and a whole answer's text after (an intervention replaces it). A stream's text
//! is sent as it comes and checked when its finish chunk arrives, which is held until the verdict: an intervention
//! ends the stream with `content_filter` and the outcome (what was sent stays sent — the check cannot run on text
//! that has not been written yet without holding the whole answer back). Requests without a guardrail pass
//! untouched.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use futures::StreamExt;
use obs_adapters::{
    ChatAdapter, Completion, EmbeddingsAdapter, GuardrailSource, GuardrailVerdict, ItemStream, MessagesAdapter,
    ResponsesAdapter, RuntimeAdapter, StreamItem,
};
use obs_convert::bedrock::ResponseMeta;
use obs_models::Error;
use obs_models::guardrail::{ANSWER_FIELD, Guardrail};
use obs_models::openai::{
    ChatCompletionRequest, ChatCompletionResponse, Delta, FinishReason, Message, ModelInfo, ResponseMessage, Usage,
};
use serde_json::Value;

use crate::providers::ProviderSlot;

/// An adapter whose guarded requests are checked by a Bedrock provider's `ApplyGuardrail`.
pub(crate) struct GuardedAdapter {
    inner: Arc<dyn ChatAdapter>,
    bedrock: Arc<ProviderSlot>,
}

impl GuardedAdapter {
    pub(crate) fn wrap(inner: Arc<dyn ChatAdapter>, bedrock: Arc<ProviderSlot>) -> Arc<dyn ChatAdapter> {
        Arc::new(GuardedAdapter { inner, bedrock })
    }
}

/// The verdict of `bedrock`'s ApplyGuardrail on `texts`, or `None` when there is no guardrail.
async fn check_with(
    bedrock: &ProviderSlot,
    guardrail: Option<&Guardrail>,
    source: GuardrailSource,
    texts: Vec<String>,
) -> Result<Option<GuardrailVerdict>, Error> {
    let Some(guardrail) = guardrail else { return Ok(None) };
    let checker = bedrock.adapter().await?;
    let Some(check) = checker.guardrail_checker() else { return Ok(None) };
    check.apply(guardrail, source, texts).await.map(Some)
}

/// A guarded stream's output check: the text passes as it comes; the chunk that carries the finish reason waits
/// for the verdict on all of it, and an intervention turns it into `content_filter` with the outcome.
struct OutputCheck {
    inner: ItemStream,
    bedrock: Arc<ProviderSlot>,
    guardrail: Guardrail,
    text: String,
    checked: bool,
}

impl OutputCheck {
    fn stream(inner: ItemStream, bedrock: Arc<ProviderSlot>, guardrail: Guardrail) -> ItemStream {
        let state = OutputCheck { inner, bedrock, guardrail, text: String::new(), checked: false };
        Box::pin(futures::stream::unfold(state, |mut state| async move {
            let item = state.next().await?;
            Some((item, state))
        }))
    }

    async fn next(&mut self) -> Option<Result<StreamItem, Error>> {
        let item = match self.inner.next().await? {
            Ok(item) => item,
            Err(error) => return Some(Err(error)),
        };
        if self.checked {
            return Some(Ok(item));
        }
        let mut chunk = match item.into_chunk() {
            Ok(chunk) => chunk,
            Err(error) => return Some(Err(error)),
        };
        if let Some(text) = chunk.choices.first().and_then(|c| c.delta.content.as_deref()) {
            self.text.push_str(text);
        }
        if chunk.choices.iter().any(|c| c.finish_reason.is_some()) {
            self.checked = true;
            let text = std::mem::take(&mut self.text);
            match check_with(&self.bedrock, Some(&self.guardrail), GuardrailSource::Output, vec![text]).await {
                Ok(Some(verdict)) if verdict.intervened => {
                    for choice in &mut chunk.choices {
                        choice.finish_reason = Some(FinishReason::ContentFilter);
                        choice.delta.tool_calls = None;
                    }
                    chunk.extra.insert(ANSWER_FIELD.to_owned(), outcome(&verdict));
                }
                Ok(_) => {}
                Err(error) => return Some(Err(error)),
            }
        }
        Some(Ok(StreamItem::Chunk(chunk)))
    }
}

/// The text of every message (system, user, assistant, tool), as the guardrail assesses a conversation.
fn input_texts(request: &ChatCompletionRequest) -> Vec<String> {
    request
        .messages
        .iter()
        .filter_map(|message| match message {
            Message::System(m) | Message::Developer(m) => Some(m.content.joined_text(" ")),
            Message::User(m) => Some(m.content.joined_text(" ")),
            Message::Tool(m) => Some(m.content.joined_text("\n")),
            Message::Assistant(m) => m.content.as_ref().map(|c| c.joined_text(" ")),
        })
        .collect()
}

/// The outcome field, in the shape of an InvokeModel trace (the assessments of ApplyGuardrail).
fn outcome(verdict: &GuardrailVerdict) -> Value {
    obs_convert::guardrail::outcome(verdict.intervened, Some(serde_json::json!({ "assessments": verdict.assessments })))
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// The answer of a request the guardrail stopped before the upstream: its blocked message, `content_filter`.
fn blocked(model: &str, verdict: &GuardrailVerdict) -> ChatCompletionResponse {
    let message = ResponseMessage::assistant(verdict.output.clone(), Vec::new());
    let mut response = ResponseMeta::new(model, now()).response(message, FinishReason::ContentFilter, Usage::default());
    response.extra.insert(ANSWER_FIELD.to_owned(), outcome(verdict));
    response
}

#[async_trait]
impl ChatAdapter for GuardedAdapter {
    async fn chat(&self, request: ChatCompletionRequest, model: &str) -> Result<Completion, Error> {
        let guardrail = request.guardrail.clone();
        if let Some(verdict) =
            check_with(&self.bedrock, guardrail.as_ref(), GuardrailSource::Input, input_texts(&request)).await?
            && verdict.intervened
        {
            return Ok(Completion::Typed(blocked(&request.model, &verdict)));
        }
        let completion = self.inner.chat(request, model).await?;
        if guardrail.is_none() {
            return Ok(completion);
        }
        let mut response = completion.into_typed()?;
        let text = response.choices.first().and_then(|c| c.message.content.clone()).unwrap_or_default();
        if let Some(verdict) =
            check_with(&self.bedrock, guardrail.as_ref(), GuardrailSource::Output, vec![text]).await?
            && verdict.intervened
        {
            for choice in &mut response.choices {
                choice.message.content.clone_from(&verdict.output);
                choice.message.tool_calls = None;
                choice.finish_reason = Some(FinishReason::ContentFilter);
            }
            response.extra.insert(ANSWER_FIELD.to_owned(), outcome(&verdict));
        }
        Ok(Completion::Typed(response))
    }

    async fn chat_stream(&self, request: ChatCompletionRequest, model: &str) -> Result<ItemStream, Error> {
        let texts = input_texts(&request);
        if let Some(verdict) =
            check_with(&self.bedrock, request.guardrail.as_ref(), GuardrailSource::Input, texts).await?
            && verdict.intervened
        {
            let meta = ResponseMeta::new(request.model.clone(), now());
            let mut finish = meta.chunk(Delta::default(), Some(FinishReason::ContentFilter));
            finish.extra.insert(ANSWER_FIELD.to_owned(), outcome(&verdict));
            let chunks = vec![
                meta.chunk(Delta::role_start(), None),
                meta.chunk(Delta::text(verdict.output.clone().unwrap_or_default()), None),
                finish,
                meta.usage_chunk(Usage::default()),
            ];
            return Ok(Box::pin(futures::stream::iter(chunks.into_iter().map(|c| Ok(StreamItem::Chunk(c))))));
        }
        let guardrail = request.guardrail.clone();
        let stream = self.inner.chat_stream(request, model).await?;
        Ok(match guardrail {
            Some(guardrail) => OutputCheck::stream(stream, self.bedrock.clone(), guardrail),
            None => stream,
        })
    }

    async fn list_models(&self) -> Result<Vec<ModelInfo>, Error> {
        self.inner.list_models().await
    }

    fn messages(&self) -> Option<&dyn MessagesAdapter> {
        self.inner.messages()
    }

    fn embeddings(&self) -> Option<&dyn EmbeddingsAdapter> {
        self.inner.embeddings()
    }

    fn bedrock_runtime(&self) -> Option<&dyn RuntimeAdapter> {
        self.inner.bedrock_runtime()
    }

    fn responses(&self) -> Option<&dyn ResponsesAdapter> {
        self.inner.responses()
    }
}
