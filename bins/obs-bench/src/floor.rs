//! The floor: the least an HTTP/1 proxy hop can cost on this machine. A hyper server that forwards every request's
//! bytes unchanged to one upstream through a pooled hyper client and streams the answer back — no parsing, no
//! routing, no logging. Run as its own process (`obs-bench --floor-proxy <upstream>`) so it competes for the cores
//! exactly as obs-server does; the difference between obs and this is what obs itself costs.

use std::net::SocketAddr;

use anyhow::Context;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};

type Upstream = Client<HttpConnector, Full<Bytes>>;

/// Serves on a free loopback port, prints `listening on http://…`, forwards to `upstream` until killed.
pub fn serve(upstream: &str) -> anyhow::Result<()> {
    let _: http::Uri = upstream.parse().context("upstream address")?;
    let upstream = upstream.trim_end_matches('/').to_owned();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        println!("listening on http://{}", listener.local_addr()?);
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client: Upstream = Client::builder(TokioExecutor::new()).pool_max_idle_per_host(1024).build(connector);
        loop {
            let (stream, _) = listener.accept().await?;
            let _ = stream.set_nodelay(true);
            let client = client.clone();
            let upstream = upstream.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request| forward(client.clone(), upstream.clone(), request));
                let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
            });
        }
    })
}

async fn forward(
    client: Upstream,
    upstream: String,
    request: http::Request<Incoming>,
) -> Result<http::Response<Incoming>, anyhow::Error> {
    let (mut parts, body) = request.into_parts();
    let body = body.collect().await?.to_bytes();
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    parts.uri = format!("{upstream}{path}").parse()?;
    parts.headers.remove(http::header::HOST);
    Ok(client.request(http::Request::from_parts(parts, Full::new(body))).await?)
}
