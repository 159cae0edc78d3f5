//! A static nginx as the upstream: the issue's own reference setup ("a static nginx answering as a fake OpenAI
//! upstream serves ~50,000 req/s to wrk directly"). It is the cheapest upstream there is, so more of the two cores
//! go to the proxy in front of it than with obs-mock. Used when nginx is installed; it answers every POST to a
//! known path with the emulator's own answer to that request, byte for byte, from a file — an OpenAI answer or SSE
//! transcript, a Claude answer or Bedrock event stream, a Converse answer or event stream (the AWS SDK does not
//! care who answers; nginx ignores the signature).

use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::Context;

use crate::procs::{self, Proc};

/// The nginx executable, when one is installed (`/usr/sbin` is not on every user's PATH).
pub fn binary() -> Option<&'static str> {
    ["nginx", "/usr/sbin/nginx"].into_iter().find(|candidate| Command::new(candidate).arg("-v").output().is_ok())
}

/// One answer nginx serves: the request path (as a client writes it, percent-encoded), the body, its type.
pub struct Answer {
    pub path: String,
    pub body: Vec<u8>,
    pub content_type: &'static str,
}

/// Starts nginx (one process, no daemon, everything under `dir`) serving `answers`.
pub fn start(binary: &str, answers: &[Answer], dir: &Path) -> anyhow::Result<Proc> {
    let mut locations = String::new();
    for answer in answers {
        // nginx matches and maps the decoded path (`%3A` in a Bedrock model id is `:` on disk).
        let path = percent_encoding::percent_decode_str(&answer.path).decode_utf8().context("answer path")?;
        let file = dir.join("files").join(path.trim_start_matches('/'));
        std::fs::create_dir_all(file.parent().context("answer path")?)?;
        std::fs::write(&file, &answer.body)?;
        locations.push_str(&location(&path, answer.content_type));
    }
    let port = procs::free_port()?;
    let config = dir.join("nginx.conf");
    std::fs::write(&config, config_text(&dir.to_string_lossy(), port, &locations))?;
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
/// `error_page 405 =200 $uri` serves the same file with status 200 instead.
fn location(path: &str, content_type: &str) -> String {
    format!("    location = \"{path}\" {{ types {{ }} default_type {content_type}; error_page 405 =200 $uri; }}\n")
}

fn config_text(dir: &str, port: u16, locations: &str) -> String {
    let temp_paths: String = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
        .map(|kind| format!("  {kind}_temp_path {dir}/{kind};\n"))
        .concat();
    format!(
        "worker_processes 1;\ndaemon off;\nmaster_process off;\npid {dir}/nginx.pid;\nerror_log {dir}/error.log warn;\n\
         events {{ worker_connections 4096; }}\n\
         http {{\n  access_log off;\n  keepalive_requests 1000000;\n  open_file_cache max=64;\n{temp_paths}  server {{\n\
         \x20   listen 127.0.0.1:{port};\n    root {dir}/files;\n{locations}  }}\n}}\n"
    )
}
