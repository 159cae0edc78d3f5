//! The processes under test: obs-mock, obs-server and LiteLLM, started and stopped by the harness.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// A child process killed on drop.
pub struct Proc {
    pub child: Child,
    pub base: String,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// `obs-mock --port 0 …`, reading its address from the first line.
pub fn mock(binary: &str, args: &[&str]) -> anyhow::Result<Proc> {
    let mut command = Command::new(binary);
    command.args(["--port", "0"]).args(args);
    listening(command, "obs-mock")
}

/// This harness again, as the floor proxy in front of `upstream` (see floor.rs).
pub fn floor(upstream: &str) -> anyhow::Result<Proc> {
    let mut command = Command::new(std::env::current_exe()?);
    command.args(["--floor-proxy", upstream]);
    listening(command, "the floor proxy")
}

/// Starts a process that prints `listening on <base>` as its first line.
fn listening(mut command: Command, what: &str) -> anyhow::Result<Proc> {
    let mut child = command.stdout(Stdio::piped()).spawn().with_context(|| format!("starting {what}"))?;
    let stdout = child.stdout.take().with_context(|| format!("{what} stdout"))?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .with_context(|| format!("{what} did not print its address"))?
        .to_owned();
    Ok(Proc { child, base })
}

/// The environment that points obs-server at a mock.
pub fn obs_env(mock_base: &str, port: u16) -> Vec<(&'static str, String)> {
    vec![
        ("API_KEY", "bench-key".to_owned()),
        ("PORT", port.to_string()),
        ("OPENAI_API_KEY", "sk-bench".to_owned()),
        ("OPENAI_BASE_URL", format!("{mock_base}/v1")),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("BEDROCK_ENDPOINT_URL", mock_base.to_owned()),
        ("BEDROCK_CONTROL_ENDPOINT_URL", mock_base.to_owned()),
        ("AWS_ACCESS_KEY_ID", "AKIDBENCH".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "bench-secret".to_owned()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ("LOG_LEVEL", "info".to_owned()),
    ]
}

/// Starts obs-server (logs to /dev/null: one INFO line per request is still formatted and written).
pub fn obs(binary: &str, mock_base: &str) -> anyhow::Result<Proc> {
    obs_with(binary, mock_base, &[])
}

/// Starts obs-server with extra environment (`OBS_CONFIG`, …).
pub fn obs_with(binary: &str, mock_base: &str, extra: &[(&str, String)]) -> anyhow::Result<Proc> {
    let port = free_port()?;
    let child = Command::new(binary)
        .envs(obs_env(mock_base, port))
        .envs(extra.iter().map(|(k, v)| (*k, v.as_str())))
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting obs-server")?;
    Ok(Proc { child, base: format!("http://127.0.0.1:{port}") })
}

/// The master key LiteLLM runs with (clients send it as a Bearer token).
pub const LITELLM_KEY: &str = "sk-bench-litellm-master";

/// Starts LiteLLM proxy with one model routed to the mock's OpenAI endpoint.
pub fn litellm(binary: &str, mock_base: &str, dir: &std::path::Path) -> anyhow::Result<Proc> {
    let port = free_port()?;
    let config = dir.join("litellm.yaml");
    std::fs::write(
        &config,
        format!(
            "model_list:\n  - model_name: gpt-4o\n    litellm_params:\n      model: openai/gpt-4o\n      api_base: {mock_base}/v1\n      api_key: sk-bench\nlitellm_settings:\n  telemetry: false\n"
        ),
    )?;
    let child = Command::new(binary)
        .args(["--config", &config.to_string_lossy(), "--port", &port.to_string(), "--num_workers", "1"])
        // LiteLLM refuses to start without a master key; it gets one, as obs gets API_KEY.
        .env("LITELLM_MASTER_KEY", LITELLM_KEY)
        .env("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        .env("LITELLM_TELEMETRY", "False")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting litellm")?;
    Ok(Proc { child, base: format!("http://127.0.0.1:{port}") })
}

/// Resident memory of a process and its descendants, in MiB (from /proc).
pub fn rss_mib(pid: u32) -> f64 {
    let mut total_kib = 0u64;
    let mut stack = vec![pid];
    while let Some(pid) = stack.pop() {
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            total_kib += status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0);
        }
        if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
            for task in tasks.flatten() {
                if let Ok(children) = std::fs::read_to_string(task.path().join("children")) {
                    stack.extend(children.split_whitespace().filter_map(|c| c.parse::<u32>().ok()));
                }
            }
        }
    }
    total_kib as f64 / 1024.0
}

/// Waits until `probe` succeeds, or fails after `timeout`.
pub async fn wait_ready<F, Fut>(timeout: Duration, mut probe: F) -> anyhow::Result<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while started.elapsed() < timeout {
        if probe().await {
            return Ok(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    bail!("not ready after {timeout:?}")
}
