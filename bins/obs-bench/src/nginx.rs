//! A static nginx as the OpenAI upstream: the issue's own reference setup ("a static nginx answering as a fake
//! OpenAI upstream serves ~50,000 req/s to wrk directly"). It is the cheapest upstream there is, so more of the two
//! cores go to the proxy in front of it than with obs-mock. Used when nginx is installed; it answers every POST
//! with the mock's own answer, byte for byte, from a file: the JSON under `/plain`, the whole SSE transcript under
//! `/stream`.

use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::Context;

use crate::procs::{self, Proc};

/// The nginx executable, when one is installed (`/usr/sbin` is not on every user's PATH).
pub fn binary() -> Option<&'static str> {
    ["nginx", "/usr/sbin/nginx"].into_iter().find(|candidate| Command::new(candidate).arg("-v").output().is_ok())
}

/// Starts nginx (one process, no daemon, everything under `dir`) serving `answer` at
/// `/plain/v1/chat/completions` and `transcript` at `/stream/v1/chat/completions`.
pub fn start(binary: &str, answer: &[u8], transcript: &[u8], dir: &Path) -> anyhow::Result<Proc> {
    for (mode, body) in [("plain", answer), ("stream", transcript)] {
        let chat = dir.join("files").join(mode).join("v1/chat");
        std::fs::create_dir_all(&chat)?;
        std::fs::write(chat.join("completions"), body)?;
    }
    let port = procs::free_port()?;
    let config = dir.join("nginx.conf");
    std::fs::write(&config, config_text(&dir.to_string_lossy(), port))?;
    let child = Command::new(binary)
        .arg("-p")
        .arg(dir)
        .arg("-e")
        .arg(dir.join("error.log"))
        .arg("-c")
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting nginx")?;
    Ok(Proc { child, base: format!("http://127.0.0.1:{port}") })
}

/// The files are served to POSTs through nginx's usual trick: the static module refuses POST with 405, and
/// `error_page 405 =200 $uri` serves the same file with status 200 instead. Open files stay cached.
fn config_text(dir: &str, port: u16) -> String {
    let temp_paths: String = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
        .map(|kind| format!("  {kind}_temp_path {dir}/{kind};\n"))
        .concat();
    let location = |mode: &str, content_type: &str| {
        format!(
            "    location /{mode}/ {{ root {dir}/files; types {{ }} default_type {content_type}; \
             error_page 405 =200 $uri; }}\n"
        )
    };
    format!(
        "worker_processes 1;\ndaemon off;\nmaster_process off;\npid {dir}/nginx.pid;\nerror_log {dir}/error.log warn;\n\
         events {{ worker_connections 4096; }}\n\
         http {{\n  access_log off;\n  keepalive_requests 1000000;\n  open_file_cache max=16;\n{temp_paths}  server {{\n\
         \x20   listen 127.0.0.1:{port};\n{}{}  }}\n}}\n",
        location("plain", "application/json"),
        location("stream", "text/event-stream")
    )
}
