//! What every request handler shares.

use std::sync::Arc;
use std::time::Duration;

use obs_service::Gateway;
use tokio::sync::Semaphore;

use crate::auth::Auth;
use crate::cors::Cors;
use crate::metrics::Metrics;

/// Limits on clients' connections and request bodies (`[server]`).
#[derive(Debug, Clone)]
pub(crate) struct Limits {
    pub(crate) max_connections: usize,
    pub(crate) header_timeout: Duration,
    pub(crate) keep_alive_idle: Duration,
    pub(crate) body_timeout: Duration,
    pub(crate) min_body_rate: u64,
    pub(crate) http2_keep_alive: Duration,
}

impl From<&obs_service::config::ServerConfig> for Limits {
    fn from(server: &obs_service::config::ServerConfig) -> Self {
        Limits {
            max_connections: server.max_connections,
            header_timeout: Duration::from_secs(server.header_timeout_seconds),
            keep_alive_idle: Duration::from_secs(server.keep_alive_idle_seconds),
            body_timeout: Duration::from_secs(server.body_timeout_seconds),
            min_body_rate: server.min_body_bytes_per_second,
            http2_keep_alive: Duration::from_secs(server.http2_keep_alive_seconds),
        }
    }
}

pub(crate) struct App {
    pub(crate) gateway: Arc<Gateway>,
    pub(crate) auth: Auth,
    pub(crate) metrics: Arc<Metrics>,
    /// Send `x-obs-target` with answers (`server.expose_target_header`).
    pub(crate) expose_target: bool,
    pub(crate) body_limit: usize,
    pub(crate) limits: Limits,
    /// Request-body bytes in flight across all requests (`server.max_inflight_body_bytes`).
    pub(crate) body_budget: crate::request_body::BodyBudget,
    pub(crate) keep_alive: Duration,
    pub(crate) cors: Cors,
    pub(crate) limiter: Option<Arc<Semaphore>>,
    /// `/metrics` on the main listener (false when it has its own address).
    pub(crate) metrics_on_main: bool,
    /// This is the metrics listener: it answers `GET /metrics` and nothing else.
    pub(crate) metrics_only: bool,
    pub(crate) openapi: bytes::Bytes,
    pub(crate) swagger: Arc<utoipa_swagger_ui::Config<'static>>,
    /// The price table usage records are costed with (`[prices]` over the shipped one).
    pub(crate) prices: Arc<obs_service::prices::Prices>,
    /// Model groups' own limits (`[models.<name>] rpm, tpm, max_parallel`), by group name.
    pub(crate) group_limits: std::collections::HashMap<String, Arc<crate::group_limits::GroupLimits>>,
    /// Usage records (`[usage]`, with managed keys).
    pub(crate) usage: Option<Arc<crate::usage_writer::UsageWriter>>,
    /// Managed keys' counters shared through Redis (`keys.redis_url`).
    pub(crate) shared_limits: Option<Arc<crate::shared_limits::Shared>>,
    /// Stored Responses API answers (`[responses]`); none on the metrics listener.
    pub(crate) store: Option<crate::stored::Stored>,
}
