//! The OpenAI adapter: any OpenAI-compatible base URL (OpenAI, Azure-style deployments, vLLM, Ollama, another
//! gateway) over one shared reqwest client (docs/reference/formats.md §7.2).

pub mod catalog;
mod embeddings;
mod errors;
mod responses;
mod stream;

use async_trait::async_trait;
use bytes::Bytes;
use obs_models::error::ErrorCode;
use obs_models::openai::verbatim::VerbatimCompletion;
use obs_models::openai::{ChatCompletionRequest, ModelInfo, ModelList, StreamOptions};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

use crate::sse::DEFAULT_EVENT_LIMIT;
use crate::{ChatAdapter, Completion, Error, ItemStream, Timeouts};

/// Configuration of one OpenAI-compatible provider.
#[derive(Debug, Clone)]
pub struct OpenAiConfig {
    /// Base URL up to and including the API version, e.g. `https://api.openai.com/v1`.
    pub base_url: String,
    /// The provider's API key (sent as `Authorization: Bearer`); `None` for servers without auth.
    pub api_key: Option<SecretString>,
    /// `OpenAI-Organization` header.
    pub organization: Option<String>,
    /// Extra headers sent with every request (Azure `api-key`, gateway routing headers, …); values are secrets.
    pub extra_headers: Vec<(String, SecretString)>,
    /// Upstream time limits.
    pub timeouts: Timeouts,
    /// Cap on one SSE event (default 1 MiB).
    pub max_event_bytes: usize,
}

impl OpenAiConfig {
    /// A configuration for `base_url` with defaults for everything else.
    pub fn new(base_url: impl Into<String>, api_key: Option<SecretString>) -> Self {
        OpenAiConfig {
            base_url: base_url.into(),
            api_key,
            organization: None,
            extra_headers: Vec::new(),
            timeouts: Timeouts::default(),
            max_event_bytes: DEFAULT_EVENT_LIMIT,
        }
    }
}

/// Builds the HTTP client providers share: rustls, HTTP/2 by ALPN, pooled connections, the connect timeout. No
/// total timeout (streams may run long); per-request limits are the adapters'.
pub fn http_client(connect_timeout: std::time::Duration) -> Result<reqwest::Client, Error> {
    reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .pool_idle_timeout(std::time::Duration::from_secs(90))
        .tcp_nodelay(true)
        .build()
        .map_err(|e| Error::new(ErrorCode::InternalError, format!("Could not build the HTTP client: {e}.")))
}

/// The adapter for one OpenAI-compatible provider. Built once and shared by every model it serves.
#[derive(Debug, Clone)]
pub struct OpenAiAdapter {
    client: reqwest::Client,
    // Parsed once: reqwest would otherwise parse (and IDNA-normalise) the URL string on every request.
    chat_url: reqwest::Url,
    models_url: reqwest::Url,
    embeddings_url: reqwest::Url,
    responses_url: reqwest::Url,
    headers: HeaderMap,
    timeouts: Timeouts,
    max_event_bytes: usize,
}

impl OpenAiAdapter {
    /// Builds the adapter over a shared client; fails on a header that is not valid HTTP.
    pub fn new(config: OpenAiConfig, client: reqwest::Client) -> Result<Self, Error> {
        let mut headers = HeaderMap::new();
        if let Some(key) = &config.api_key {
            let mut value = HeaderValue::from_str(&format!("Bearer {}", key.expose_secret()))
                .map_err(|_| invalid_config("The OpenAI API key contains characters not allowed in an HTTP header."))?;
            // Sensitive values print as "Sensitive" in Debug and are kept out of HPACK tables.
            value.set_sensitive(true);
            headers.insert(reqwest::header::AUTHORIZATION, value);
        }
        if let Some(organization) = &config.organization {
            let value = HeaderValue::from_str(organization)
                .map_err(|_| invalid_config("The OpenAI organization is not a valid HTTP header value."))?;
            headers.insert(HeaderName::from_static("openai-organization"), value);
        }
        for (name, value) in &config.extra_headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| invalid_config(format!("'{name}' is not a valid HTTP header name.")))?;
            let mut value = HeaderValue::from_str(value.expose_secret()).map_err(|_| {
                invalid_config(format!("The value of header '{name}' is not a valid HTTP header value."))
            })?;
            value.set_sensitive(true);
            headers.insert(name, value);
        }
        let url = |path: &str| endpoint(&config.base_url, path);
        Ok(OpenAiAdapter {
            client,
            chat_url: url("chat/completions")?,
            models_url: url("models")?,
            embeddings_url: url("embeddings")?,
            responses_url: url("responses")?,
            headers,
            timeouts: config.timeouts,
            max_event_bytes: config.max_event_bytes,
        })
    }

    async fn post(&self, body: Vec<u8>) -> Result<reqwest::Response, Error> {
        self.post_to(&self.chat_url, body).await
    }

    async fn post_to(&self, url: &reqwest::Url, body: Vec<u8>) -> Result<reqwest::Response, Error> {
        let request = self
            .client
            .post(url.clone())
            .headers(self.headers.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        let response = tokio::time::timeout(self.timeouts.first_byte, request.send())
            .await
            .map_err(|_| errors::first_byte_timeout())?
            .map_err(errors::transport)?;
        if response.status().is_success() {
            Ok(response)
        } else {
            Err(errors::from_status(response, &self.timeouts).await)
        }
    }
}

/// `base` with `path` appended to its path; the base URL's query (Azure's `api-version`) kept on every request.
fn endpoint(base: &str, path: &str) -> Result<reqwest::Url, Error> {
    let mut url = reqwest::Url::parse(base).map_err(|e| {
        tracing::warn!(error = %e, "an OpenAI-compatible provider's base URL does not parse");
        invalid_config("The provider's base URL is not a valid URL.")
    })?;
    let joined = format!("{}/{path}", url.path().trim_end_matches('/'));
    url.set_path(&joined);
    Ok(url)
}

fn invalid_config(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::UpstreamAuthenticationError, message)
}

/// The client's body for the upstream: `model` replaced by the routed id, every unknown field kept.
fn upstream_body(mut request: ChatCompletionRequest, model: &str, stream: bool) -> Result<Vec<u8>, Error> {
    model.clone_into(&mut request.model);
    if stream {
        request.stream = Some(true);
        // Always ask for usage; the encoder drops it when the client did not ask (docs/reference/streaming.md §2).
        let options = request.stream_options.get_or_insert_with(StreamOptions::default);
        options.include_usage = Some(true);
    }
    let mut body = Vec::with_capacity(1024);
    serde_json::to_writer(&mut body, &request)
        .map_err(|e| Error::new(ErrorCode::InternalError, format!("Could not encode the upstream request: {e}.")))?;
    Ok(body)
}

#[async_trait]
impl ChatAdapter for OpenAiAdapter {
    async fn chat(&self, request: ChatCompletionRequest, model: &str) -> Result<Completion, Error> {
        embeddings::refuse_for_chat(model)?;
        let response = self.post(upstream_body(request, model, false)?).await?;
        let body: Bytes = tokio::time::timeout(self.timeouts.idle, response.bytes())
            .await
            .map_err(|_| errors::idle_timeout())?
            .map_err(errors::transport)?;
        let not_a_completion = |e: &dyn std::fmt::Display| {
            Error::new(ErrorCode::UpstreamError, format!("The upstream answer is not a chat completion: {e}."))
        };
        let body = String::from_utf8(body.into()).map_err(|e| not_a_completion(&e.utf8_error()))?;
        // The upstream's own JSON when forwarding it gives what parsing and serialising would; the typed parse
        // (which also explains a malformed answer) otherwise.
        match VerbatimCompletion::check(body) {
            Ok(verbatim) => Ok(Completion::Verbatim(verbatim)),
            Err(refused) => {
                serde_json::from_str(&refused.json).map(Completion::Typed).map_err(|e| not_a_completion(&e))
            }
        }
    }

    async fn chat_stream(&self, request: ChatCompletionRequest, model: &str) -> Result<ItemStream, Error> {
        embeddings::refuse_for_chat(model)?;
        let response = self.post(upstream_body(request, model, true)?).await?;
        Ok(stream::items(response, self.timeouts, self.max_event_bytes))
    }

    fn embeddings(&self) -> Option<&dyn crate::EmbeddingsAdapter> {
        Some(self)
    }

    fn responses(&self) -> Option<&dyn crate::ResponsesAdapter> {
        Some(self)
    }

    async fn list_models(&self) -> Result<Vec<ModelInfo>, Error> {
        let request = self.client.get(self.models_url.clone()).headers(self.headers.clone());
        let response = tokio::time::timeout(self.timeouts.first_byte, request.send())
            .await
            .map_err(|_| errors::first_byte_timeout())?
            .map_err(errors::transport)?;
        if !response.status().is_success() {
            return Err(errors::from_status(response, &self.timeouts).await);
        }
        let body = tokio::time::timeout(self.timeouts.idle, response.bytes())
            .await
            .map_err(|_| errors::idle_timeout())?
            .map_err(errors::transport)?;
        let list: ModelList = serde_json::from_slice(&body).map_err(|e| {
            Error::new(ErrorCode::UpstreamError, format!("The upstream model list is not readable: {e}."))
        })?;
        Ok(list
            .data
            .into_iter()
            .filter(|m| catalog::is_chat_model(&m.id) || catalog::is_embedding_model(&m.id))
            .map(|m| ModelInfo::new(m.id, m.created, "openai"))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn endpoints_keep_the_base_urls_query() {
        let url = |base: &str| super::endpoint(base, "chat/completions").unwrap().to_string();
        assert_eq!(url("https://api.openai.com/v1"), "https://api.openai.com/v1/chat/completions");
        assert_eq!(url("http://127.0.0.1:8080/v1/"), "http://127.0.0.1:8080/v1/chat/completions");
        assert_eq!(
            url("https://r.openai.azure.com/openai/deployments/gpt4o?api-version=2024-10-21"),
            "https://r.openai.azure.com/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21"
        );
        assert!(super::endpoint("not a url", "models").is_err());
    }
}
