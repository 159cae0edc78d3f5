//! Configuration: defaults → TOML → environment, validation naming the key, secrets never in Debug.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::io::Write as _;

use obs_adapters::bedrock::ClaudeApi;
use obs_service::config::{Config, ConfigSources};
use pretty_assertions::assert_eq;
use secrecy::ExposeSecret;

fn load(file: Option<std::path::PathBuf>, env: &[(&str, &str)]) -> Result<Config, String> {
    let map: HashMap<String, String> = env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    let lookup = move |key: &str| map.get(key).cloned();
    Config::load(ConfigSources { file, env: &lookup }).map_err(|e| e.to_string())
}

fn toml_file(text: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    file
}

#[test]
fn defaults_are_the_documented_ones() {
    let config = load(None, &[]).unwrap();
    assert_eq!((config.server.host.as_str(), config.server.port), ("127.0.0.1", 8000));
    assert!(config.server.api_keys.is_empty(), "there is no default key");
    assert_eq!(config.server.body_limit_bytes, 20 * 1024 * 1024);
    assert_eq!((config.bedrock.default_max_tokens_claude, config.bedrock.default_max_tokens_titan), (4096, 512));
    assert_eq!(config.bedrock.claude_api, ClaudeApi::Invoke);
    assert_eq!((config.aws.role_session_name.as_str(), config.aws.role_session_duration), ("obs-session", 3600));
    let timeouts = config.upstream_timeouts();
    assert_eq!((timeouts.connect.as_secs(), timeouts.first_byte.as_secs(), timeouts.idle.as_secs()), (10, 120, 120));
    assert_eq!(config.models.cache_seconds, 600);
    assert!(!config.openai_configured());
}

#[test]
fn the_example_file_loads_with_every_section() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/obs.toml");
    let config = load(Some(path), &[]).unwrap();
    assert_eq!(config.server.api_keys.len(), 1);
    assert_eq!(config.routing.default_provider, Some("openai".to_owned()));
    assert_eq!(config.aliases.len(), 2);
    let kinds: Vec<(&str, &str)> = config.providers.iter().map(|(name, p)| (name.as_str(), p.kind())).collect();
    assert_eq!(kinds, [("azure", "openai"), ("bedrock-eu", "bedrock")]);
    let groups: Vec<(&str, usize)> = config.models.groups.iter().map(|(n, g)| (n.as_str(), g.targets.len())).collect();
    assert_eq!(groups, [("claude-fast", 2), ("gpt", 2)]);
    assert!(obs_service::Gateway::new(config).is_ok(), "every target resolves");
}

#[test]
fn environment_overrides_the_file() {
    let file = toml_file(
        "[server]\nport = 7000\napi_keys = [\"from-file\"]\n[openai]\nbase_url = \"http://localhost:11434/v1\"\n",
    );
    let config = load(
        Some(file.path().to_owned()),
        &[
            ("PORT", "9000"),
            ("API_KEY", "k1, k2"),
            ("AWS_DEFAULT_REGION", "eu-west-1"),
            ("OBS_DEFAULT_PROVIDER", "bedrock"),
            ("LOG_FORMAT", "JSON"),
            ("AWS_ROLE_SESSION_DURATION", "7200"),
            ("DEFAULT_MAX_TOKENS_CLAUDE", "1000"),
            ("OPENAI_RESPONSES", "native"),
        ],
    )
    .unwrap();
    assert_eq!(config.openai.responses, obs_service::config::ResponsesApi::Native);
    assert_eq!(config.server.port, 9000);
    let keys: Vec<&str> = config.server.api_keys.iter().map(|k| k.expose_secret()).collect();
    assert_eq!(keys, ["k1", "k2"]);
    assert_eq!(config.bedrock.region.as_deref(), Some("eu-west-1"));
    assert_eq!(config.routing.default_provider, Some("bedrock".to_owned()));
    assert_eq!(config.logging.format, "json");
    assert_eq!(config.aws.role_session_duration, 7200);
    assert_eq!(config.bedrock.default_max_tokens_claude, 1000);
    assert!(config.openai_configured(), "a non-default base URL needs no key");
    // AWS_REGION wins over AWS_DEFAULT_REGION.
    let config = load(None, &[("AWS_REGION", "us-west-2"), ("AWS_DEFAULT_REGION", "eu-west-1")]).unwrap();
    assert_eq!(config.bedrock.region.as_deref(), Some("us-west-2"));
}

#[test]
fn unknown_keys_are_rejected_by_name() {
    let file = toml_file("[server]\nprot = 8000\n");
    let error = load(Some(file.path().to_owned()), &[]).unwrap_err();
    assert!(error.contains("unknown field `prot`") && error.contains("line 2"), "{error}");
    let file = toml_file("[serverr]\n");
    assert!(load(Some(file.path().to_owned()), &[]).unwrap_err().contains("unknown field `serverr`"));
}

#[test]
fn every_bad_value_names_its_key() {
    /// (TOML file, environment, what the error must name)
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
    let cases: &[Case] = &[
        ("", &[("PORT", "eighty")], "`PORT`"),
        ("", &[("AWS_ROLE_SESSION_DURATION", "60")], "`aws.role_session_duration`"),
        ("", &[("OBS_DEFAULT_PROVIDER", "azure")], "`OBS_DEFAULT_PROVIDER`"),
        ("", &[("LOG_LEVEL", "loud")], "`logging.level`"),
        ("", &[("OPENAI_BASE_URL", "api.openai.com")], "`openai.base_url`"),
        ("", &[("AWS_ACCESS_KEY_ID", "AKID")], "`aws.secret_access_key`"),
        ("[aliases]\nx = \"azure:gpt\"\n", &[], "`aliases.x`"),
        ("[aliases]\nx = \"no-colon\"\n", &[], "`aliases.x`"),
        ("[timeouts]\nidle_seconds = 0\n", &[], "`timeouts.idle_seconds`"),
        ("[retries]\nmax_retries = 50\n", &[], "`retries.max_retries`"),
        ("[server]\ncors_origins = [\"nope\"]\n", &[], "`server.cors_origins[0]`"),
        ("[server]\nmetrics_addr = \"nowhere\"\n", &[], "`server.metrics_addr`"),
        ("[bedrock]\nclaude_api = \"grpc\"\n", &[], "unknown variant `grpc`"),
        ("", &[("OPENAI_RESPONSES", "passthrough")], "`OPENAI_RESPONSES`"),
        ("[openai]\nresponses = \"passthrough\"\n", &[], "unknown variant `passthrough`"),
    ];
    for (toml, env, expected) in cases {
        let file = toml_file(toml);
        let error = load(Some(file.path().to_owned()), env).unwrap_err();
        assert!(error.contains(expected), "{toml:?} {env:?}: {error}");
    }
}

#[test]
fn debug_never_shows_a_secret() {
    let file = toml_file(
        "[server]\napi_keys = [\"gateway-key-123\"]\n[openai]\napi_key = \"sk-file-secret\"\n\
         [openai.extra_headers]\napi-key = \"azure-secret\"\n[aws]\naccess_key_id = \"AKIDVISIBLE\"\nsecret_access_key = \"aws-secret-456\"\nsession_token = \"token-789\"\n",
    );
    let config = load(Some(file.path().to_owned()), &[("OPENAI_API_KEY", "sk-env-secret")]).unwrap();
    let debug = format!("{config:?} {config:#?}");
    for secret in ["gateway-key-123", "sk-env-secret", "sk-file-secret", "azure-secret", "aws-secret-456", "token-789"]
    {
        assert!(!debug.contains(secret), "{secret} leaked");
    }
    assert_eq!(config.openai.api_key.as_ref().unwrap().expose_secret(), "sk-env-secret");
}
