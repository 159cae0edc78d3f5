//! Command-line arguments (clap derive, with environment fallbacks).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// obs — an OpenAI-compatible gateway in front of OpenAI and AWS Bedrock.
#[derive(Debug, Parser)]
#[command(name = "obs-cli", version, about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway (the same server as obs-server).
    Serve(ServeArgs),
    /// Chat with a model through a running gateway.
    Chat(ChatArgs),
    /// List the models the gateway offers.
    Models(ModelsArgs),
    /// Read and edit the .env file the gateway and the CLI read.
    Config(ConfigArgs),
    /// Saved chat sessions.
    History(HistoryArgs),
}

/// `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Listen address (default 127.0.0.1, or HOST).
    #[arg(long)]
    pub host: Option<String>,
    /// Listen port (default 8000, or PORT).
    #[arg(long)]
    pub port: Option<u16>,
    /// Configuration file (default: $OBS_CONFIG when set and not empty, else ./obs.toml if present).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Emulate OpenAI and Bedrock in-process: real answers, no keys, no network.
    #[arg(long)]
    pub demo: bool,
    /// Serve without gateway keys.
    #[arg(long)]
    pub no_auth: bool,
}

/// Where the gateway is and how to authenticate.
#[derive(Debug, Clone, Args)]
pub struct ServerArgs {
    /// The gateway's base URL.
    #[arg(long, env = "CHAT_SERVER_URL", default_value = "http://localhost:8000")]
    pub server_url: String,
    /// The gateway key (else CHAT_API_KEY, else API_KEY).
    #[arg(long, env = "CHAT_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
}

/// `chat`.
#[derive(Debug, Args)]
pub struct ChatArgs {
    /// Model id or alias.
    #[arg(long, env = "CHAT_MODEL", default_value = "gpt-4o-mini")]
    pub model: String,
    /// Gateway address and key.
    #[command(flatten)]
    pub server: ServerArgs,
    /// Stream replies as they are generated (the default).
    #[arg(long, overrides_with = "no_stream")]
    pub stream: bool,
    /// Wait for whole replies.
    #[arg(long)]
    pub no_stream: bool,
    /// A system prompt for the session.
    #[arg(long)]
    pub system: Option<String>,
    /// Sampling temperature (0..2).
    #[arg(long)]
    pub temperature: Option<f64>,
    /// Output-token limit per reply.
    #[arg(long)]
    pub max_tokens: Option<u32>,
    /// Continue a saved session.
    #[arg(long)]
    pub session: Option<String>,
    /// Name the new session.
    #[arg(long)]
    pub session_name: Option<String>,
    /// Save the session even when input is piped (at a terminal it is always saved). Saved sessions live in
    /// $OBS_HISTORY_DIR, else the platform data directory (~/.local/share/obs/history on Linux).
    #[arg(long)]
    pub save: bool,
}

/// `models`.
#[derive(Debug, Args)]
pub struct ModelsArgs {
    /// Gateway address and key.
    #[command(flatten)]
    pub server: ServerArgs,
    /// Print the raw JSON list.
    #[arg(long)]
    pub json: bool,
}

/// `config`.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// The file to edit.
    #[arg(long, global = true, default_value = ".env")]
    pub file: PathBuf,
    /// What to do.
    #[command(subcommand)]
    pub action: ConfigAction,
}

/// `config …`.
#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Set KEY to VALUE; with no arguments, prompt for every key.
    Set {
        /// The key.
        key: Option<String>,
        /// The value.
        value: Option<String>,
    },
    /// Print one value.
    Get {
        /// The key.
        key: String,
        /// Print secrets in clear.
        #[arg(long)]
        show_secrets: bool,
    },
    /// Remove a key.
    Unset {
        /// The key.
        key: String,
    },
    /// Print every managed key.
    Show {
        /// Print secrets in clear.
        #[arg(long)]
        show_secrets: bool,
    },
    /// Print the file's path.
    Path,
    /// Resolve AWS credentials and ask STS who they belong to.
    TestAws,
}

/// `history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: HistoryAction,
}

/// `history …`.
#[derive(Debug, Subcommand)]
pub enum HistoryAction {
    /// List saved sessions, newest first.
    List,
    /// Write a session as JSON.
    Export {
        /// Session id.
        id: String,
        /// Output file (default chat_export_<id>.json).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Delete a session.
    Delete {
        /// Session id.
        id: String,
    },
}
