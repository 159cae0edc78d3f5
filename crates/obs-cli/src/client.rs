//! The HTTP client for a running gateway, with one-line errors that say what to do.

use futures::StreamExt;
use obs_adapters::sse::SseParser;
use serde_json::Value;

use crate::args::ServerArgs;

/// Why a call to the gateway failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClientError {
    /// Nothing answered at the URL.
    #[error("cannot connect to the gateway at {url} — is it running? (start one with `obs-cli serve`)")]
    Connect {
        /// The base URL.
        url: String,
    },
    /// The key was missing or refused.
    #[error(
        "authentication failed (HTTP 401: {message}) — pass --api-key, set CHAT_API_KEY, or run `obs-cli config set CHAT_API_KEY <key>`"
    )]
    Unauthorized {
        /// The gateway's message.
        message: String,
    },
    /// Any other error answer, before or during a stream.
    #[error("request failed (HTTP {status}{}): {message}", code.as_deref().map(|c| format!(", {c}")).unwrap_or_default())]
    Status {
        /// HTTP status (200 for an error event inside a stream).
        status: u16,
        /// The OpenAI error code.
        code: Option<String>,
        /// The gateway's message.
        message: String,
    },
    /// The answer could not be read.
    #[error("unexpected answer from the gateway: {0}")]
    Protocol(String),
}

/// A finished reply.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reply {
    /// The text (possibly empty).
    pub text: String,
    /// Tool calls: (id, name, arguments JSON).
    pub tool_calls: Vec<(String, String, String)>,
    /// The finish reason.
    pub finish_reason: Option<String>,
}

/// A client of one gateway.
#[derive(Debug, Clone)]
pub struct ObsClient {
    http: reqwest::Client,
    base: String,
    key: Option<String>,
}

impl ObsClient {
    /// A client for `server`; the key falls back to `API_KEY` (the gateway's own, handy locally).
    pub fn new(server: &ServerArgs) -> Self {
        let key = server.api_key.clone().or_else(|| std::env::var("API_KEY").ok()).filter(|k| !k.is_empty());
        ObsClient { http: reqwest::Client::new(), base: server.server_url.trim_end_matches('/').to_owned(), key }
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let builder = self.http.request(method, format!("{}{path}", self.base));
        match &self.key {
            Some(key) => builder.bearer_auth(key),
            None => builder,
        }
    }

    async fn send(&self, builder: reqwest::RequestBuilder) -> Result<reqwest::Response, ClientError> {
        let response = builder.send().await.map_err(|e| {
            if e.is_connect() || e.is_timeout() {
                ClientError::Connect { url: self.base.clone() }
            } else {
                ClientError::Protocol(e.to_string())
            }
        })?;
        if response.status().is_success() {
            return Ok(response);
        }
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        let message = body.pointer("/error/message").and_then(Value::as_str).unwrap_or("no details").to_owned();
        let code = body.pointer("/error/code").and_then(Value::as_str).map(str::to_owned);
        Err(if status == 401 {
            ClientError::Unauthorized { message }
        } else {
            ClientError::Status { status, code, message }
        })
    }

    /// A client of the admin API with `admin_key`.
    pub fn admin(server_url: &str, admin_key: Option<String>) -> Self {
        ObsClient {
            http: reqwest::Client::new(),
            base: server_url.trim_end_matches('/').to_owned(),
            key: admin_key.filter(|k| !k.is_empty()),
        }
    }

    /// An admin call (`/obs/keys…`): the JSON answer.
    pub async fn admin_call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, ClientError> {
        let mut builder = self.request(method, path);
        if let Some(body) = body {
            builder = builder.json(body);
        }
        let response = self.send(builder).await?;
        response.json().await.map_err(|e| ClientError::Protocol(e.to_string()))
    }

    /// `GET /v1/models`.
    pub async fn models(&self) -> Result<Value, ClientError> {
        let response = self.send(self.request(reqwest::Method::GET, "/v1/models")).await?;
        response.json().await.map_err(|e| ClientError::Protocol(e.to_string()))
    }

    /// A non-streaming completion.
    pub async fn chat(&self, body: &Value) -> Result<Reply, ClientError> {
        let response = self.send(self.request(reqwest::Method::POST, "/v1/chat/completions").json(body)).await?;
        let answer: Value = response.json().await.map_err(|e| ClientError::Protocol(e.to_string()))?;
        let message = &answer["choices"][0]["message"];
        Ok(Reply {
            text: message["content"].as_str().unwrap_or("").to_owned(),
            tool_calls: message["tool_calls"]
                .as_array()
                .map(|calls| {
                    calls
                        .iter()
                        .map(|c| {
                            let text = |v: &Value| v.as_str().unwrap_or("").to_owned();
                            (text(&c["id"]), text(&c["function"]["name"]), text(&c["function"]["arguments"]))
                        })
                        .collect()
                })
                .unwrap_or_default(),
            finish_reason: answer["choices"][0]["finish_reason"].as_str().map(str::to_owned),
        })
    }

    /// A streaming completion; `on_text` gets each text fragment as it arrives. Events split across reads or
    /// merged in one read are parsed whole (the gateway's own SSE parser).
    pub async fn chat_stream(&self, body: &Value, mut on_text: impl FnMut(&str)) -> Result<Reply, ClientError> {
        let response = self.send(self.request(reqwest::Method::POST, "/v1/chat/completions").json(body)).await?;
        let mut bytes = response.bytes_stream();
        let mut parser = SseParser::default();
        let mut events = Vec::new();
        let mut reply = Reply::default();
        let mut calls: Vec<(String, String, String)> = Vec::new();
        while let Some(chunk) = bytes.next().await {
            let chunk = chunk.map_err(|e| ClientError::Protocol(format!("the stream broke off: {e}")))?;
            parser.push(&chunk, &mut events).map_err(|e| ClientError::Protocol(e.to_string()))?;
            for event in events.drain(..) {
                if event.data == "[DONE]" {
                    reply.tool_calls = calls;
                    return Ok(reply);
                }
                let value: Value =
                    serde_json::from_str(&event.data).map_err(|e| ClientError::Protocol(e.to_string()))?;
                if let Some(error) = value.get("error") {
                    return Err(ClientError::Status {
                        status: 200,
                        code: error["code"].as_str().map(str::to_owned),
                        message: error["message"].as_str().unwrap_or("the stream failed").to_owned(),
                    });
                }
                let choice = &value["choices"][0];
                if let Some(text) = choice["delta"]["content"].as_str().filter(|t| !t.is_empty()) {
                    on_text(text);
                    reply.text.push_str(text);
                }
                for call in choice["delta"]["tool_calls"].as_array().into_iter().flatten() {
                    let index = call["index"].as_u64().unwrap_or(0) as usize;
                    if calls.len() <= index {
                        calls.resize(index + 1, Default::default());
                    }
                    let entry = &mut calls[index];
                    if let Some(id) = call["id"].as_str() {
                        entry.0 = id.to_owned();
                    }
                    entry.1.push_str(call["function"]["name"].as_str().unwrap_or(""));
                    entry.2.push_str(call["function"]["arguments"].as_str().unwrap_or(""));
                }
                if let Some(finish) = choice["finish_reason"].as_str() {
                    reply.finish_reason = Some(finish.to_owned());
                }
            }
        }
        Err(ClientError::Protocol("the stream ended without [DONE]".to_owned()))
    }
}
