//! Embeddable obs: the service trait, the provider factory, routing by model id, configuration and AWS credentials.
//!
//! Owns: what another Rust application needs to run obs without HTTP. Built on `obs-adapters` and `obs-convert`.
//! Must not import: `obs-server`, `obs-cli`, hyper, clap.
//!
//! Nearly empty for now; the issue "obs-service: the embeddable library" fills it.
#![forbid(unsafe_code)]
