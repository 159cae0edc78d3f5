//! `obs-mock --port P [--first-byte-ms N --chunk-ms N --chunks N]`: runs the emulator until Ctrl-C and prints its
//! address (`listening on http://127.0.0.1:PORT`) on the first line of stdout.

use std::io::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;

/// Local emulator of the OpenAI and AWS Bedrock APIs (loopback only).
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0, env = "OBS_MOCK_PORT")]
    port: u16,
    /// Delay before the first byte of every answer, in milliseconds.
    #[arg(long, default_value_t = 0)]
    first_byte_ms: u64,
    /// Delay between stream events, in milliseconds.
    #[arg(long, default_value_t = 0)]
    chunk_ms: u64,
    /// Make the default reply exactly this many chunks long.
    #[arg(long)]
    chunks: Option<usize>,
    /// Words per streamed text chunk.
    #[arg(long, default_value_t = 1)]
    tokens_per_chunk: usize,
    /// Accept only this OpenAI key (default: any non-empty Bearer token).
    #[arg(long, env = "OBS_MOCK_OPENAI_KEY")]
    openai_key: Option<String>,
}

fn main() -> std::process::ExitCode {
    let outcome = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(anyhow::Error::from)
        .and_then(|runtime| runtime.block_on(run(Args::parse())));
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("obs-mock: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    let config = obs_mock::MockConfig {
        first_byte_delay: Duration::from_millis(args.first_byte_ms),
        chunk_delay: Duration::from_millis(args.chunk_ms),
        chunks: args.chunks,
        tokens_per_chunk: args.tokens_per_chunk,
        openai_api_key: args.openai_key,
        ..obs_mock::MockConfig::default()
    };
    let mock = obs_mock::spawn_on(config, SocketAddr::from(([127, 0, 0, 1], args.port))).await?;
    let mut stdout = std::io::stdout();
    writeln!(stdout, "listening on {}", mock.base_url())?;
    stdout.flush()?;
    tokio::signal::ctrl_c().await?;
    Ok(())
}
