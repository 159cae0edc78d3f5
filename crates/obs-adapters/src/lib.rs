//! Provider adapters: OpenAI-compatible HTTP (reqwest) and AWS Bedrock (aws-sdk-bedrockruntime).
//!
//! Owns: dispatch — building clients once, calling upstreams, parsing their transport (SSE, event streams) and
//! mapping their errors. The format work (bodies, events) is obs-convert's.
//! Must not import: `obs-service`, `obs-server`, `obs-cli`, hyper server types.
//!
//! Nearly empty for now; the adapter issues fill it.
#![forbid(unsafe_code)]
