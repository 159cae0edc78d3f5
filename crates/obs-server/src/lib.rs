//! The obs HTTP gateway: hyper 1 accept loop, routes, auth, the chat pipeline, SSE encoding, metrics.
//!
//! Owns: everything HTTP-facing, including the one function that maps any error to (status, OpenAI error body).
//! Must not import: `obs-cli`, clap. Talks to providers only through `obs-service`.
//!
//! Nearly empty for now; the issue "obs-server: the HTTP gateway" fills it.
#![forbid(unsafe_code)]
