//! Saturation throughput measured by `wrk` when it is installed: a C load generator, much lighter than any
//! client written on tokio, so more of the two cores go to the processes under test. The reference
//! figures (nginx ~50,000 req/s, LiteLLM ~75 req/s) were taken with it.

use std::process::Command;

use crate::load::Target;

/// Whether `wrk` can be run.
pub fn available() -> bool {
    Command::new("wrk").arg("--version").output().is_ok()
}

/// Requests per second over `seconds` with one wrk thread and `connections` keep-alive connections, or None when
/// wrk failed or any answer was not 2xx (a rate of errors is not a throughput).
pub fn requests_per_second(target: &Target, connections: usize, seconds: u64) -> Option<f64> {
    let script = std::env::temp_dir().join(format!("obs-bench-wrk-{}.lua", std::process::id()));
    let mut lua = String::from("wrk.method = \"POST\"\nwrk.headers[\"content-type\"] = \"application/json\"\n");
    for (name, value) in &target.headers {
        lua.push_str(&format!("wrk.headers[\"{name}\"] = [==[{value}]==]\n"));
    }
    lua.push_str(&format!("wrk.body = [==[{}]==]\n", String::from_utf8_lossy(&target.body)));
    std::fs::write(&script, lua).ok()?;
    let output = Command::new("wrk")
        .args(["-t1", &format!("-c{connections}"), &format!("-d{seconds}s"), "-s"])
        .arg(&script)
        .arg(&target.url)
        .output();
    let _ = std::fs::remove_file(&script);
    let text = String::from_utf8(output.ok()?.stdout).ok()?;
    if text.contains("Non-2xx or 3xx responses") || text.contains("Socket errors") {
        return None;
    }
    text.lines().find_map(|line| line.trim().strip_prefix("Requests/sec:")).and_then(|v| v.trim().parse().ok())
}

/// Saturation at 64 connections: a one-second warm-up, then the measured `seconds`.
pub fn saturation(target: &Target, seconds: u64) -> Option<f64> {
    requests_per_second(target, 64, 1);
    requests_per_second(target, 64, seconds)
}

/// A rate for the tables, or `failed`.
pub fn show(rate: Option<f64>) -> String {
    rate.map_or_else(|| "failed".to_owned(), |r| format!("{r:.0}"))
}

/// `proxy / floor` to two places, or `-` when either run failed.
pub fn ratio(proxy: Option<f64>, floor: Option<f64>) -> String {
    match (proxy, floor) {
        (Some(p), Some(f)) if f > 0.0 => format!("{:.2}", p / f),
        _ => "-".to_owned(),
    }
}
