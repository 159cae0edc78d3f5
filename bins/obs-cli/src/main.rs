//! `obs-cli`: load `./.env` (never overriding the environment), parse arguments, run, exit non-zero with one line
//! on stderr when the command failed.

use clap::Parser;

// The same allocator as obs-server: `obs-cli serve` runs the same gateway.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    // Before any thread exists: dotenvy sets process environment variables.
    let _ = dotenvy::dotenv();
    match obs_cli::run(obs_cli::args::Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("Error: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
