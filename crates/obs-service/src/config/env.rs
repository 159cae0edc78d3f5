//! Environment overrides (docs/reference/configuration.md §1). Read through a lookup function, so tests never touch the
//! process environment.

use secrecy::SecretString;

use super::{Config, ConfigError};

/// Applies every environment key of docs/reference/configuration.md §1 that is set (and non-empty).
pub(super) fn apply(config: &mut Config, env: &dyn Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
    let get = |key: &str| env(key).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let secret = |key: &str| get(key).map(SecretString::from);

    if let Some(keys) = get("API_KEY") {
        config.server.api_keys = keys
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(|k| SecretString::from(k.to_owned()))
            .collect();
    }
    if let Some(keys) = get("ADMIN_API_KEY") {
        config.server.admin_keys = keys
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(|k| SecretString::from(k.to_owned()))
            .collect();
    }
    set(&mut config.server.host, get("HOST"));
    if let Some(path) = get("TLS_CERT_FILE") {
        config.server.tls_cert_file = Some(path.into());
    }
    if let Some(path) = get("TLS_KEY_FILE") {
        config.server.tls_key_file = Some(path.into());
    }
    if let Some(port) = get("PORT") {
        config.server.port = parse("PORT", &port)?;
    }
    if let Some(key) = secret("OPENAI_API_KEY") {
        config.openai.api_key = Some(key);
    }
    set(&mut config.openai.base_url, get("OPENAI_BASE_URL"));
    set_opt(&mut config.openai.organization, get("OPENAI_ORG_ID"));
    if let Some(mode) = get("OPENAI_RESPONSES") {
        config.openai.responses = match mode.as_str() {
            "native" => super::ResponsesApi::Native,
            "translate" => super::ResponsesApi::Translate,
            _ => return Err(ConfigError::new("OPENAI_RESPONSES", "must be \"native\" or \"translate\"")),
        };
    }

    set_opt(&mut config.bedrock.region, get("AWS_REGION").or_else(|| get("AWS_DEFAULT_REGION")));
    set_opt(&mut config.bedrock.endpoint_url, get("BEDROCK_ENDPOINT_URL"));
    if let Some(key) = secret("AWS_BEARER_TOKEN_BEDROCK") {
        config.bedrock.api_key = Some(key);
    }
    set_opt(&mut config.bedrock.control_endpoint_url, get("BEDROCK_CONTROL_ENDPOINT_URL"));
    if let Some(n) = get("DEFAULT_MAX_TOKENS_CLAUDE") {
        config.bedrock.default_max_tokens_claude = parse("DEFAULT_MAX_TOKENS_CLAUDE", &n)?;
    }
    if let Some(n) = get("DEFAULT_MAX_TOKENS_TITAN") {
        config.bedrock.default_max_tokens_titan = parse("DEFAULT_MAX_TOKENS_TITAN", &n)?;
    }
    if let Some(provider) = get("OBS_DEFAULT_PROVIDER") {
        let known = provider == super::OPENAI || provider == super::BEDROCK || config.providers.contains_key(&provider);
        if !known {
            return Err(ConfigError::new(
                "OBS_DEFAULT_PROVIDER",
                format!("'{provider}' is not a configured provider (openai, bedrock, or a [providers.<name>] table)"),
            ));
        }
        config.routing.default_provider = Some(provider);
    }

    set_opt(&mut config.aws.access_key_id, get("AWS_ACCESS_KEY_ID"));
    if let Some(key) = secret("AWS_SECRET_ACCESS_KEY") {
        config.aws.secret_access_key = Some(key);
    }
    if let Some(token) = secret("AWS_SESSION_TOKEN") {
        config.aws.session_token = Some(token);
    }
    set_opt(&mut config.aws.profile, get("AWS_PROFILE"));
    set_opt(&mut config.aws.role_arn, get("AWS_ROLE_ARN"));
    set_opt(&mut config.aws.external_id, get("AWS_EXTERNAL_ID"));
    set(&mut config.aws.role_session_name, get("AWS_ROLE_SESSION_NAME"));
    if let Some(seconds) = get("AWS_ROLE_SESSION_DURATION") {
        config.aws.role_session_duration = parse("AWS_ROLE_SESSION_DURATION", &seconds)?;
    }
    set_opt(&mut config.aws.web_identity_token_file, get("AWS_WEB_IDENTITY_TOKEN_FILE"));
    set_opt(&mut config.aws.sts_endpoint_url, get("AWS_ENDPOINT_URL_STS"));

    set(&mut config.logging.level, get("LOG_LEVEL").map(|l| l.to_ascii_lowercase()));
    set(&mut config.logging.format, get("LOG_FORMAT").map(|f| f.to_ascii_lowercase()));
    set_opt(&mut config.responses.store_url, get("RESPONSES_STORE_URL"));
    if let Some(days) = get("RESPONSES_STORE_DAYS") {
        config.responses.store_days = parse("RESPONSES_STORE_DAYS", &days)?;
    }
    set_opt(&mut config.keys.store_url, get("KEYS_STORE_URL"));
    if let Some(seconds) = get("KEYS_REFRESH_SECONDS") {
        config.keys.refresh_seconds = parse("KEYS_REFRESH_SECONDS", &seconds)?;
    }
    if let Some(url) = secret("REDIS_URL") {
        config.keys.redis_url = Some(url);
    }
    if let Some(policy) = get("REDIS_FAILURE") {
        config.keys.redis_failure = match policy.to_ascii_lowercase().as_str() {
            "open" => super::RedisFailure::Open,
            "closed" => super::RedisFailure::Closed,
            _ => return Err(ConfigError::new("REDIS_FAILURE", format!("'{policy}' is neither open nor closed"))),
        };
    }
    if let Some(on) = get("USAGE_RECORDS") {
        config.usage.records = match on.to_ascii_lowercase().as_str() {
            "true" | "1" | "on" => true,
            "false" | "0" | "off" => false,
            _ => return Err(ConfigError::new("USAGE_RECORDS", format!("'{on}' is neither true nor false"))),
        };
    }
    if let Some(ms) = get("REDIS_TIMEOUT_MS") {
        config.keys.redis_timeout_ms = parse("REDIS_TIMEOUT_MS", &ms)?;
    }
    Ok(())
}

fn set(field: &mut String, value: Option<String>) {
    if let Some(value) = value {
        *field = value;
    }
}

fn set_opt(field: &mut Option<String>, value: Option<String>) {
    if value.is_some() {
        *field = value;
    }
}

fn parse<T: std::str::FromStr>(key: &str, value: &str) -> Result<T, ConfigError> {
    value.parse().map_err(|_| ConfigError::new(key, format!("'{value}' is not a valid number")))
}
