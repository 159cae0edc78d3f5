//! The accept loop and request routing.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use percent_encoding::percent_decode_str;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::bedrock::{self, Operation};
use crate::config::MockConfig;
use crate::control_plane;
use crate::embeddings;
use crate::http::Body;
use crate::openai;
use crate::recorder::Recorder;
use crate::responses;

/// A running emulator. Dropping it stops the server and closes every connection.
#[derive(Debug)]
pub struct MockHandle {
    addr: SocketAddr,
    recorder: Recorder,
    shutdown: watch::Sender<bool>,
    outage: Arc<std::sync::Mutex<Option<crate::Scenario>>>,
}

impl MockHandle {
    /// The socket address (always on 127.0.0.1).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` — the Bedrock runtime and control-plane endpoint.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://127.0.0.1:PORT/v1` — the OpenAI base URL.
    pub fn openai_base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The request recorder.
    pub fn recorder(&self) -> &Recorder {
        &self.recorder
    }

    /// Makes every chat and runtime request fail as `scenario` would (`Throttle`, `Unavailable`, `Timeout`, …),
    /// whatever its model id, until called with `None`: an upstream that goes down and comes back, for tests of
    /// fallback and target health. Scenarios that do not fail before output are ignored.
    pub fn set_outage(&self, scenario: Option<crate::Scenario>) {
        *self.outage.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = scenario;
    }
}

impl Drop for MockHandle {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// Starts the emulator on `127.0.0.1:0`.
pub async fn spawn(config: MockConfig) -> std::io::Result<MockHandle> {
    spawn_on(config, SocketAddr::from(([127, 0, 0, 1], 0))).await
}

/// Starts the emulator on `addr` (the binary's `--port`; tests use [`spawn`]).
pub async fn spawn_on(mut config: MockConfig, addr: SocketAddr) -> std::io::Result<MockHandle> {
    config.id_seed = Some(config.id_seed.unwrap_or_else(crate::ids::random_seed));
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let recorder = Recorder::new(config.record_limit);
    let (shutdown, mut stopped) = watch::channel(false);
    let outage = Arc::new(std::sync::Mutex::new(None));
    let state =
        Arc::new(State { config, recorder: recorder.clone(), flaky_seen: Default::default(), outage: outage.clone() });
    tokio::spawn(async move {
        let mut connections = JoinSet::new();
        loop {
            tokio::select! {
                _ = stopped.changed() => break,
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    let _ = stream.set_nodelay(true);
                    let state = state.clone();
                    connections.spawn(async move {
                        let service = hyper::service::service_fn(move |request| {
                            let state = state.clone();
                            async move { Ok::<_, std::convert::Infallible>(state.handle(request).await) }
                        });
                        let _ = auto::Builder::new(TokioExecutor::new())
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
        // Dropping the set aborts every connection still open.
        drop(connections);
    });
    Ok(MockHandle { addr, recorder, shutdown, outage })
}

struct State {
    config: MockConfig,
    recorder: Recorder,
    /// Model ids of the `flaky` scenario that have failed once already.
    flaky_seen: std::sync::Mutex<std::collections::HashSet<String>>,
    /// [`MockHandle::set_outage`].
    outage: Arc<std::sync::Mutex<Option<crate::Scenario>>>,
}

impl State {
    async fn handle(&self, request: Request<Incoming>) -> Response<Body> {
        let (parts, body) = request.into_parts();
        let body = match body.collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(_) => Bytes::new(),
        };
        let path = parts.uri.path().to_owned();
        let query = parts.uri.query().unwrap_or("").to_owned();
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let headers: Vec<(String, String)> = parts
            .headers
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        let runtime = path.strip_prefix("/model/").and_then(|rest| rest.rsplit_once('/'));
        let model = match runtime {
            Some((encoded, _)) => Some(percent_decode_str(encoded).decode_utf8_lossy().into_owned()),
            None => serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v.get("model").and_then(|m| m.as_str()).map(str::to_owned)),
        };
        let seq = self.recorder.record(parts.method.to_string(), path.clone(), model.clone(), headers, body.clone());
        let authorization = header("authorization");
        if let Some(model) = model.as_deref().filter(|m| crate::Scenario::from_model(m) == crate::Scenario::Flaky) {
            let first_time =
                self.flaky_seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(model.to_owned());
            if first_time {
                return if runtime.is_some() {
                    bedrock::error_response(&bedrock::BedrockError::new(
                        503,
                        "ServiceUnavailableException",
                        "Bedrock is unable to process your request (mock scenario 'flaky', first attempt).",
                    ))
                } else {
                    openai::error(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "The engine is currently overloaded (mock scenario 'flaky', first attempt).",
                        "server_error",
                        None,
                    )
                };
            }
        }
        let outage = *self.outage.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(scenario) = outage {
            let failed = match (&parts.method, path.as_str(), runtime) {
                (&Method::POST, "/v1/chat/completions", _) => {
                    openai::scenario_error(scenario, model.as_deref().unwrap_or(""))
                }
                (&Method::POST, _, Some((_, suffix))) => {
                    let streams = Operation::from_path_suffix(suffix).is_some_and(|op| op.streams());
                    bedrock::for_scenario(scenario, streams).map(|error| bedrock::error_response(&error))
                }
                _ => None,
            };
            if let Some(response) = failed {
                return response;
            }
        }
        let openai_rejection = || openai::rejects(authorization.as_deref(), &self.config);
        let bedrock_rejection = || bedrock::rejects(authorization.as_deref());
        match (&parts.method, path.as_str(), runtime) {
            (&Method::POST, "/v1/chat/completions", _) => match openai_rejection() {
                Some(rejection) => rejection,
                None => {
                    let (response, delay) = openai::chat(&body, &self.config, &self.recorder, seq);
                    wait(delay).await;
                    response
                }
            },
            (&Method::GET, "/v1/models", _) => openai_rejection().unwrap_or_else(openai::models),
            (&Method::POST, "/v1/embeddings", _) => openai_rejection().unwrap_or_else(|| embeddings::openai(&body)),
            (&Method::POST, "/v1/responses", _) => {
                openai_rejection().unwrap_or_else(|| responses::create(&body, &self.config, &self.recorder, seq))
            }
            (&Method::POST, _, Some((_, "invoke")))
                if model.as_deref().is_some_and(embeddings::is_bedrock_embedding) =>
            {
                bedrock_rejection().unwrap_or_else(|| embeddings::bedrock(model.as_deref().unwrap_or(""), &body))
            }
            (&Method::POST, _, Some((_, "count-tokens"))) => {
                bedrock_rejection().unwrap_or_else(|| bedrock::count_tokens(model.as_deref().unwrap_or(""), &body))
            }
            (&Method::POST, _, Some((_, suffix))) => match (Operation::from_path_suffix(suffix), bedrock_rejection()) {
                (None, _) => not_found(&path),
                (Some(_), Some(rejection)) => rejection,
                (Some(operation), None) => {
                    let model = model.as_deref().unwrap_or("");
                    let (response, delay) =
                        bedrock::runtime(model, operation, &parts.headers, &body, &self.config, &self.recorder, seq);
                    wait(delay).await;
                    response
                }
            },
            (&Method::GET, "/foundation-models", _) => {
                bedrock_rejection().unwrap_or_else(|| control_plane::foundation_models(&query))
            }
            (&Method::GET, "/inference-profiles", _) => {
                bedrock_rejection().unwrap_or_else(|| control_plane::inference_profiles(&query))
            }
            (&Method::GET, other, _) if other.starts_with("/inference-profiles/") => bedrock_rejection()
                .unwrap_or_else(|| control_plane::inference_profile(&other["/inference-profiles/".len()..])),
            // AssumeRoleWithWebIdentity is unsigned (the token is the proof); every other STS action is signed.
            (&Method::POST, "/", _) if crate::sts::is_unsigned_action(&body) => crate::sts::handle(&body),
            (&Method::POST, "/", _) => bedrock_rejection().unwrap_or_else(|| crate::sts::handle(&body)),
            (&Method::POST, other, _) if other.starts_with("/guardrail/") && other.ends_with("/apply") => {
                bedrock_rejection().unwrap_or_else(|| bedrock::apply_guardrail(other, &body))
            }
            _ => not_found(&path),
        }
    }
}

async fn wait(delay: std::time::Duration) {
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
}

fn not_found(path: &str) -> Response<Body> {
    openai::error(StatusCode::NOT_FOUND, &format!("Unknown path {path}"), "invalid_request_error", Some("not_found"))
}
