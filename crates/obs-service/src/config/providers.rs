//! `[providers.<name>]`: any number of named providers, each of kind `openai` (any OpenAI-compatible server) or
//! `bedrock` (one region and one set of credentials). The built-in providers `openai` and `bedrock` are the
//! `[openai]`, `[bedrock]` and `[aws]` sections (and their environment variables), so configurations written before
//! named providers keep their meaning.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

use super::{AwsSection, BedrockSection, OpenAiSection};

/// The built-in OpenAI-compatible provider's name (`[openai]`, `OPENAI_*`).
pub const OPENAI: &str = "openai";
/// The built-in Bedrock provider's name (`[bedrock]`, `[aws]`, `AWS_*`).
pub const BEDROCK: &str = "bedrock";

/// The error for a `[providers.<name>]` table that takes a built-in provider's name (two providers, one name).
pub(crate) fn builtin_name_taken(name: &str) -> super::ConfigError {
    super::ConfigError::new(
        format!("providers.{name}"),
        format!(
            "the name '{name}' is the built-in provider of [{name}] and its environment variables; give this provider another name"
        ),
    )
}

/// One provider: its kind and that kind's settings.
#[derive(Debug, Clone)]
pub enum ProviderConfig {
    /// `kind = "openai"`: the keys of `[openai]`.
    OpenAi(OpenAiSection),
    /// `kind = "bedrock"`: the keys of `[bedrock]`, with the credentials of `[aws]` in its own `aws` table.
    Bedrock(Box<BedrockProvider>),
}

/// A Bedrock provider's settings and credentials.
#[derive(Debug, Clone, Default)]
pub struct BedrockProvider {
    /// Region, endpoints, Claude API, default token limits, models, timeouts.
    pub bedrock: BedrockSection,
    /// Credentials, in the precedence of `[aws]`.
    pub aws: AwsSection,
}

impl ProviderConfig {
    /// `openai` or `bedrock`.
    pub fn kind(&self) -> &'static str {
        match self {
            ProviderConfig::OpenAi(_) => "openai",
            ProviderConfig::Bedrock(_) => "bedrock",
        }
    }

    /// The model ids this provider serves by their bare name (and lists in `/v1/models`).
    pub fn models(&self) -> &[String] {
        match self {
            ProviderConfig::OpenAi(section) => &section.models,
            ProviderConfig::Bedrock(provider) => &provider.bedrock.models,
        }
    }
}

/// Reads the `[providers]` table: each entry's `kind` picks the settings type, and every error names the provider.
pub(super) fn deserialize<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<String, ProviderConfig>, D::Error> {
    use serde::de::Error as _;
    let tables = BTreeMap::<String, toml::Table>::deserialize(deserializer)?;
    let mut providers = BTreeMap::new();
    for (name, mut table) in tables {
        let at =
            |key: &str, e: toml::de::Error| D::Error::custom(format!("providers.{name}{key}: {}", e.message().trim()));
        let provider = match table.remove("kind") {
            Some(toml::Value::String(kind)) if kind == "openai" => {
                ProviderConfig::OpenAi(toml::Value::Table(table).try_into().map_err(|e| at("", e))?)
            }
            Some(toml::Value::String(kind)) if kind == "bedrock" => {
                let aws = match table.remove("aws") {
                    Some(aws) => aws.try_into().map_err(|e| at(".aws", e))?,
                    None => AwsSection::default(),
                };
                let bedrock = toml::Value::Table(table).try_into().map_err(|e| at("", e))?;
                ProviderConfig::Bedrock(Box::new(BedrockProvider { bedrock, aws }))
            }
            Some(toml::Value::String(other)) => {
                return Err(D::Error::custom(format!(
                    "providers.{name}.kind: unknown kind '{other}' (use \"openai\" or \"bedrock\")"
                )));
            }
            Some(_) => {
                return Err(D::Error::custom(format!("providers.{name}.kind: must be \"openai\" or \"bedrock\"")));
            }
            None => {
                return Err(D::Error::custom(format!("providers.{name}.kind: missing (\"openai\" or \"bedrock\")")));
            }
        };
        providers.insert(name, provider);
    }
    Ok(providers)
}
