//! The obs command line: `serve`, `chat`, `models`, `config`, `history`, `keys`, `usage` (docs/reference/configuration.md §10,
//! docs/reference/keys.md).
//!
//! Owns argument parsing ([`args`], clap derive with environment fallbacks), the chat REPL ([`chat`]), the client
//! of a running gateway ([`client`]), `.env` editing ([`config_cmd`]) and saved sessions ([`sessions`]). `serve`
//! runs obs-server's own code. Output goes to writers passed in, so everything is testable without a terminal.
//!
//! Must not import: nothing depends on this crate; it may use every layer below. `.env` loading (which mutates the
//! process environment) happens only in the binary, before any thread starts. Start at [`run`].
#![forbid(unsafe_code)]

pub mod args;
pub mod chat;
pub mod client;
mod commands;
pub mod config_cmd;
mod keys_cmd;
pub mod sessions;

use std::io::{IsTerminal, Write};

use args::{Cli, Command, ConfigAction};

/// A failed command: one line for stderr.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct CliError {
    message: String,
}

impl CliError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        CliError { message: message.into() }
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::new(format!("i/o error: {e}"))
    }
}

impl From<client::ClientError> for CliError {
    fn from(e: client::ClientError) -> Self {
        CliError::new(e.to_string())
    }
}

/// Runs a parsed command line against the real terminal; the error is the one line to print.
pub fn run(cli: Cli) -> Result<(), CliError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::new(format!("cannot start the runtime: {e}")))?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match &cli.command {
        Command::Serve(args) => commands::serve(args, &runtime),
        Command::Models(args) => commands::models(args, &runtime, &mut out),
        Command::Keys(args) => keys_cmd::run(args, &runtime, &mut out),
        Command::Usage(args) => keys_cmd::usage(args, &runtime, &mut out),
        Command::History(args) => commands::history(&args.action, &sessions::SessionStore::from_env()?, &mut out),
        Command::Chat(args) => {
            let store = sessions::SessionStore::from_env()?;
            if std::io::stdin().is_terminal() {
                let history =
                    directories::ProjectDirs::from("", "", "obs").map(|d| d.data_dir().join("chat_input_history.txt"));
                let mut input = chat::input::Terminal::new(history)?;
                // At a terminal everything is stdout (std's stdout lock is re-entrant on this thread).
                let mut notices = std::io::stdout();
                chat::run(args, &runtime, &mut input, chat::Output { answers: &mut out, notices: &mut notices }, &store)
            } else {
                // In a pipe stdout carries only the answers.
                let mut input = chat::input::Piped::new(std::io::stdin().lock());
                let mut notices = std::io::stderr();
                chat::run(args, &runtime, &mut input, chat::Output { answers: &mut out, notices: &mut notices }, &store)
            }
        }
        Command::Config(config) => match &config.action {
            ConfigAction::Set { key: Some(key), value: Some(value) } => {
                config_cmd::set(&config.file, key, value, &mut out)
            }
            ConfigAction::Set { key: Some(key), value: None } => {
                Err(CliError::new(format!("missing value: obs-cli config set {key} VALUE")))
            }
            ConfigAction::Set { key: None, .. } => {
                config_cmd::interactive(&config.file, &mut std::io::stdin().lock(), &mut out)
            }
            ConfigAction::Get { key, show_secrets } => config_cmd::get(&config.file, key, *show_secrets, &mut out),
            ConfigAction::Unset { key } => config_cmd::unset(&config.file, key, &mut out),
            ConfigAction::Show { show_secrets } => config_cmd::show(&config.file, *show_secrets, &mut out),
            ConfigAction::Path => {
                let path = std::path::absolute(&config.file).unwrap_or_else(|_| config.file.clone());
                Ok(writeln!(out, "{}", path.display())?)
            }
            ConfigAction::TestAws => commands::test_aws(&runtime, &mut out),
        },
    }
}
