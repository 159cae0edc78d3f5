//! The accept loop (hyper 1 over hyper-util: HTTP/1.1 and h2c), graceful shutdown, and start-up checks.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
#[cfg(feature = "demo")]
use obs_mock::MockHandle;
use obs_service::Gateway;
use obs_service::config::{Config, ConfigSources};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;

use crate::app::{App, Limits};
use crate::auth::Auth;
use crate::connections::{AcceptBackoff, Admission, ConnectionLimits};
use crate::cors::Cors;
#[cfg(feature = "demo")]
use crate::demo;
use crate::head_deadline::HeadDeadline;
use crate::metrics::Metrics;
use crate::rejections::WithErrorBodies;
use crate::request_body::BodyBudget;
use crate::{openapi, router};

/// How to run the server.
#[derive(Debug)]
pub struct ServeOptions {
    /// The loaded configuration.
    pub config: Config,
    /// Serve without gateway keys (explicit; logged as a warning).
    pub no_auth: bool,
    /// Run the emulator in-process and point both providers at it.
    pub demo: bool,
}

impl ServeOptions {
    /// Loads the configuration (file, then environment) and applies command-line overrides.
    pub fn load(
        config_file: Option<PathBuf>,
        host: Option<String>,
        port: Option<u16>,
        demo: bool,
        no_auth: bool,
    ) -> Result<Self, ServerError> {
        let mut config =
            Config::load(ConfigSources::process(config_file)).map_err(|e| ServerError::Config(e.to_string()))?;
        if let Some(host) = host {
            config.server.host = host;
        }
        if let Some(port) = port {
            config.server.port = port;
        }
        Ok(ServeOptions { config, no_auth, demo })
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// A configuration problem (message names the key).
    #[error("{0}")]
    Config(String),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// host:port.
        addr: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The demo emulator could not start.
    #[error("the demo emulator could not start: {0}")]
    Demo(std::io::Error),
}

/// A server accepting connections. [`RunningServer::shutdown`] stops accepting and lets in-flight requests and
/// streams finish (up to the grace period); [`RunningServer::wait`] returns once it has stopped.
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    metrics_addr: Option<SocketAddr>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
    /// Usage records, to write what is still queued once the server has stopped.
    usage: Option<(Arc<crate::usage_writer::UsageWriter>, Duration)>,
    #[cfg(feature = "demo")]
    demo: Option<MockHandle>,
}

impl RunningServer {
    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The separate metrics address, when configured.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// The in-process emulator of demo mode.
    #[cfg(feature = "demo")]
    pub fn demo_upstream(&self) -> Option<&MockHandle> {
        self.demo.as_ref()
    }

    /// Begins a graceful shutdown.
    pub fn shutdown(&self) {
        let _ = self.stop.send(true);
    }

    /// Waits until the server has stopped (after [`RunningServer::shutdown`]) and the usage records still queued
    /// are written (up to the grace period again).
    pub async fn wait(self) {
        let _ = self.task.await;
        if let Some((usage, within)) = &self.usage {
            usage.finish(*within).await;
        }
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Starts the server: checks the configuration, binds, and serves in the background.
pub async fn start(options: ServeOptions) -> Result<RunningServer, ServerError> {
    #[cfg_attr(not(feature = "demo"), allow(unused_mut))]
    let ServeOptions { mut config, no_auth, demo } = options;
    #[cfg(feature = "demo")]
    let demo = if demo { Some(demo::prepare(&mut config).await.map_err(ServerError::Demo)?) } else { None };
    #[cfg(not(feature = "demo"))]
    let demo: Option<()> = if demo {
        return Err(ServerError::Config(
            "this build has no demo mode: build obs-server with the `demo` feature (on by default in the binaries)"
                .to_owned(),
        ));
    } else {
        None
    };
    // Admin keys turn managed keys on: they alone are a reason to require keys, even with no static one.
    let auth = if !config.server.api_keys.is_empty() || !config.server.admin_keys.is_empty() {
        Auth::keys(&config.server.api_keys)
    } else if no_auth {
        tracing::warn!("authentication is off (--no-auth): anyone who can reach this address can use the gateway");
        Auth::disabled()
    } else if demo.is_some() && is_loopback(&config.server.host) {
        tracing::info!("demo mode on loopback without API_KEY: authentication is off");
        Auth::disabled()
    } else {
        return Err(ServerError::Config(
            "no API key is configured: set API_KEY (or server.api_keys), or start with --no-auth \
             (or --demo on a loopback address)"
                .to_owned(),
        ));
    };
    let tls = match (&config.server.tls_cert_file, &config.server.tls_key_file) {
        (Some(cert), Some(key)) => Some(crate::tls::acceptor(cert, key).map_err(ServerError::Config)?),
        _ => None,
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let addr = format!("{}:{}", config.server.host, config.server.port);
    let listener = TcpListener::bind(&addr).await.map_err(|source| ServerError::Bind { addr: addr.clone(), source })?;
    let local = listener.local_addr().map_err(|source| ServerError::Bind { addr: addr.clone(), source })?;
    let metrics_listener = match &config.server.metrics_addr {
        Some(metrics_addr) => Some(
            TcpListener::bind(metrics_addr)
                .await
                .map_err(|source| ServerError::Bind { addr: metrics_addr.clone(), source })?,
        ),
        None => None,
    };
    let metrics_addr = metrics_listener.as_ref().and_then(|l| l.local_addr().ok());
    let grace = Duration::from_secs(config.server.shutdown_grace_seconds);
    let store = crate::stored::Stored::open(&config.responses, demo.is_some()).await?;
    let ring = open_key_ring(&config, &store).await?;
    let usage_store = ring.as_ref().filter(|_| config.usage.records).map(|ring| ring.store().clone());
    let auth = match ring {
        Some(ring) => auth.with_managed(&config.server.admin_keys, ring),
        None => auth,
    };
    let shared_limits =
        crate::shared_limits::Shared::from_config(&config.keys).map_err(ServerError::Config)?.map(Arc::new);
    let expose_target = config.server.expose_target_header;
    let gateway = Arc::new(Gateway::new(config.clone()).map_err(|e| ServerError::Config(e.to_string()))?);
    let metrics = Arc::new(Metrics::new(gateway.clone()));
    let prices = Arc::new(obs_service::prices::Prices::new(&config.prices));
    let usage = usage_store
        .map(|store| crate::usage_writer::UsageWriter::start(store, &config.usage, metrics.clone(), prices.clone()));
    let app = Arc::new(App {
        auth,
        metrics,
        usage,
        prices,
        group_limits: crate::group_limits::from_config(&config),
        expose_target,
        body_limit: config.server.body_limit_bytes,
        limits: Limits::from(&config.server),
        body_budget: BodyBudget::new(config.server.max_inflight_body_bytes),
        keep_alive: Duration::from_secs(config.server.keep_alive_seconds),
        cors: Cors::new(config.server.cors_origins.clone()),
        limiter: (config.server.max_concurrent_requests > 0)
            .then(|| Arc::new(Semaphore::new(config.server.max_concurrent_requests))),
        metrics_on_main: metrics_listener.is_none(),
        metrics_only: false,
        openapi: bytes::Bytes::from(openapi::document().to_string()),
        swagger: openapi::swagger_config(),
        gateway,
        store: Some(store),
        shared_limits,
    });
    let (stop, stopped) = watch::channel(false);
    if let Some(listener) = metrics_listener {
        tokio::spawn(accept(listener, metrics_only(app.clone()), None, stopped.clone(), grace));
    }
    let usage = app.usage.clone().map(|usage| (usage, grace));
    let task = tokio::spawn(accept(listener, app, tls, stopped, grace));
    tracing::info!(address = %format!("{scheme}://{local}"), "obs listening");
    Ok(RunningServer {
        addr: local,
        metrics_addr,
        stop,
        task,
        usage,
        #[cfg(feature = "demo")]
        demo,
    })
}

/// The managed keys, when `server.admin_keys` is set: from `keys.store_url`, else from the Responses store (one
/// database), loaded before the server starts and refreshed every `keys.refresh_seconds`.
async fn open_key_ring(
    config: &obs_service::config::Config,
    responses: &crate::stored::Stored,
) -> Result<Option<Arc<crate::keyring::KeyRing>>, ServerError> {
    if config.server.admin_keys.is_empty() {
        return Ok(None);
    }
    let cannot =
        |e: obs_store::StoreError| ServerError::Config(format!("keys.store_url: the key store cannot be opened: {e}"));
    let store = match &config.keys.store_url {
        Some(url) => obs_store::Store::open(url).await.map_err(cannot)?,
        None => responses.store().clone(),
    };
    let ring = crate::keyring::KeyRing::open(store).await.map_err(cannot)?;
    crate::keyring::KeyRing::spawn_refresh(&ring, Duration::from_secs(config.keys.refresh_seconds));
    tracing::info!("managed keys on");
    Ok(Some(ring))
}

/// The metrics listener answers `/metrics` (from the main listener's registry) and nothing else.
fn metrics_only(app: Arc<App>) -> Arc<App> {
    Arc::new(App {
        gateway: app.gateway.clone(),
        auth: app.auth.clone(),
        metrics: app.metrics.clone(),
        expose_target: false,
        body_limit: 0,
        limits: app.limits.clone(),
        body_budget: BodyBudget::new(0),
        keep_alive: app.keep_alive,
        cors: Cors::new(Vec::new()),
        limiter: None,
        metrics_on_main: true,
        metrics_only: true,
        openapi: app.openapi.clone(),
        swagger: app.swagger.clone(),
        store: None,
        shared_limits: None,
        usage: None,
        prices: app.prices.clone(),
        group_limits: std::collections::HashMap::new(),
    })
}

/// Per-connection protocol settings: header and keep-alive timeouts (hyper's timer), HTTP/2 pings, HTTP/2 header
/// limits matching HTTP/1.1's. `one_request` builds the overflow's builder (no keep-alive).
fn connection_builder(app: &App, one_request: bool) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // hyper's header timer runs from when a connection is ready for a request: the keep-alive idle limit. The
    // shorter limit on a head itself, from its first byte, is HeadDeadline's.
    let ready_timeout = if one_request { overflow_header_timeout(app) } else { app.limits.keep_alive_idle };
    builder.http1().timer(TokioTimer::new()).header_read_timeout(ready_timeout).keep_alive(!one_request);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(app.limits.http2_keep_alive)
        .keep_alive_timeout(app.limits.http2_keep_alive)
        // hyper's HTTP/1.1 reader refuses heads over ~400 KiB and 100 headers; HTTP/2's default list is 16 MiB.
        .max_header_list_size(HTTP2_MAX_HEADER_LIST);
    builder
}

/// An overflow connection must send its request at once: a health check does, and an idle socket that took an
/// overflow slot gives it back within half a second.
fn overflow_header_timeout(app: &App) -> Duration {
    app.limits.header_timeout.min(Duration::from_millis(500))
}

/// The largest header block an HTTP/2 client may send, as HTTP/1.1's read buffer allows.
const HTTP2_MAX_HEADER_LIST: u32 = 400 * 1024;

async fn accept(
    listener: TcpListener,
    app: Arc<App>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    mut stopped: watch::Receiver<bool>,
    grace: Duration,
) {
    let graceful = GracefulShutdown::new();
    let builder = connection_builder(&app, false);
    let overflow_builder = connection_builder(&app, true);
    let limits = ConnectionLimits::new(app.limits.max_connections);
    let mut backoff = AcceptBackoff::new();
    tracing::debug!(max_connections = limits.max, "connection limits");
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stopped.changed() => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => {
                backoff.succeeded();
                stream
            }
            Err(error) => {
                backoff.failed(&error).await;
                continue;
            }
        };
        let admission = limits.admit();
        let _ = stream.set_nodelay(true);
        let handler = app.clone();
        let service = hyper::service::service_fn(move |request| {
            let app = handler.clone();
            async move { Ok::<_, Infallible>(router::handle(app, request).await) }
        });
        let (builder, permit, header_timeout) = match admission {
            Admission::Normal(permit) => (builder.clone(), Some(permit), app.limits.header_timeout),
            Admission::Overflow(permit) => (overflow_builder.clone(), Some(permit), overflow_header_timeout(&app)),
            // Beyond the overflow: only a request already here is served; an idle socket is closed at once.
            Admission::Shed => (overflow_builder.clone(), None, Duration::ZERO),
        };
        let watcher = graceful.watcher();
        let tls = tls.clone();
        tokio::spawn(async move {
            // hyper's header timer starts once it reads a request; the protocol sniffing before the first one has
            // none. A client that connects and never sends is held to the same limit here.
            let mut first = [0u8; 1];
            if let Ok(Ok(1..)) = tokio::time::timeout(header_timeout, stream.peek(&mut first)).await {
                match tls {
                    None => {
                        let io = TokioIo::new(WithErrorBodies::new(HeadDeadline::new(stream, header_timeout)));
                        let _ = watcher.watch(builder.serve_connection(io, service).into_owned()).await;
                    }
                    // The handshake is held to the head's limit; the limits on heads and bodies then apply to
                    // the decrypted stream, as on plain connections.
                    Some(acceptor) => {
                        if let Ok(Ok(stream)) = tokio::time::timeout(header_timeout, acceptor.accept(stream)).await {
                            let io = TokioIo::new(WithErrorBodies::new(HeadDeadline::new(stream, header_timeout)));
                            let _ = watcher.watch(builder.serve_connection(io, service).into_owned()).await;
                        }
                    }
                }
            }
            drop(permit);
        });
    }
    drop(listener);
    tracing::info!(grace_seconds = grace.as_secs(), "shutting down: draining in-flight requests");
    if tokio::time::timeout(grace, graceful.shutdown()).await.is_err() {
        tracing::warn!("grace period over: closing the remaining connections");
    }
}

/// Runs until SIGINT or SIGTERM, then shuts down gracefully.
pub async fn run(options: ServeOptions) -> Result<(), ServerError> {
    let server = start(options).await?;
    wait_for_signal().await;
    server.shutdown();
    server.wait().await;
    Ok(())
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
