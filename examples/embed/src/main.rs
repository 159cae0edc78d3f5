//! Embedding obs in a Rust application: build the service from a configuration, run one non-streaming and one
//! streaming completion. No HTTP server is involved.
//!
//! To stay runnable anywhere, this example starts obs-mock in-process and points both providers at it. In a real
//! application, load the configuration from the process environment and an optional file instead:
//! `Config::load(ConfigSources::process(None))`.
//!
//! `cargo run -p obs-embed-example`

use futures::StreamExt;
use obs_models::openai::ChatCompletionRequest;
use obs_service::config::{Config, ConfigSources};
use obs_service::{ChatService, Gateway};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mock = obs_mock::spawn(obs_mock::MockConfig::default()).await?;
    let transcript = run(&mock.openai_base_url(), &mock.base_url()).await?;
    println!("{transcript}");
    Ok(())
}

/// Runs both completions against an OpenAI base URL and a Bedrock endpoint; returns what was printed.
async fn run(openai_base_url: &str, bedrock_endpoint: &str) -> anyhow::Result<String> {
    let env = |key: &str| -> Option<String> {
        Some(match key {
            "OPENAI_API_KEY" => "sk-example".to_owned(),
            "OPENAI_BASE_URL" => openai_base_url.to_owned(),
            "AWS_REGION" => "us-east-1".to_owned(),
            "BEDROCK_ENDPOINT_URL" => bedrock_endpoint.to_owned(),
            "AWS_ACCESS_KEY_ID" => "AKIDEXAMPLE".to_owned(),
            "AWS_SECRET_ACCESS_KEY" => "example-secret".to_owned(),
            _ => return None,
        })
    };
    let service: std::sync::Arc<dyn ChatService> =
        std::sync::Arc::new(Gateway::new(Config::load(ConfigSources { file: None, env: &env })?)?);
    let mut out = String::new();

    let request: ChatCompletionRequest = serde_json::from_value(serde_json::json!({
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": "What is obs?"}]
    }))?;
    // The answer names who served it; its completion is typed on demand (an OpenAI upstream's JSON is kept as it
    // came until then).
    let answer = service.chat_completion(request).await?;
    let served = answer.served.target();
    let completion = answer.completion.into_typed()?;
    out.push_str(&format!("{served}: {}\n", completion.choices[0].message.content.as_deref().unwrap_or("")));

    let request: ChatCompletionRequest = serde_json::from_value(serde_json::json!({
        "model": "us.anthropic.claude-3-5-haiku-20241022-v1:0",
        "stream": true,
        "messages": [{"role": "user", "content": "Stream a greeting"}]
    }))?;
    let answer = service.chat_completion_stream(request).await?;
    out.push_str(&format!("{} (streamed): ", answer.served.provider));
    let mut stream = obs_service::typed_chunks(answer.stream);
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        if let Some(text) = chunk.choices.first().and_then(|c| c.delta.content.as_deref()) {
            out.push_str(text);
        }
    }
    out.push('\n');
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn runs_both_completions() {
        let mock = obs_mock::spawn(obs_mock::MockConfig::default()).await.unwrap();
        let transcript = super::run(&mock.openai_base_url(), &mock.base_url()).await.unwrap();
        assert_eq!(
            transcript,
            "openai/gpt-4o: You said: What is obs?\nbedrock (streamed): You said: Stream a greeting\n"
        );
    }
}
