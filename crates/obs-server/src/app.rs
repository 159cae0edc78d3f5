//! What every request handler shares.

use std::sync::Arc;
use std::time::Duration;

use obs_service::Gateway;
use tokio::sync::Semaphore;

use crate::auth::Auth;
use crate::cors::Cors;
use crate::metrics::Metrics;

pub(crate) struct App {
    pub(crate) gateway: Arc<Gateway>,
    pub(crate) auth: Auth,
    pub(crate) metrics: Arc<Metrics>,
    /// Send `x-obs-target` with answers (`server.expose_target_header`).
    pub(crate) expose_target: bool,
    pub(crate) body_limit: usize,
    pub(crate) keep_alive: Duration,
    pub(crate) cors: Cors,
    pub(crate) limiter: Option<Arc<Semaphore>>,
    /// `/metrics` on the main listener (false when it has its own address).
    pub(crate) metrics_on_main: bool,
    pub(crate) openapi: bytes::Bytes,
    pub(crate) swagger: Arc<utoipa_swagger_ui::Config<'static>>,
}
