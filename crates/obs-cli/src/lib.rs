//! The obs command line: `serve`, `chat`, `models`, `config`, `history`.
//!
//! Owns: argument parsing (clap) and the interactive chat. Serves through `obs-server`.
//! Must not import: anything that would make the library crates depend on it.
//!
//! Nearly empty for now; the issue "obs-cli" fills it.
#![forbid(unsafe_code)]
