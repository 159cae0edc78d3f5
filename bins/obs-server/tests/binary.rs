//! The obs-server binary: --demo answers with no keys, LOG_FORMAT=json logs one JSON line per request, text logs are
//! plain name=value lines, SIGTERM shuts down cleanly, a missing key is one clear line and a non-zero exit.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

fn obs_server() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_obs-server"));
    for key in ["API_KEY", "OPENAI_API_KEY", "AWS_REGION", "AWS_PROFILE", "OBS_CONFIG", "RUST_LOG"] {
        command.env_remove(key);
    }
    command.env("AWS_EC2_METADATA_DISABLED", "true").current_dir(std::env::temp_dir());
    command
}

#[tokio::test]
async fn demo_mode_json_logs_and_sigterm() {
    let mut child =
        obs_server().args(["--demo", "--port", "0"]).env("LOG_FORMAT", "json").stderr(Stdio::piped()).spawn().unwrap();
    let (lines_tx, lines_rx) = std::sync::mpsc::channel::<String>();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let next_json = || -> serde_json::Value {
        let line = lines_rx.recv_timeout(Duration::from_secs(20)).expect("a log line");
        serde_json::from_str(&line).unwrap_or_else(|_| panic!("not a JSON log line: {line}"))
    };
    let address = loop {
        let line = next_json();
        if line["message"] == "obs listening" {
            break line["address"].as_str().unwrap().to_owned();
        }
    };
    let answer: serde_json::Value = reqwest::Client::new()
        .post(format!("{address}/v1/chat/completions"))
        .json(&serde_json::json!({"model":"us.anthropic.claude-3-5-haiku-20241022-v1:0","messages":[{"role":"user","content":"hi"}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["choices"][0]["message"]["content"], "You said: hi");
    let request_line = loop {
        let line = next_json();
        if line["message"] == "request" {
            break line;
        }
    };
    assert_eq!(request_line["status"], 200);
    assert_eq!(request_line["provider"], "bedrock");
    assert_eq!(request_line["model"], "us.anthropic.claude-3-5-haiku-20241022-v1:0");
    assert!(request_line["overhead_ms"].as_f64().is_some() && request_line["request_id"].as_str().is_some());

    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert_eq!(exit.code(), Some(0), "graceful exit on SIGTERM");
}

#[test]
fn refuses_to_start_without_a_key() {
    let output = obs_server().args(["--port", "0"]).output().unwrap();
    assert_ne!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no API key is configured"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one clear line: {stderr}");
}

#[tokio::test]
async fn text_logs_are_plain_name_value_lines() {
    let mut child = obs_server().args(["--demo", "--port", "0"]).stderr(Stdio::piped()).spawn().unwrap();
    let (lines_tx, lines_rx) = std::sync::mpsc::channel::<String>();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let next = || lines_rx.recv_timeout(Duration::from_secs(20)).expect("a log line");
    let address = loop {
        let line = next();
        if let Some((_, address)) = line.split_once(" INFO obs listening address=") {
            break address.to_owned();
        }
    };
    let response = reqwest::Client::new()
        .post(format!("{address}/v1/chat/completions"))
        .header("x-request-id", "trace-7")
        .json(&serde_json::json!({"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let line = loop {
        let line = next();
        if line.contains(" INFO request ") {
            break line;
        }
    };
    // Timestamp, level, message, then the fields: Display values bare, strings quoted, never a colour code.
    let (_, fields) = line.split_once(" INFO request ").unwrap();
    assert!(
        fields.starts_with(
            r#"request_id=trace-7 method=POST path=/v1/chat/completions status=200 model="gpt-4o" provider="openai" target="openai/gpt-4o" retries=0 ingress="openai" outcome="completed" error="-" duration_ms="#
        ),
        "{line}"
    );
    assert!(fields.contains(" overhead_ms=") && !line.contains('\u{1b}'), "{line}");
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = child.wait();
}

/// Under `ulimit -n 128`, 300 idle connections (more than the derived cap of 48 and its overflow of 8) neither make
/// obs spin on failed accepts nor stop `/health` from answering: past the overflow, idle sockets are shed.
#[tokio::test]
async fn a_low_descriptor_limit_filled_with_idle_connections_still_answers_health() {
    let binary = env!("CARGO_BIN_EXE_obs-server");
    // The shell lowers the limit, then becomes obs-server.
    let mut child = Command::new("sh")
        .args(["-c", "ulimit -n 128 && exec \"$0\" --demo --port 0", binary])
        .env_remove("API_KEY")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("LOG_FORMAT", "json")
        .env("LOG_LEVEL", "info")
        .current_dir(std::env::temp_dir())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (lines_tx, lines_rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let address = loop {
        let line = lines_rx.recv_timeout(Duration::from_secs(20)).expect("a log line");
        let line: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        if line["message"] == "obs listening" {
            break line["address"].as_str().unwrap().to_owned();
        }
    };
    let socket: std::net::SocketAddr = address.trim_start_matches("http://").parse().unwrap();
    let mut idle = Vec::new();
    for _ in 0..300 {
        if let Ok(stream) = tokio::net::TcpStream::connect(socket).await {
            idle.push(stream);
        }
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    let client = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    for _ in 0..5 {
        let started = std::time::Instant::now();
        let response = tokio::time::timeout(Duration::from_secs(5), client.get(format!("{address}/health")).send())
            .await
            .expect("/health answers")
            .unwrap();
        assert_eq!(response.status(), 200);
        // The issue's figure is 100 ms; shared CI cores get five times that before this fails.
        assert!(started.elapsed() < Duration::from_millis(500), "{:?}", started.elapsed());
    }
    drop(idle);
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = child.wait();
}
