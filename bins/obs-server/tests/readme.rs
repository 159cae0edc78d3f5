//! The README as a new user follows it: its run command's binary started with `--demo`, and every `curl` line of
//! its shell blocks sent to it as written (only `localhost:8000` pointed at the test's port), so the README cannot
//! drift from what obs answers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

const README: &str = include_str!("../../../README.md");

/// The lines of the README's ```sh blocks, with `\` continuations joined.
fn shell_lines() -> Vec<String> {
    let mut lines = Vec::new();
    let mut in_block = false;
    let mut pending = String::new();
    for line in README.lines() {
        if line.trim_start().starts_with("```") {
            in_block = line.trim() == "```sh";
            continue;
        }
        if !in_block {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(start) => pending.push_str(start),
            None => {
                pending.push_str(line);
                lines.push(std::mem::take(&mut pending).trim().to_owned());
            }
        }
    }
    lines
}

/// The arguments after `--` of the README's `cargo run … --bin obs-server -- …` line.
fn run_command_arguments(lines: &[String]) -> Vec<String> {
    let run = lines
        .iter()
        .find(|line| line.starts_with("cargo run") && line.contains("--bin obs-server"))
        .expect("the README has a run command for obs-server");
    let (_, arguments) = run.split_once(" -- ").expect("the run command passes arguments to obs-server");
    arguments.split_whitespace().map(str::to_owned).collect()
}

/// Starts the binary with `arguments` on a free port; the address it listens on.
fn start(arguments: &[String]) -> (std::process::Child, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_obs-server"));
    for key in ["API_KEY", "OPENAI_API_KEY", "AWS_REGION", "AWS_PROFILE", "OBS_CONFIG", "RUST_LOG", "HOST", "PORT"] {
        command.env_remove(key);
    }
    let mut child = command
        .args(arguments)
        .args(["--port", "0"])
        .env("LOG_FORMAT", "json")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .current_dir(std::env::temp_dir())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (address_tx, address_rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Ok(log) = serde_json::from_str::<Value>(&line)
                && log["message"] == "obs listening"
                && let Some(address) = log["address"].as_str()
            {
                let _ = address_tx.send(address.trim_start_matches("http://").to_owned());
            }
        }
    });
    let address = address_rx.recv_timeout(Duration::from_secs(20)).expect("obs-server says where it listens");
    (child, address)
}

/// What a curl line printed must be an answer, not an error: one JSON object, or an SSE transcript of JSON chunks
/// ending in `[DONE]`.
fn assert_answer(line: &str, output: &str) {
    if let Ok(json) = serde_json::from_str::<Value>(output) {
        assert!(json.get("error").is_none(), "{line}\nanswered an error: {output}");
        assert!(json.is_object(), "{line}\n{output}");
        return;
    }
    let data: Vec<&str> = output.lines().filter_map(|l| l.strip_prefix("data: ")).collect();
    assert_eq!(data.last(), Some(&"[DONE]"), "{line}\nneither JSON nor a finished stream: {output}");
    for chunk in &data[..data.len() - 1] {
        let chunk: Value = serde_json::from_str(chunk).unwrap_or_else(|e| panic!("{line}\n{e}: {chunk}"));
        assert!(chunk.get("error").is_none(), "{line}\nstreamed an error: {output}");
    }
}

#[test]
fn the_readmes_curl_lines_work_against_its_demo_command() {
    let lines = shell_lines();
    let arguments = run_command_arguments(&lines);
    assert!(arguments.iter().any(|a| a == "--demo"), "the README's run command is the demo: {arguments:?}");
    let curls: Vec<&String> = lines.iter().filter(|line| line.starts_with("curl ")).collect();
    assert!(curls.len() >= 2, "the README shows requests to try: {curls:?}");
    let (mut child, address) = start(&arguments);
    for line in curls {
        assert!(line.contains("localhost:8000"), "README curl lines use the default address: {line}");
        let pointed = line.replace("localhost:8000", &address);
        let output =
            Command::new("sh").args(["-c", &pointed]).output().expect("sh runs (curl is installed by scripts/test.sh)");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{line}\nexit {:?}: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        assert_answer(line, &stdout);
    }
    child.kill().unwrap();
    child.wait().unwrap();
}
