//! The SDK floor: the official AWS SDK (`aws-sdk-bedrockruntime`) calling the emulator straight from the load
//! generator, configured as obs's Bedrock adapter configures it (retries off, no stalled-stream guard, static
//! credentials, the emulator as endpoint). Its latency over a plain HTTP request to the same endpoint is what the
//! SDK itself — request building, endpoint resolution, interceptors, SigV4 signing, its HTTP client — adds to every
//! Bedrock call, in any gateway that uses it; obs must (docs/reference/formats.md §7).

use std::time::{Duration, Instant};

use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::config::retry::RetryConfig;
use aws_sdk_bedrockruntime::config::{BehaviorVersion, Credentials, Region, StalledStreamProtectionConfig};
use aws_sdk_bedrockruntime::primitives::Blob;
use aws_sdk_bedrockruntime::types::{ContentBlock, ConversationRole, Message};

use crate::load::Stats;

/// A client for the emulator at `endpoint`.
pub fn client(endpoint: &str) -> Client {
    let config = aws_sdk_bedrockruntime::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("AKIDBENCH", "bench-secret", None, None, "obs-bench"))
        .retry_config(RetryConfig::disabled())
        .stalled_stream_protection(StalledStreamProtectionConfig::disabled())
        .build();
    Client::from_conf(config)
}

/// Which Bedrock call.
#[derive(Clone, Copy)]
pub enum Call {
    /// InvokeModel with a Claude body.
    ClaudeInvoke,
    /// Converse.
    Converse,
}

/// `requests` calls one after another (after a warm-up), as the harness's concurrency-1 runs do.
pub async fn sequential(client: &Client, call: Call, claude_body: &[u8], requests: u64) -> Stats {
    for _ in 0..100 {
        let _ = once(client, call, claude_body).await;
    }
    let mut stats = Stats::default();
    let started = Instant::now();
    for _ in 0..requests {
        let sent = Instant::now();
        if once(client, call, claude_body).await {
            stats.latencies.push(sent.elapsed());
        } else {
            stats.errors += 1;
        }
    }
    stats.elapsed = started.elapsed().max(Duration::from_micros(1));
    stats
}

async fn once(client: &Client, call: Call, claude_body: &[u8]) -> bool {
    match call {
        Call::ClaudeInvoke => client
            .invoke_model()
            .model_id("anthropic.claude-3-haiku-20240307-v1:0")
            .content_type("application/json")
            .accept("application/json")
            .body(Blob::new(claude_body))
            .send()
            .await
            .is_ok(),
        Call::Converse => {
            let Ok(message) = Message::builder()
                .role(ConversationRole::User)
                .content(ContentBlock::Text("hello benchmark".to_owned()))
                .build()
            else {
                return false;
            };
            client.converse().model_id("amazon.nova-lite-v1:0").messages(message).send().await.is_ok()
        }
    }
}
