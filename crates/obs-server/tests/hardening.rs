//! Hostile and slow clients over a real listener: slow headers, trickled bodies, idle keep-alive connections, a
//! connection cap filled with idle sockets, and transport failures that must not reach clients in detail.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::{chat, start, status_json};
use pretty_assertions::assert_eq;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Adds provider `down`, an OpenAI-kind provider nobody listens for.
fn with_unreachable_provider(config: &mut obs_service::config::Config) {
    let down = obs_service::config::OpenAiSection {
        base_url: "http://127.0.0.1:1/v1".to_owned(),
        api_key: Some(secrecy::SecretString::from("sk-test".to_owned())),
        ..Default::default()
    };
    config.providers.insert("down".to_owned(), obs_service::config::ProviderConfig::OpenAi(down));
}

/// Reads until the peer closes (or `limit` passes); what it sent and whether it closed.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (String, bool) {
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buffer)).await {
            Err(_) => return (String::from_utf8_lossy(&received).into_owned(), false),
            Ok(Ok(0) | Err(_)) => return (String::from_utf8_lossy(&received).into_owned(), true),
            Ok(Ok(n)) => received.extend_from_slice(&buffer[..n]),
        }
    }
}

#[tokio::test]
async fn a_header_sent_slowly_is_cut_off_at_the_header_timeout() {
    let server = start(|config| config.server.header_timeout_seconds = 1).await;
    let mut stream = TcpStream::connect(server.server.local_addr()).await.unwrap();
    let started = Instant::now();
    // One byte every 300 ms: the head never completes within the second it has.
    for byte in b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n" {
        if stream.write_all(&[*byte]).await.is_err() {
            break;
        }
        if started.elapsed() > Duration::from_secs(3) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let (_, closed) = read_until_closed(&mut stream, Duration::from_secs(3)).await;
    assert!(closed, "the connection is closed");
    let lasted = started.elapsed();
    assert!(lasted < Duration::from_secs(4), "closed after {lasted:?}");
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_and_a_silent_one_too() {
    let server = start(|config| {
        config.server.header_timeout_seconds = 1;
        config.server.keep_alive_idle_seconds = 1;
    })
    .await;
    // A request, then silence: the keep-alive connection is closed once the timeout passes.
    let mut stream = TcpStream::connect(server.server.local_addr()).await.unwrap();
    stream.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let started = Instant::now();
    let (text, closed) = read_until_closed(&mut stream, Duration::from_secs(4)).await;
    assert!(text.starts_with("HTTP/1.1 200 OK"), "{text}");
    assert!(text.ends_with("{\"status\":\"ok\"}"), "{text}");
    assert!(
        closed && started.elapsed() < Duration::from_secs(3),
        "idle connection closed after {:?}",
        started.elapsed()
    );
    // A connection that never sends anything is closed as well.
    let mut silent = TcpStream::connect(server.server.local_addr()).await.unwrap();
    let (text, closed) = read_until_closed(&mut silent, Duration::from_secs(4)).await;
    assert!(closed, "silent connection closed");
    assert_eq!(text, "", "nothing is sent to a client that never asked");
}

#[tokio::test]
async fn a_body_trickled_against_its_length_gets_408() {
    let server = start(|config| {
        config.server.body_timeout_seconds = 1;
        config.server.min_body_bytes_per_second = 1024;
    })
    .await;
    let mut stream = TcpStream::connect(server.server.local_addr()).await.unwrap();
    let head = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n",
        common::KEY
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let writer = async {
        for _ in 0..40 {
            if stream.write_all(b"          ").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    writer.await;
    let (text, _) = read_until_closed(&mut stream, Duration::from_secs(3)).await;
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no answer: {text:?}"));
    assert!(head.starts_with("HTTP/1.1 408"), "{head}");
    let body: serde_json::Value = serde_json::from_str(body.trim()).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"error":{"message":"The request body arrived too slowly.","type":"invalid_request_error","param":null,"code":"request_timeout"}})
    );
    assert!(started.elapsed() < Duration::from_secs(4), "{:?}", started.elapsed());
}

#[tokio::test]
async fn health_answers_while_idle_connections_hold_the_cap() {
    // A cap of 16 connections (and an overflow of 8) filled by sockets that never send a byte.
    let server = start(|config| {
        config.server.max_connections = 16;
        config.server.header_timeout_seconds = 30;
    })
    .await;
    let addr = server.server.local_addr();
    let mut idle = Vec::new();
    for _ in 0..16 {
        idle.push(TcpStream::connect(addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    for _ in 0..5 {
        let started = Instant::now();
        let response = reqwest::get(format!("{}/health", server.base)).await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers().get("connection").and_then(|v| v.to_str().ok()), Some("close"));
        assert!(started.elapsed() < Duration::from_millis(500), "{:?}", started.elapsed());
    }
    drop(idle);
}

#[tokio::test]
async fn unreachable_upstreams_are_named_in_one_sentence_without_addresses() {
    let server = start(with_unreachable_provider).await;
    let (status, body) = status_json(server.post("/v1/chat/completions", &chat("down/gpt-4o")).await).await;
    assert_eq!(status, 502);
    assert_eq!(
        body,
        serde_json::json!({"error":{"message":"Could not connect to the upstream.","type":"api_error","param":null,"code":"upstream_unreachable"}})
    );
}

#[tokio::test]
async fn one_model_is_retrieved_by_id_as_the_sdks_do() {
    let server = start(|_| {}).await;
    let (status, body) = status_json(server.get("/v1/models/gpt-4o").await).await;
    assert_eq!((status, body["id"].as_str(), body["object"].as_str()), (200, Some("gpt-4o"), Some("model")));
    let (status, body) = status_json(server.get("/v1/models/us.anthropic.claude-3-5-sonnet-20241022-v2:0").await).await;
    assert_eq!((status, body["owned_by"].as_str()), (200, Some("bedrock")));
    let (status, body) = status_json(server.get("/v1/models/no-such-model").await).await;
    assert_eq!(
        (status, body),
        (
            404,
            serde_json::json!({"error":{"message":"The model 'no-such-model' does not exist.","type":"invalid_request_error","param":"model","code":"model_not_found"}})
        )
    );
    let (status, body) = status_json(server.get("/v1/models/text-embedding-3-small").await).await;
    assert_eq!(
        (status, body["id"].as_str()),
        (200, Some("text-embedding-3-small")),
        "embedding models are listed: /v1/embeddings serves them"
    );
    let anonymous = server.client.get(format!("{}/v1/models/gpt-4o", server.base)).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn a_client_that_leaves_before_the_answer_is_counted_as_client_closed() {
    let server = start(|_| {}).await;
    let body = chat("gpt-4o-slow");
    let slow = server.post("/v1/chat/completions", &body);
    // The mock's slow scenario delays the answer; give up long before it comes.
    assert!(tokio::time::timeout(Duration::from_millis(200), slow).await.is_err());
    // A parameter the target cannot honour is obs's refusal, not an upstream error.
    let tools = serde_json::json!({"model":"amazon.titan-text-express-v1","messages":[{"role":"user","content":"hi"}],
        "tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}]});
    let (status, body) = status_json(server.post("/v1/chat/completions", &tools).await).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("unsupported_parameter")));
    let mut metrics = String::new();
    for _ in 0..50 {
        metrics = server.get("/metrics").await.text().await.unwrap();
        if metrics.contains("status=\"499\"") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        metrics.contains("obs_requests_total{route=\"chat_completions\",status=\"499\",provider=\"openai\"} 1"),
        "{metrics}"
    );
    assert!(!metrics.contains("status=\"0\""), "{metrics}");
    assert!(!metrics.contains("obs_upstream_errors_total{code=\"unsupported_parameter\"}"), "{metrics}");
}

#[tokio::test]
async fn request_bodies_in_flight_share_one_budget() {
    let server = start(|config| config.server.max_inflight_body_bytes = 1024 * 1024).await;
    // A client that declares 900 kB and sends a little holds most of the budget while it dawdles.
    let mut holder = TcpStream::connect(server.server.local_addr()).await.unwrap();
    let head = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Length: 900000\r\n\r\n{{",
        common::KEY
    );
    holder.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;

    let padding = "x".repeat(500_000);
    let large = serde_json::json!({"model":"gpt-4o","messages":[{"role":"user","content":padding}]});
    let started = Instant::now();
    let response = server.post("/v1/chat/completions", &large).await;
    assert_eq!(response.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("1"));
    let (status, body) = status_json(response).await;
    assert_eq!(
        (status, body),
        (
            503,
            serde_json::json!({"error":{"message":"The gateway is receiving too many large requests at once; retry shortly.","type":"api_error","param":null,"code":"service_unavailable"}})
        )
    );
    assert!(started.elapsed() >= Duration::from_millis(1900), "it waited for budget first: {:?}", started.elapsed());
    // Small requests still fit beside the holder; once it leaves, the large one does too.
    let (status, _) = status_json(server.post("/v1/chat/completions", &chat("gpt-4o")).await).await;
    assert_eq!(status, 200);
    drop(holder);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (status, body) = status_json(server.post("/v1/chat/completions", &large).await).await;
    assert_eq!(status, 200, "{body}");
}

/// Sends raw bytes and reads the answer until the server closes: (status line, parsed JSON body).
async fn raw(server: &common::TestServer, request: &[u8]) -> (String, serde_json::Value) {
    let mut stream = TcpStream::connect(server.server.local_addr()).await.unwrap();
    let _ = stream.write_all(request).await;
    let (text, _) = read_until_closed(&mut stream, Duration::from_secs(3)).await;
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no answer: {text:?}"));
    assert!(head.contains("\r\ncontent-type: application/json\r\n"), "{head}");
    (head.lines().next().unwrap().to_owned(), serde_json::from_str(body).unwrap_or_else(|_| panic!("{text}")))
}

#[tokio::test]
async fn the_http_stacks_own_rejections_come_in_the_openai_shape() {
    let server = start(|_| {}).await;
    let invalid = serde_json::json!({"error":{"message":"The request is not valid HTTP/1.1: its request line or headers cannot be read.","type":"invalid_request_error","param":null,"code":"invalid_request"}});
    let too_large = serde_json::json!({"error":{"message":"The request's headers are too many or too large.","type":"invalid_request_error","param":null,"code":"request_headers_too_large"}});
    let conflicting =
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n";
    assert_eq!(raw(&server, conflicting).await, ("HTTP/1.1 400 Bad Request".to_owned(), invalid.clone()));
    let bad_header = b"GET /health HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n";
    assert_eq!(raw(&server, bad_header).await, ("HTTP/1.1 400 Bad Request".to_owned(), invalid));
    let mut many = b"GET /health HTTP/1.1\r\n".to_vec();
    for i in 0..1000 {
        many.extend_from_slice(format!("X-{i}: y\r\n").as_bytes());
    }
    many.extend_from_slice(b"\r\n");
    let expected = ("HTTP/1.1 431 Request Header Fields Too Large".to_owned(), too_large);
    assert_eq!(raw(&server, &many).await, expected);
    let mut big = b"GET /health HTTP/1.1\r\nX-Big: ".to_vec();
    big.extend(std::iter::repeat_n(b'a', 1_000_000));
    big.extend_from_slice(b"\r\n\r\n");
    assert_eq!(raw(&server, &big).await, expected);
}

#[tokio::test]
async fn a_dropped_upstream_connection_is_upstream_error_streamed_or_not() {
    let server = start(|_| {}).await;
    for model in ["gpt-4o-disconnect", "anthropic.claude-3-haiku-disconnect", "amazon.nova-lite-disconnect"] {
        let (status, body) = status_json(server.post("/v1/chat/completions", &chat(model)).await).await;
        assert_eq!((status, body["error"]["code"].as_str()), (502, Some("upstream_error")), "{model}: {body}");
        let mut streamed = chat(model);
        streamed["stream"] = serde_json::json!(true);
        let transcript = server.post("/v1/chat/completions", &streamed).await.text().await.unwrap();
        let last = common::data_lines(&transcript).pop().unwrap_or_default();
        let event: serde_json::Value = serde_json::from_str(&last).unwrap_or_else(|_| panic!("{model}: {transcript}"));
        assert_eq!(event["error"]["code"], "upstream_error", "{model}: {transcript}");
        for leak in ["http://", "os error", "127.0.0.1"] {
            assert!(!transcript.contains(leak) && !body.to_string().contains(leak), "{model} leaks {leak}");
        }
    }
}

#[tokio::test]
async fn no_error_a_client_reads_names_a_url_an_address_or_an_os_error() {
    let server = start(with_unreachable_provider).await;
    let mut models = vec!["down/gpt-4o".to_owned(), "nope/x".to_owned(), "amazon.titan-embed-text-v2:0".to_owned()];
    for scenario in ["throttle", "denied", "invalid", "notfound", "unavailable", "midstream-error", "disconnect"] {
        for base in ["gpt-4o", "anthropic.claude-3-haiku", "amazon.nova-lite", "amazon.titan-text-express"] {
            models.push(format!("{base}-{scenario}"));
        }
    }
    for model in &models {
        for stream in [false, true] {
            let mut body = chat(model);
            body["stream"] = serde_json::json!(stream);
            let text = server.post("/v1/chat/completions", &body).await.text().await.unwrap();
            for leak in ["http://", "https://", "os error", "127.0.0.1", "error trying to connect", "tcp connect"] {
                assert!(!text.contains(leak), "{model} (stream {stream}) leaks {leak:?}: {text}");
            }
        }
    }
}

#[tokio::test]
async fn shutdown_closes_idle_connections_at_once_and_waits_for_no_half_sent_request_for_long() {
    let t = start(|config| {
        config.server.shutdown_grace_seconds = 30;
        config.server.header_timeout_seconds = 1;
    })
    .await;
    let addr = t.server.local_addr();
    // An idle keep-alive connection, a half-sent request and a socket that never sent a byte.
    let mut idle = TcpStream::connect(addr).await.unwrap();
    idle.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let mut first = [0u8; 256];
    let _ = idle.read(&mut first).await.unwrap();
    let mut half = TcpStream::connect(addr).await.unwrap();
    half.write_all(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let _silent = TcpStream::connect(addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;

    let started = Instant::now();
    t.server.shutdown();
    let (_, idle_closed) = read_until_closed(&mut idle, Duration::from_secs(3)).await;
    assert!(idle_closed && started.elapsed() < Duration::from_millis(500), "idle closed after {:?}", started.elapsed());
    tokio::time::timeout(Duration::from_secs(5), t.server.wait())
        .await
        .expect("shutdown is not held by a half-sent request");
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
}

#[tokio::test]
async fn http2_clients_meet_the_same_header_limit_as_http1() {
    let server = start(|_| {}).await;
    let h2 = reqwest::Client::builder().http2_prior_knowledge().build().unwrap();
    let ok = h2.get(format!("{}/health", server.base)).send().await.unwrap();
    assert_eq!((ok.version(), ok.status().as_u16()), (reqwest::Version::HTTP_2, 200));
    let big = h2.get(format!("{}/health", server.base)).header("x-big", "a".repeat(1_000_000)).send().await;
    match big {
        Ok(response) => assert_eq!(response.status().as_u16(), 431, "{:?}", response.headers()),
        // hyper's HTTP/2 refuses the oversized header block at the connection (GOAWAY), where no answer body can
        // go: refused at once, not hung, and the server serves the next connection.
        Err(error) => assert!(!error.is_timeout() && format!("{error:?}").contains("GoAway"), "{error:?}"),
    }
    let again = reqwest::Client::builder().http2_prior_knowledge().build().unwrap();
    assert_eq!(again.get(format!("{}/health", server.base)).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn a_keep_alive_connection_may_rest_longer_than_a_head_may_take() {
    let server = start(|config| {
        config.server.header_timeout_seconds = 1;
        config.server.keep_alive_idle_seconds = 3;
    })
    .await;
    let mut stream = TcpStream::connect(server.server.local_addr()).await.unwrap();
    let mut buffer = [0u8; 4096];
    stream.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let n = stream.read(&mut buffer).await.unwrap();
    assert!(String::from_utf8_lossy(&buffer[..n]).starts_with("HTTP/1.1 200 OK"));
    // Resting 1.5 s — longer than a head may take, shorter than the keep-alive limit — then a second request.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stream.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let n = stream.read(&mut buffer).await.unwrap();
    assert!(String::from_utf8_lossy(&buffer[..n]).starts_with("HTTP/1.1 200 OK"), "the rested connection serves");
    // A head begun and left unfinished is cut off at the head limit, not the keep-alive one.
    stream.write_all(b"GET /health HTTP/1.1\r\n").await.unwrap();
    let started = Instant::now();
    let (_, closed) = read_until_closed(&mut stream, Duration::from_secs(3)).await;
    assert!(closed && started.elapsed() < Duration::from_millis(2000), "closed after {:?}", started.elapsed());
}

/// The HTTP/2 frames in `bytes` (a server's side of a connection), as (type, flags) pairs.
fn h2_frames(mut bytes: &[u8]) -> Vec<(u8, u8)> {
    let mut frames = Vec::new();
    while bytes.len() >= 9 {
        let length = usize::from(bytes[0]) << 16 | usize::from(bytes[1]) << 8 | usize::from(bytes[2]);
        frames.push((bytes[3], bytes[4]));
        bytes = &bytes[(9 + length).min(bytes.len())..];
    }
    frames
}

/// Opens an HTTP/2 connection (preface and an empty SETTINGS frame), then goes silent: no SETTINGS ack, no PING
/// ack, no request. What the server sent, and whether it closed, within `limit`.
async fn silent_h2_peer(server: &common::TestServer, limit: Duration) -> (Vec<(u8, u8)>, bool, Duration) {
    let mut stream = TcpStream::connect(server.server.local_addr()).await.unwrap();
    stream.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00").await.unwrap();
    let started = Instant::now();
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    let closed = loop {
        let left = limit.saturating_sub(started.elapsed());
        match tokio::time::timeout(left, stream.read(&mut buffer)).await {
            Err(_) => break false,
            Ok(Ok(0) | Err(_)) => break true,
            Ok(Ok(n)) => received.extend_from_slice(&buffer[..n]),
        }
    };
    (h2_frames(&received), closed, started.elapsed())
}

const H2_PING: u8 = 0x6;
const H2_GOAWAY: u8 = 0x7;

#[tokio::test]
async fn an_http2_peer_that_stops_answering_pings_is_closed() {
    let server = start(|config| config.server.http2_keep_alive_seconds = 1).await;
    let (frames, closed, after) = silent_h2_peer(&server, Duration::from_secs(6)).await;
    assert!(frames.contains(&(H2_PING, 0)), "the server pinged the idle connection: {frames:?}");
    assert!(closed, "the unanswered ping closed the connection: {frames:?}");
    // One interval to the ping, one more for its ack to be overdue.
    assert!(after >= Duration::from_millis(1500) && after < Duration::from_secs(5), "closed after {after:?}");
    assert_eq!(frames.last().map(|f| f.0), Some(H2_GOAWAY), "it said goodbye before closing: {frames:?}");
}

#[tokio::test]
async fn without_pings_due_a_silent_http2_peer_stays_connected() {
    // The contrast that shows the close above is the ping's: with pings 30 s apart the same peer is kept.
    let server = start(|config| config.server.http2_keep_alive_seconds = 30).await;
    let (frames, closed, _) = silent_h2_peer(&server, Duration::from_secs(3)).await;
    assert!(!closed, "closed without an overdue ping: {frames:?}");
    assert!(!frames.contains(&(H2_PING, 0)), "{frames:?}");
}
