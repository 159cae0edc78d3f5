//! Finding, parsing and validating the configuration.

use std::path::{Path, PathBuf};

use secrecy::ExposeSecret;

use super::{AwsSection, BEDROCK, BedrockSection, Config, OPENAI, OpenAiSection, ProviderConfig, TimeoutsSection};

/// A configuration problem, naming the key (TOML path or environment variable) it is about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration `{key}`: {message}")]
pub struct ConfigError {
    /// `server.port`, `PORT`, the file path, ….
    pub key: String,
    /// What is wrong.
    pub message: String,
}

impl ConfigError {
    /// An error about `key`.
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError { key: key.into(), message: message.into() }
    }
}

/// Where configuration comes from.
pub struct ConfigSources<'a> {
    /// `--config PATH`; else `OBS_CONFIG`; else `obs.toml` in the working directory if present.
    pub file: Option<PathBuf>,
    /// Environment lookup (the process environment in binaries, a map in tests).
    pub env: &'a dyn Fn(&str) -> Option<String>,
}

impl ConfigSources<'_> {
    /// Sources reading the process environment.
    pub fn process(file: Option<PathBuf>) -> ConfigSources<'static> {
        ConfigSources { file, env: &|key| std::env::var(key).ok() }
    }
}

impl Config {
    /// Defaults → TOML file → environment, then validation.
    ///
    /// ```
    /// use obs_service::config::{Config, ConfigSources};
    ///
    /// let env = |key: &str| match key {
    ///     "PORT" => Some("9000".to_owned()),
    ///     "OPENAI_API_KEY" => Some("sk-secret".to_owned()),
    ///     _ => None,
    /// };
    /// let config = Config::load(ConfigSources { file: None, env: &env }).unwrap();
    /// assert_eq!(config.server.port, 9000);
    /// assert!(!format!("{config:?}").contains("sk-secret"));
    /// ```
    pub fn load(sources: ConfigSources<'_>) -> Result<Config, ConfigError> {
        let env = sources.env;
        let path =
            sources.file.or_else(|| env("OBS_CONFIG").filter(|p| !p.is_empty()).map(PathBuf::from)).or_else(|| {
                let local = PathBuf::from("obs.toml");
                local.is_file().then_some(local)
            });
        let mut config = match &path {
            Some(path) => Config::from_file(path)?,
            None => Config::default(),
        };
        super::env::apply(&mut config, env)?;
        config.validate()?;
        Ok(config)
    }

    /// Parses a TOML file (no environment, no validation).
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let key = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::new(&key, format!("cannot be read: {e}")))?;
        Config::from_toml(&text).map_err(|e| ConfigError::new(key, e.message))
    }

    /// Parses TOML text; unknown keys are errors that name the key.
    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        toml::from_str(text).map_err(|e| {
            let message = e.message().trim().to_owned();
            // obs's own messages name their key ("providers.x.kind: …"), but toml gives them the span of the whole
            // section (`[providers]` or `[models]`, at its first table): point at that key's own table instead.
            let named = message.split_once(": ").map(|(head, _)| head).filter(|head| !head.contains(' '));
            let location = e.span().map(|span| {
                let start = named.and_then(|key| header_of(text, key)).unwrap_or(span.start.min(text.len()));
                let line = text[..start].matches('\n').count() + 1;
                // toml's own messages ("duplicate key", "invalid type: …") do not say which key: a one-line span's
                // header or key does (never its value, which may be a secret).
                let one_line = text.get(span).is_some_and(|spanned| !spanned.contains('\n'));
                match named_on_line(text, start).filter(|_| one_line && named.is_none()) {
                    Some(name) => format!(" (line {line}, at `{name}`)"),
                    None => format!(" (line {line})"),
                }
            });
            ConfigError::new("config file", format!("{message}{}", location.unwrap_or_default()))
        })
    }

    /// Checks every value, naming the key of the first bad one: each value on its own, then how providers,
    /// aliases and groups resolve into the routing table.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.validate_values()?;
        crate::routing::RoutingTable::build(self).map(drop)
    }

    /// Every check but the routing table's (which [`crate::Gateway::new`] makes by building the table once).
    pub(crate) fn validate_values(&self) -> Result<(), ConfigError> {
        for (i, key) in self.server.api_keys.iter().enumerate() {
            if key.expose_secret().trim().is_empty() {
                return Err(ConfigError::new(format!("server.api_keys[{i}]"), "must not be empty"));
            }
        }
        for (i, admin) in self.server.admin_keys.iter().enumerate() {
            let at = format!("server.admin_keys[{i}]");
            if admin.expose_secret().trim().is_empty() {
                return Err(ConfigError::new(at, "must not be empty"));
            }
            // One secret, one role: an admin key that also called models would make every model call an admin's.
            if self.server.api_keys.iter().any(|key| key.expose_secret() == admin.expose_secret()) {
                return Err(ConfigError::new(at, "must not also be one of server.api_keys"));
            }
        }
        for (level, budget) in self.reasoning.budgets.levels() {
            if budget.is_some_and(|b| b < obs_convert::bedrock::reasoning::MIN_BUDGET) {
                return Err(ConfigError::new(
                    format!("reasoning.budgets.{level}"),
                    "must be at least 1024 tokens (Claude's smallest thinking budget)",
                ));
            }
        }
        if self.keys.refresh_seconds == 0 || self.keys.refresh_seconds > 3_600 {
            return Err(ConfigError::new("keys.refresh_seconds", "must be between 1 and 3600 seconds"));
        }
        if self.keys.redis_timeout_ms == 0 || self.keys.redis_timeout_ms > 60_000 {
            return Err(ConfigError::new("keys.redis_timeout_ms", "must be between 1 and 60000"));
        }
        for (name, group) in &self.models.groups {
            for (field, value) in [("rpm", group.rpm), ("tpm", group.tpm), ("max_parallel", group.max_parallel)] {
                if value.is_some_and(|v| v < 1) {
                    return Err(ConfigError::new(format!("models.{name}.{field}"), "must be at least 1"));
                }
            }
        }
        for (prefix, price) in &self.prices {
            let values = [Some(price.input), Some(price.output), price.cache_read, price.cache_write];
            if prefix.trim().is_empty() || values.into_iter().flatten().any(|v| !v.is_finite() || v < 0.0) {
                return Err(ConfigError::new(
                    format!("prices.{prefix}"),
                    "needs a model id prefix and prices of 0 or more",
                ));
            }
        }
        if self.usage.queue_capacity == 0 || self.usage.batch_size == 0 {
            let key = if self.usage.queue_capacity == 0 { "usage.queue_capacity" } else { "usage.batch_size" };
            return Err(ConfigError::new(key, "must be at least 1"));
        }
        if self.keys.parallel_lease_seconds == 0 {
            return Err(ConfigError::new("keys.parallel_lease_seconds", "must be at least 1"));
        }
        if let Some(url) = &self.keys.redis_url {
            let url = url.expose_secret();
            if !(url.starts_with("redis://") || url.starts_with("redis+unix://")) {
                // The value may hold a password: not repeated.
                return Err(ConfigError::new(
                    "keys.redis_url",
                    "must start with redis:// (Valkey too) or redis+unix://",
                ));
            }
        }
        for (i, client) in self.server.aws_clients.iter().enumerate() {
            let at = |field: &str| format!("server.aws_clients[{i}].{field}");
            if client.access_key_id.trim().is_empty() {
                return Err(ConfigError::new(at("access_key_id"), "must not be empty"));
            }
            if client.secret_access_key.expose_secret().is_empty() {
                return Err(ConfigError::new(at("secret_access_key"), "must not be empty"));
            }
            if !self.server.api_keys.iter().any(|key| key.expose_secret() == client.key.expose_secret()) {
                return Err(ConfigError::new(at("key"), "must be one of server.api_keys"));
            }
            if self.server.aws_clients[..i].iter().any(|other| other.access_key_id == client.access_key_id) {
                return Err(ConfigError::new(at("access_key_id"), "is given twice"));
            }
        }
        match (&self.server.tls_cert_file, &self.server.tls_key_file) {
            (Some(_), None) => {
                return Err(ConfigError::new("server.tls_key_file", "is needed with server.tls_cert_file"));
            }
            (None, Some(_)) => {
                return Err(ConfigError::new("server.tls_cert_file", "is needed with server.tls_key_file"));
            }
            _ => {}
        }
        if self.server.host.trim().is_empty() {
            return Err(ConfigError::new("server.host", "must not be empty"));
        }
        if self.server.body_limit_bytes == 0 {
            return Err(ConfigError::new("server.body_limit_bytes", "must be at least 1"));
        }
        for (key, seconds) in [
            ("server.header_timeout_seconds", self.server.header_timeout_seconds),
            ("server.keep_alive_idle_seconds", self.server.keep_alive_idle_seconds),
            ("server.body_timeout_seconds", self.server.body_timeout_seconds),
            ("server.http2_keep_alive_seconds", self.server.http2_keep_alive_seconds),
        ] {
            if seconds == 0 || seconds > 86_400 {
                return Err(ConfigError::new(key, "must be between 1 and 86400 seconds"));
            }
        }
        if self.server.keep_alive_seconds == 0 {
            return Err(ConfigError::new("server.keep_alive_seconds", "must be at least 1"));
        }
        for (i, origin) in self.server.cors_origins.iter().enumerate() {
            if origin != "*" && !is_http_url(origin) {
                return Err(ConfigError::new(
                    format!("server.cors_origins[{i}]"),
                    format!("'{origin}' is not an origin"),
                ));
            }
        }
        if let Some(addr) = &self.server.metrics_addr {
            addr.parse::<std::net::SocketAddr>()
                .map_err(|_| ConfigError::new("server.metrics_addr", format!("'{addr}' is not host:port")))?;
        }
        validate_openai("openai", &self.openai)?;
        validate_bedrock("bedrock", "aws", &self.bedrock, &self.aws)?;
        validate_timeouts("timeouts", &self.timeouts)?;
        for (name, provider) in &self.providers {
            let key = format!("providers.{name}");
            if name == OPENAI || name == BEDROCK {
                return Err(super::builtin_name_taken(name));
            }
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)) {
                return Err(ConfigError::new(key, "a provider name is letters, digits, '-', '_' and '.'"));
            }
            match provider {
                ProviderConfig::OpenAi(section) => validate_openai(&key, section)?,
                ProviderConfig::Bedrock(bedrock) => {
                    validate_bedrock(&key, &format!("{key}.aws"), &bedrock.bedrock, &bedrock.aws)?
                }
            }
        }
        for (key, seconds) in [
            ("routing.cooldown_seconds", self.routing.cooldown_seconds),
            ("routing.max_cooldown_seconds", self.routing.max_cooldown_seconds),
        ] {
            if !(seconds.is_finite() && seconds > 0.0 && seconds <= 86_400.0) {
                return Err(ConfigError::new(key, "must be a number of seconds above 0 (at most a day)"));
            }
        }
        if self.routing.cooldown_seconds > self.routing.max_cooldown_seconds {
            return Err(ConfigError::new("routing.cooldown_seconds", "must not exceed routing.max_cooldown_seconds"));
        }
        if self.routing.failure_threshold == 0 {
            return Err(ConfigError::new("routing.failure_threshold", "must be at least 1"));
        }
        if self.retries.max_retries > 10 {
            return Err(ConfigError::new("retries.max_retries", "must be at most 10"));
        }
        if self.retries.initial_backoff_ms > self.retries.max_backoff_ms {
            return Err(ConfigError::new("retries.initial_backoff_ms", "must not exceed retries.max_backoff_ms"));
        }
        if !["trace", "debug", "info", "warn", "error"].contains(&self.logging.level.as_str()) {
            return Err(ConfigError::new("logging.level", "must be trace, debug, info, warn or error"));
        }
        if !["text", "json"].contains(&self.logging.format.as_str()) {
            return Err(ConfigError::new("logging.format", "must be text or json"));
        }
        Ok(())
    }

    /// Upstream limits as durations.
    pub fn upstream_timeouts(&self) -> obs_adapters::Timeouts {
        self.timeouts.durations()
    }
}

fn validate_openai(key: &str, section: &OpenAiSection) -> Result<(), ConfigError> {
    if !is_http_url(&section.base_url) {
        return Err(ConfigError::new(
            format!("{key}.base_url"),
            format!("'{}' is not an http(s) URL", section.base_url),
        ));
    }
    for name in section.extra_headers.keys() {
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Err(ConfigError::new(format!("{key}.extra_headers.{name}"), "is not a valid header name"));
        }
    }
    validate_models(key, &section.models)?;
    match &section.timeouts {
        Some(timeouts) => validate_timeouts(&format!("{key}.timeouts"), timeouts),
        None => Ok(()),
    }
}

fn validate_bedrock(key: &str, aws_key: &str, bedrock: &BedrockSection, aws: &AwsSection) -> Result<(), ConfigError> {
    for (name, url) in [
        (format!("{key}.endpoint_url"), &bedrock.endpoint_url),
        (format!("{key}.control_endpoint_url"), &bedrock.control_endpoint_url),
        (format!("{aws_key}.sts_endpoint_url"), &aws.sts_endpoint_url),
    ] {
        if let Some(url) = url.as_ref().filter(|u| !is_http_url(u)) {
            return Err(ConfigError::new(name, format!("'{url}' is not an http(s) URL")));
        }
    }
    if bedrock.default_max_tokens_claude == 0 {
        return Err(ConfigError::new(format!("{key}.default_max_tokens_claude"), "must be at least 1"));
    }
    if bedrock.default_max_tokens_titan == 0 {
        return Err(ConfigError::new(format!("{key}.default_max_tokens_titan"), "must be at least 1"));
    }
    if !(900..=43200).contains(&aws.role_session_duration) {
        return Err(ConfigError::new(
            format!("{aws_key}.role_session_duration"),
            "must be between 900 and 43200 seconds",
        ));
    }
    if aws.access_key_id.is_some() != aws.secret_access_key.is_some() {
        return Err(ConfigError::new(
            format!("{aws_key}.secret_access_key"),
            "static AWS credentials need both an access key id and a secret access key",
        ));
    }
    if aws.role_session_name.trim().is_empty() {
        return Err(ConfigError::new(format!("{aws_key}.role_session_name"), "must not be empty"));
    }
    if aws.team_sessions {
        if aws.role_arn.is_none() {
            return Err(ConfigError::new(
                format!("{aws_key}.team_sessions"),
                "needs a role to assume (role_arn): a team is passed to AWS in the session of an assumed role",
            ));
        }
        if bedrock.api_key.is_some() {
            return Err(ConfigError::new(
                format!("{aws_key}.team_sessions"),
                "cannot be used with a Bedrock API key, which replaces AWS credentials",
            ));
        }
        if !crate::credentials::is_tag_key(&aws.team_tag_key) {
            return Err(ConfigError::new(
                format!("{aws_key}.team_tag_key"),
                "must be 1 to 128 letters, digits, spaces or _ . : / = + - @ (an STS session tag key)",
            ));
        }
    }
    validate_models(key, &bedrock.models)?;
    match &bedrock.timeouts {
        Some(timeouts) => validate_timeouts(&format!("{key}.timeouts"), timeouts),
        None => Ok(()),
    }
}

fn validate_models(key: &str, models: &[String]) -> Result<(), ConfigError> {
    for (i, model) in models.iter().enumerate() {
        if model.trim().is_empty() {
            return Err(ConfigError::new(format!("{key}.models[{i}]"), "must not be empty"));
        }
    }
    Ok(())
}

fn validate_timeouts(key: &str, timeouts: &TimeoutsSection) -> Result<(), ConfigError> {
    for (name, seconds) in [
        ("connect_seconds", timeouts.connect_seconds),
        ("first_byte_seconds", timeouts.first_byte_seconds),
        ("idle_seconds", timeouts.idle_seconds),
    ] {
        if !(seconds.is_finite() && seconds > 0.0 && seconds <= 86_400.0) {
            return Err(ConfigError::new(
                format!("{key}.{name}"),
                "must be a number of seconds above 0 (at most a day)",
            ));
        }
    }
    Ok(())
}

/// Where the table of `key` (`providers.x.kind` → `[providers.x]`) or of its nearest parent is written, if as a
/// plain `[a.b]` header.
fn header_of(text: &str, key: &str) -> Option<usize> {
    let mut prefix = key;
    loop {
        let header = format!("[{prefix}]");
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            if line.trim_start().starts_with(&header) {
                return Some(offset);
            }
            offset += line.len();
        }
        prefix = prefix.rsplit_once('.')?.0;
    }
}

/// The table header (`[a.b]`, `[[a]]`) or the key (`a.b =`) written on the line holding byte `at`.
fn named_on_line(text: &str, at: usize) -> Option<&str> {
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next()?.trim();
    if line.starts_with('[') {
        let end = line.find(']')?;
        let end = if line[end + 1..].starts_with(']') { end + 2 } else { end + 1 };
        return Some(&line[..end]);
    }
    line.split_once('=').map(|(key, _)| key.trim()).filter(|key| !key.is_empty())
}

fn is_http_url(url: &str) -> bool {
    url.starts_with("http://") || url.starts_with("https://")
}
