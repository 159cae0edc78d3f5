//! `obs-server [--host H] [--port P] [--config FILE] [--demo] [--no-auth]`: parse arguments, run the gateway until
//! SIGINT/SIGTERM, exit non-zero with one line on stderr when it cannot start.

use std::path::PathBuf;

use clap::Parser;

// jemalloc instead of glibc malloc: 10-13% less CPU per request with two worker threads freeing each other's
// buffers (glibc's per-arena locks), for about 2 MiB more resident memory (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// obs — an OpenAI-compatible gateway in front of OpenAI and AWS Bedrock.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Listen address (overrides HOST and server.host).
    #[arg(long)]
    host: Option<String>,
    /// Listen port (overrides PORT and server.port).
    #[arg(long)]
    port: Option<u16>,
    /// Configuration file (default: $OBS_CONFIG when set and not empty, else ./obs.toml if present).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Answer from an in-process emulator of OpenAI and Bedrock that replies like a model: text derived from the
    /// prompt, tool calls built from the tool's schema, JSON for structured output; no keys, no network.
    #[arg(long)]
    demo: bool,
    /// Serve without gateway keys.
    #[arg(long)]
    no_auth: bool,
}

fn main() -> std::process::ExitCode {
    match serve(Args::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            // One line, the cause chain included; never a backtrace.
            eprintln!("obs-server: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn serve(args: Args) -> anyhow::Result<()> {
    let options = obs_server::ServeOptions::load(args.config, args.host, args.port, args.demo, args.no_auth)?;
    obs_server::init_logging(&options.config.logging.level, &options.config.logging.format);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(obs_server::run(options))?;
    Ok(())
}
