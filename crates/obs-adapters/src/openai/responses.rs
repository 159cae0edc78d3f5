//! `/responses` of an OpenAI-compatible upstream that has one (`responses = "native"`): the client's body posted as
//! it came, the answer's JSON and the event stream's bytes relayed unchanged; only the time limits are obs's (first
//! byte, then idle between reads).

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use obs_models::error::ErrorCode;

use super::{OpenAiAdapter, errors};
use crate::{ByteStream, Error, ResponsesAdapter};

#[async_trait]
impl ResponsesAdapter for OpenAiAdapter {
    async fn create(&self, body: Bytes) -> Result<Bytes, Error> {
        let response = self.post_to(&self.responses_url, body.to_vec()).await?;
        let answer = tokio::time::timeout(self.timeouts.idle, response.bytes())
            .await
            .map_err(|_| errors::idle_timeout())?
            .map_err(errors::transport)?;
        if serde_json::from_slice::<serde::de::IgnoredAny>(&answer).is_err() {
            return Err(Error::new(ErrorCode::UpstreamError, "The upstream's response is not JSON."));
        }
        Ok(answer)
    }

    async fn create_stream(&self, body: Bytes) -> Result<ByteStream, Error> {
        let response = self.post_to(&self.responses_url, body.to_vec()).await?;
        let idle = self.timeouts.idle;
        let bytes = Box::pin(response.bytes_stream());
        Ok(Box::pin(futures::stream::unfold(Some(bytes), move |state| async move {
            let mut bytes = state?;
            match tokio::time::timeout(idle, bytes.next()).await {
                Err(_) => Some((Err(errors::idle_timeout()), None)),
                Ok(Some(Ok(chunk))) => Some((Ok(chunk), Some(bytes))),
                Ok(Some(Err(error))) => Some((Err(errors::transport(error)), None)),
                Ok(None) => None,
            }
        })))
    }
}
