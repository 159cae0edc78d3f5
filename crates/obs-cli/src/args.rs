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
    /// Manage gateway keys through a running gateway's admin API (needs an admin key).
    Keys(KeysArgs),
    /// Usage totals from a running gateway's usage records (needs an admin key).
    Usage(UsageArgs),
}

/// `usage`.
#[derive(Debug, Args)]
pub struct UsageArgs {
    /// The gateway's base URL.
    #[arg(long, env = "CHAT_SERVER_URL", default_value = "http://localhost:8000")]
    pub server_url: String,
    /// The admin key (else ADMIN_API_KEY).
    #[arg(long, env = "ADMIN_API_KEY", hide_env_values = true)]
    pub admin_key: Option<String>,
    /// Only this key id (or `static`).
    #[arg(long)]
    pub key: Option<String>,
    /// Only this team.
    #[arg(long)]
    pub team: Option<String>,
    /// Only this model (as clients send it).
    #[arg(long)]
    pub model: Option<String>,
    /// From this time (Unix seconds, inclusive).
    #[arg(long)]
    pub from: Option<i64>,
    /// Before this time (Unix seconds).
    #[arg(long)]
    pub to: Option<i64>,
    /// Group by key, team, model, provider or day.
    #[arg(long)]
    pub group_by: Option<String>,
    /// Print the raw JSON answer.
    #[arg(long)]
    pub json: bool,
}

/// `keys`.
#[derive(Debug, Args)]
pub struct KeysArgs {
    /// The gateway's base URL.
    #[arg(long, global = true, env = "CHAT_SERVER_URL", default_value = "http://localhost:8000")]
    pub server_url: String,
    /// The admin key (else ADMIN_API_KEY).
    #[arg(long, global = true, env = "ADMIN_API_KEY", hide_env_values = true)]
    pub admin_key: Option<String>,
    /// Print the raw JSON answer.
    #[arg(long, global = true)]
    pub json: bool,
    /// What to do.
    #[command(subcommand)]
    pub action: KeysAction,
}

/// `keys …`.
#[derive(Debug, Subcommand)]
pub enum KeysAction {
    /// Create a key; its secret is printed this once.
    Create {
        /// Who the key is for.
        #[arg(long)]
        name: String,
        /// Its settings.
        #[command(flatten)]
        fields: KeyFields,
    },
    /// List every key (never their secrets).
    List,
    /// Show one key.
    Show {
        /// The key's id (`key_…`).
        id: String,
    },
    /// Change a key's settings.
    Update {
        /// The key's id.
        id: String,
        /// A new name.
        #[arg(long)]
        name: Option<String>,
        /// The settings to change.
        #[command(flatten)]
        fields: KeyFields,
        /// Clear these settings (team, models, rpm, tpm, max_parallel, budget_usd, budget_period, expires_at,
        /// metadata).
        #[arg(long, value_delimiter = ',')]
        clear: Vec<String>,
    },
    /// Revoke a key: it stops working on every replica within keys.refresh_seconds.
    Revoke {
        /// The key's id.
        id: String,
    },
    /// Replace a key's secret; the new one is printed this once.
    Rotate {
        /// The key's id.
        id: String,
    },
}

/// A key's settings (docs/reference/keys.md §3).
#[derive(Debug, Args, Default)]
pub struct KeyFields {
    /// Its team.
    #[arg(long)]
    pub team: Option<String>,
    /// Allowed model ids or groups, comma-separated (`claude-*` allows a prefix).
    #[arg(long, value_delimiter = ',')]
    pub models: Option<Vec<String>>,
    /// Requests per minute.
    #[arg(long)]
    pub rpm: Option<u64>,
    /// Tokens per minute.
    #[arg(long)]
    pub tpm: Option<u64>,
    /// Requests at once.
    #[arg(long)]
    pub max_parallel: Option<u64>,
    /// Budget per period, in US dollars.
    #[arg(long)]
    pub budget_usd: Option<f64>,
    /// The budget's period: day, week or month.
    #[arg(long)]
    pub budget_period: Option<String>,
    /// Expiry, Unix seconds.
    #[arg(long)]
    pub expires_at: Option<i64>,
    /// Free-form JSON object.
    #[arg(long)]
    pub metadata: Option<String>,
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
    /// Answer from an in-process emulator of OpenAI and Bedrock that replies like a model: text derived from the
    /// prompt, tool calls built from the tool's schema, JSON for structured output; no keys, no network.
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
