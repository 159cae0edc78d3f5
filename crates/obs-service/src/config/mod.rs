//! Configuration (docs/reference/configuration.md §1): built-in defaults → TOML file → environment, later wins. Unknown
//! TOML keys are rejected with their name; every value is validated at load with a message naming its key. Secrets are
//! `secrecy` types, so `Debug` never shows them.

mod env;
mod groups;
mod keys;
mod load;
mod providers;
mod responses;
mod usage;

use std::collections::BTreeMap;

use secrecy::SecretString;
use serde::Deserialize;

pub use groups::{Affinity, ModelGroupConfig, ModelsSection, Strategy, TargetConfig};
pub use keys::{KeysSection, RedisFailure};
pub use load::{ConfigError, ConfigSources};
use obs_adapters::bedrock::ClaudeApi;
use obs_adapters::bedrock::structured::StructuredOutputMethod;
pub(crate) use providers::builtin_name_taken;
pub use providers::{BEDROCK, BedrockProvider, OPENAI, ProviderConfig};
pub use responses::ResponsesSection;
pub use usage::UsageSection;

/// The whole configuration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The HTTP server.
    pub server: ServerConfig,
    /// Routing defaults.
    pub routing: RoutingConfig,
    /// Model aliases: `name = "provider:model-id"` or `name = { provider = "…", model = "…" }`.
    pub aliases: BTreeMap<String, AliasConfig>,
    /// Named providers (`[providers.<name>]`, `kind = "openai" | "bedrock"`), besides the built-in two.
    #[serde(deserialize_with = "providers::deserialize")]
    pub providers: BTreeMap<String, ProviderConfig>,
    /// The built-in OpenAI (or OpenAI-compatible) provider, `openai`.
    pub openai: OpenAiSection,
    /// The built-in Bedrock provider, `bedrock`.
    pub bedrock: BedrockSection,
    /// The built-in Bedrock provider's AWS credentials.
    pub aws: AwsSection,
    /// Upstream time limits.
    pub timeouts: TimeoutsSection,
    /// Retries of failed upstream calls.
    pub retries: RetriesSection,
    /// Fetching http(s) image URLs for Bedrock.
    pub images: ImagesSection,
    /// `/v1/models` and the model groups (`[models.<name>]`).
    pub models: ModelsSection,
    /// Logging.
    pub logging: LoggingSection,
    /// Stored Responses API answers.
    pub responses: ResponsesSection,
    /// Managed gateway keys.
    pub keys: KeysSection,
    /// Usage records.
    pub usage: UsageSection,
    /// Prices overriding the shipped table (`[prices."<model id prefix>"]`, US dollars per million tokens).
    pub prices: BTreeMap<String, crate::prices::Price>,
    /// `[reasoning]`: the thinking budget of each `reasoning_effort`.
    pub reasoning: ReasoningSection,
}

/// `[server]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Listen address (`HOST`).
    pub host: String,
    /// Listen port (`PORT`); 0 picks a free one.
    pub port: u16,
    /// Accepted gateway keys (`API_KEY`, comma-separated). No default key exists.
    pub api_keys: Vec<SecretString>,
    /// Admin keys (`ADMIN_API_KEY`, comma-separated): they manage keys through `/obs/keys` and turn managed keys on
    /// (docs/reference/keys.md). Not gateway keys: they cannot call models.
    pub admin_keys: Vec<SecretString>,
    /// Largest request body, in bytes (default 20 MiB).
    pub body_limit_bytes: usize,
    /// Seconds between `: keep-alive` comments on a silent stream.
    pub keep_alive_seconds: u64,
    /// Seconds in-flight requests get to finish on shutdown.
    pub shutdown_grace_seconds: u64,
    /// Most requests served at once (0 = no limit); over it: 503 with `retry-after`.
    pub max_concurrent_requests: usize,
    /// Origins allowed by CORS (empty = CORS off).
    pub cors_origins: Vec<String>,
    /// Serve `/metrics` on this separate address instead of the main one.
    pub metrics_addr: Option<String>,
    /// Send `x-obs-target: <provider>/<model-id>` with every answer, naming who served it.
    pub expose_target_header: bool,
    /// Most client connections open at once (0 = half the descriptor limit, the rest left for upstream sockets).
    /// Beyond it a small overflow is served one request each and closed; beyond that, connections wait in the
    /// listen backlog.
    pub max_connections: usize,
    /// Seconds a request's head may take from its first byte (and a new connection to send its first byte).
    pub header_timeout_seconds: u64,
    /// Seconds a keep-alive connection may rest between requests.
    pub keep_alive_idle_seconds: u64,
    /// Seconds a request body gets before `min_body_bytes_per_second` starts to count against it.
    pub body_timeout_seconds: u64,
    /// The slowest body accepted after the first `body_timeout_seconds`, in bytes per second.
    pub min_body_bytes_per_second: u64,
    /// Request-body bytes in flight across all requests (default 256 MiB; 0 = no budget). Beyond it a request
    /// waits up to 2 s, then gets 503 with `retry-after`.
    pub max_inflight_body_bytes: usize,
    /// Seconds between HTTP/2 keep-alive pings (a peer that does not answer one in as long is dropped).
    pub http2_keep_alive_seconds: u64,
    /// AWS credentials clients may sign Bedrock runtime requests with (SigV4), each standing for a gateway key
    /// (`[[server.aws_clients]]`, docs/reference/bedrock-ingress.md §4).
    pub aws_clients: Vec<AwsClientConfig>,
    /// PEM certificate chain to terminate TLS with (`TLS_CERT_FILE`); with `tls_key_file`, obs serves HTTPS.
    pub tls_cert_file: Option<std::path::PathBuf>,
    /// PEM private key of that certificate (`TLS_KEY_FILE`).
    pub tls_key_file: Option<std::path::PathBuf>,
}

/// `[[server.aws_clients]]`: an access key pair an AWS client signs with, and the gateway key it stands for.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsClientConfig {
    /// The access key id the client signs with (`Credential=<id>/…`).
    pub access_key_id: String,
    /// Its secret access key.
    pub secret_access_key: SecretString,
    /// The gateway key (one of `server.api_keys`) whose identity applies to requests signed with this pair.
    pub key: SecretString,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            host: "127.0.0.1".to_owned(),
            port: 8000,
            api_keys: Vec::new(),
            admin_keys: Vec::new(),
            body_limit_bytes: 20 * 1024 * 1024,
            keep_alive_seconds: 15,
            shutdown_grace_seconds: 30,
            max_concurrent_requests: 0,
            cors_origins: Vec::new(),
            metrics_addr: None,
            expose_target_header: true,
            max_connections: 0,
            header_timeout_seconds: 10,
            keep_alive_idle_seconds: 60,
            body_timeout_seconds: 10,
            min_body_bytes_per_second: 16 * 1024,
            http2_keep_alive_seconds: 20,
            max_inflight_body_bytes: 256 * 1024 * 1024,
            aws_clients: Vec::new(),
            tls_cert_file: None,
            tls_key_file: None,
        }
    }
}

/// `[routing]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RoutingConfig {
    /// Provider for ids no rule recognises (`OBS_DEFAULT_PROVIDER`; default `openai`): any configured provider.
    pub default_provider: Option<String>,
    /// Failures in a row after which a group's target rests (default 3).
    pub failure_threshold: u32,
    /// The first rest, in seconds (default 30); doubled on every failed probe, up to `max_cooldown_seconds`.
    pub cooldown_seconds: f64,
    /// The longest rest, in seconds (default 300).
    pub max_cooldown_seconds: f64,
}

impl Default for RoutingConfig {
    fn default() -> Self {
        RoutingConfig {
            default_provider: None,
            failure_threshold: 3,
            cooldown_seconds: 30.0,
            max_cooldown_seconds: 300.0,
        }
    }
}

/// One alias, in either TOML form.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum AliasConfig {
    /// `"provider:model-id"`.
    Short(String),
    /// `{ provider = "bedrock", model = "…" }`.
    Table {
        /// A provider's name.
        provider: String,
        /// Upstream model id.
        model: String,
    },
}

impl AliasConfig {
    /// (provider name, upstream model id), or why the alias is malformed. Whether the provider exists is checked
    /// with the rest of the routing table.
    pub fn target(&self) -> Result<(&str, &str), String> {
        let (provider, model) = match self {
            AliasConfig::Short(text) => {
                text.split_once(':').ok_or_else(|| format!("'{text}' must be \"provider:model-id\""))?
            }
            AliasConfig::Table { provider, model } => (provider.as_str(), model.as_str()),
        };
        if model.is_empty() {
            return Err("the model id is empty".to_owned());
        }
        Ok((provider, model))
    }
}

/// `[openai]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OpenAiSection {
    /// `OPENAI_API_KEY`.
    pub api_key: Option<SecretString>,
    /// `OPENAI_BASE_URL` (default `https://api.openai.com/v1`).
    pub base_url: String,
    /// `OPENAI_ORG_ID`.
    pub organization: Option<String>,
    /// Extra headers for OpenAI-compatible servers (Azure `api-key`, …); values are secrets.
    pub extra_headers: BTreeMap<String, SecretString>,
    /// Model ids this provider serves by their bare name (routing) and lists in `/v1/models` instead of asking
    /// the upstream.
    pub models: Vec<String>,
    /// This provider's time limits, instead of `[timeouts]`.
    pub timeouts: Option<TimeoutsSection>,
    /// How `/v1/responses` reaches this provider (`OPENAI_RESPONSES`).
    pub responses: ResponsesApi,
    /// The Bedrock provider whose `ApplyGuardrail` checks this provider's guarded chat requests (input, and whole
    /// answers' output); none (the default): a guardrail is not applied here.
    pub apply_guardrail: Option<String>,
}

/// How `/v1/responses` reaches an OpenAI-compatible provider (docs/reference/responses.md §9).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResponsesApi {
    /// Translated to chat completions (vLLM, Ollama and most servers have no Responses API).
    #[default]
    Translate,
    /// Passed to the upstream's own `/responses` as sent, its answer relayed; obs stores nothing.
    Native,
}

/// OpenAI's own API.
pub const OPENAI_DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";

impl Default for OpenAiSection {
    fn default() -> Self {
        OpenAiSection {
            api_key: None,
            base_url: OPENAI_DEFAULT_BASE_URL.to_owned(),
            organization: None,
            extra_headers: BTreeMap::new(),
            models: Vec::new(),
            timeouts: None,
            responses: ResponsesApi::Translate,
            apply_guardrail: None,
        }
    }
}

/// `[bedrock]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BedrockSection {
    /// `AWS_REGION` (else `AWS_DEFAULT_REGION`, else the profile's region).
    pub region: Option<String>,
    /// `invoke` (default) or `converse` for Claude.
    pub claude_api: ClaudeApi,
    /// `response_format`: `auto` (native for the models that take it, else a forced tool), `native` or `tool`.
    pub structured_output: StructuredOutputMethod,
    /// `guardrail = {id, version, trace}`: the Bedrock Guardrail for requests that name none (nor their group).
    pub guardrail: Option<obs_models::guardrail::Guardrail>,
    /// `cache.auto`: cache breakpoints obs adds after the tools and the system prompt (off by default).
    pub cache: CacheSection,
    /// A Bedrock API key (`AWS_BEARER_TOKEN_BEDROCK`): runtime calls authenticate with it instead of SigV4.
    pub api_key: Option<SecretString>,
    /// Runtime endpoint override (`BEDROCK_ENDPOINT_URL`).
    pub endpoint_url: Option<String>,
    /// Control-plane endpoint override (`BEDROCK_CONTROL_ENDPOINT_URL`).
    pub control_endpoint_url: Option<String>,
    /// `max_tokens` for Claude when the client gives none (`DEFAULT_MAX_TOKENS_CLAUDE`).
    pub default_max_tokens_claude: u32,
    /// `maxTokenCount` for Titan when the client gives none (`DEFAULT_MAX_TOKENS_TITAN`).
    pub default_max_tokens_titan: u32,
    /// Model ids this provider serves by their bare name and lists in `/v1/models` instead of asking Bedrock.
    pub models: Vec<String>,
    /// This provider's time limits, instead of `[timeouts]`.
    pub timeouts: Option<TimeoutsSection>,
}

impl Default for BedrockSection {
    fn default() -> Self {
        BedrockSection {
            region: None,
            claude_api: ClaudeApi::Invoke,
            structured_output: StructuredOutputMethod::Auto,
            guardrail: None,
            cache: CacheSection::default(),
            api_key: None,
            endpoint_url: None,
            control_endpoint_url: None,
            default_max_tokens_claude: 4096,
            default_max_tokens_titan: 512,
            models: Vec::new(),
            timeouts: None,
        }
    }
}

/// A Bedrock provider's `cache` table.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CacheSection {
    /// Add cache breakpoints after the tools and the system prompt when they reach the model's minimum
    /// (docs/reference/formats.md §7.11).
    pub auto: bool,
}

/// `[aws]`: credentials, in the precedence of docs/reference/configuration.md §1.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AwsSection {
    /// `AWS_ACCESS_KEY_ID`.
    pub access_key_id: Option<String>,
    /// `AWS_SECRET_ACCESS_KEY`.
    pub secret_access_key: Option<SecretString>,
    /// `AWS_SESSION_TOKEN`.
    pub session_token: Option<SecretString>,
    /// `AWS_PROFILE`.
    pub profile: Option<String>,
    /// `AWS_ROLE_ARN`: assumed on top of the static keys or profile, else from the default chain.
    pub role_arn: Option<String>,
    /// `AWS_EXTERNAL_ID`.
    pub external_id: Option<String>,
    /// `AWS_ROLE_SESSION_NAME` (default `obs-session`).
    pub role_session_name: String,
    /// `AWS_ROLE_SESSION_DURATION`, 900..=43200 seconds (default 3600).
    pub role_session_duration: u32,
    /// `AWS_WEB_IDENTITY_TOKEN_FILE`.
    pub web_identity_token_file: Option<String>,
    /// STS endpoint override (`AWS_ENDPOINT_URL_STS`), for private endpoints and tests.
    pub sts_endpoint_url: Option<String>,
    /// A managed key's team is passed to AWS: the role is assumed for each team with the team in the session name
    /// and (with `AssumeRole`) a session tag (docs/reference/keys.md §9). Needs `role_arn`.
    pub team_sessions: bool,
    /// The session tag's key (default `team`).
    pub team_tag_key: String,
}

impl Default for AwsSection {
    fn default() -> Self {
        AwsSection {
            access_key_id: None,
            secret_access_key: None,
            session_token: None,
            profile: None,
            role_arn: None,
            external_id: None,
            role_session_name: "obs-session".to_owned(),
            role_session_duration: 3600,
            web_identity_token_file: None,
            sts_endpoint_url: None,
            team_sessions: false,
            team_tag_key: "team".to_owned(),
        }
    }
}

/// `[timeouts]`, in seconds.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TimeoutsSection {
    /// Upstream connect.
    pub connect_seconds: f64,
    /// Until the first byte of the upstream's answer.
    pub first_byte_seconds: f64,
    /// Longest silence between stream events.
    pub idle_seconds: f64,
}

impl Default for TimeoutsSection {
    fn default() -> Self {
        TimeoutsSection { connect_seconds: 10.0, first_byte_seconds: 120.0, idle_seconds: 120.0 }
    }
}

impl TimeoutsSection {
    /// The limits as durations.
    pub fn durations(&self) -> obs_adapters::Timeouts {
        obs_adapters::Timeouts {
            connect: std::time::Duration::from_secs_f64(self.connect_seconds),
            first_byte: std::time::Duration::from_secs_f64(self.first_byte_seconds),
            idle: std::time::Duration::from_secs_f64(self.idle_seconds),
        }
    }
}

/// `[retries]`: connect errors, 429 and 503, before any output only.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetriesSection {
    /// Retries after the first attempt (0 = none).
    pub max_retries: u32,
    /// First backoff, doubled per retry, with jitter.
    pub initial_backoff_ms: u64,
    /// Longest backoff; a `retry-after` longer than this is not waited for.
    pub max_backoff_ms: u64,
}

impl Default for RetriesSection {
    fn default() -> Self {
        RetriesSection { max_retries: 2, initial_backoff_ms: 200, max_backoff_ms: 10_000 }
    }
}

/// `[images]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ImagesSection {
    /// Fetch image URLs that resolve to private or loopback addresses.
    pub allow_private_networks: bool,
}

/// `[logging]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoggingSection {
    /// `LOG_LEVEL`: trace, debug, info, warn, error.
    pub level: String,
    /// `LOG_FORMAT`: text or json.
    pub format: String,
}

impl Default for LoggingSection {
    fn default() -> Self {
        LoggingSection { level: "info".to_owned(), format: "text".to_owned() }
    }
}

impl OpenAiSection {
    /// Whether this provider is usable: a key, or a non-default base URL (local servers often need none).
    pub fn configured(&self) -> bool {
        self.api_key.is_some() || self.base_url != OPENAI_DEFAULT_BASE_URL
    }
}

impl Config {
    /// Whether the built-in OpenAI provider is usable.
    pub fn openai_configured(&self) -> bool {
        self.openai.configured()
    }

    /// The built-in Bedrock provider: `[bedrock]` with the credentials of `[aws]`.
    pub fn bedrock_provider(&self) -> BedrockProvider {
        BedrockProvider { bedrock: self.bedrock.clone(), aws: self.aws.clone() }
    }

    /// Every provider, built-in (`openai`, `bedrock`) first, then the named ones in name order.
    pub fn all_providers(&self) -> Vec<(String, ProviderConfig)> {
        let mut all = vec![
            (OPENAI.to_owned(), ProviderConfig::OpenAi(self.openai.clone())),
            (BEDROCK.to_owned(), ProviderConfig::Bedrock(Box::new(self.bedrock_provider()))),
        ];
        all.extend(self.providers.iter().map(|(name, provider)| (name.clone(), provider.clone())));
        all
    }
}

/// `[reasoning]`: how `reasoning_effort` becomes a thinking budget for Claude (docs/reference/formats.md §7.10).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReasoningSection {
    /// Tokens of thinking per effort level; a level not given keeps the documented default.
    pub budgets: EffortBudgetsConfig,
}

/// `[reasoning.budgets]`: `minimal`, `low`, `medium`, `high`, `xhigh` → tokens (each at least 1,024).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EffortBudgetsConfig {
    /// Default 1,024.
    pub minimal: Option<u32>,
    /// Default 2,048.
    pub low: Option<u32>,
    /// Default 8,192.
    pub medium: Option<u32>,
    /// Default 16,384.
    pub high: Option<u32>,
    /// Default 32,768.
    pub xhigh: Option<u32>,
}

impl EffortBudgetsConfig {
    /// Each level's name and budget as configured, in the order of `obs_convert::bedrock::reasoning::EFFORTS`.
    pub fn levels(&self) -> [(&'static str, Option<u32>); 5] {
        let configured = [self.minimal, self.low, self.medium, self.high, self.xhigh];
        std::array::from_fn(|i| (obs_convert::bedrock::reasoning::EFFORTS[i], configured[i]))
    }

    /// The table: the configured budgets over the defaults.
    pub fn table(&self) -> obs_convert::bedrock::reasoning::EffortBudgets {
        let mut table = obs_convert::bedrock::reasoning::EffortBudgets::default();
        for (slot, (_, configured)) in table.0.iter_mut().zip(self.levels()) {
            if let Some(budget) = configured {
                *slot = budget;
            }
        }
        table
    }
}
