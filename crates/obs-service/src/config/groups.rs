//! `[models]`: the `/v1/models` cache and the model groups — `[models.<name>]` tables whose name is a model id
//! clients send, each with its targets, a strategy and an optional affinity.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

/// `[models]`.
#[derive(Debug, Clone)]
pub struct ModelsSection {
    /// How long `/v1/models` answers are cached.
    pub cache_seconds: u64,
    /// The model groups, by the name clients send as `model`.
    pub groups: BTreeMap<String, ModelGroupConfig>,
}

impl Default for ModelsSection {
    fn default() -> Self {
        ModelsSection { cache_seconds: 600, groups: BTreeMap::new() }
    }
}

/// `[models.<name>]`: where a group's requests go and how one target is chosen.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelGroupConfig {
    /// `"<provider>/<model-id>"`, a bare model id routed by the usual rules, or another group's name; or a table
    /// `{ model = "…", weight = N }`.
    pub targets: Vec<TargetConfig>,
    /// How the first target is chosen; the others follow as fallbacks.
    #[serde(default)]
    pub strategy: Strategy,
    /// `"user"` or `"header:<name>"`: requests with the same value stick to one target while it is healthy.
    #[serde(default)]
    pub affinity: Option<Affinity>,
    /// `guardrail = {id, version, trace}`: the Bedrock Guardrail for the group's requests that name none of their
    /// own (it wins over a Bedrock provider's; other providers ignore it).
    #[serde(default)]
    pub guardrail: Option<obs_models::guardrail::Guardrail>,
    /// `cache.auto`: automatic prompt-cache breakpoints for the group's requests, instead of their provider's.
    #[serde(default)]
    pub cache: Option<super::CacheSection>,
    /// Requests per minute for the whole group, every key's together (docs/reference/keys.md §4.2).
    #[serde(default)]
    pub rpm: Option<i64>,
    /// Tokens per minute for the whole group.
    #[serde(default)]
    pub tpm: Option<i64>,
    /// Requests in flight at once for the whole group.
    #[serde(default)]
    pub max_parallel: Option<i64>,
}

/// One target of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetConfig {
    /// `"<provider>/<model-id>"`, a bare model id, or a group name.
    pub model: String,
    /// Share of the traffic under `strategy = "weighted"` (and for affinity), at least 1.
    pub weight: u32,
}

impl<'de> Deserialize<'de> for TargetConfig {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Weighted {
            model: String,
            #[serde(default = "one")]
            weight: u32,
        }
        fn one() -> u32 {
            1
        }
        match toml::Value::deserialize(deserializer)? {
            toml::Value::String(model) => Ok(TargetConfig { model, weight: 1 }),
            table @ toml::Value::Table(_) => {
                let weighted: Weighted =
                    table.try_into().map_err(|e: toml::de::Error| D::Error::custom(e.message().trim().to_owned()))?;
                Ok(TargetConfig { model: weighted.model, weight: weighted.weight })
            }
            _ => {
                Err(D::Error::custom("a target is \"<provider>/<model-id>\" or a table { model = \"…\", weight = N }"))
            }
        }
    }
}

/// How a group picks the target of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Targets in the order written; the next only when one fails (default).
    #[default]
    Fallback,
    /// Each request starts at the next target in turn.
    RoundRobin,
    /// Targets in proportion to their weights (smooth weighted round robin: exact over a cycle, interleaved).
    Weighted,
    /// The target with the fewest requests in flight (ties in turn).
    LeastBusy,
}

/// Where a group's affinity key comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Affinity {
    /// The request's `user` field.
    User,
    /// A request header (name lower-cased).
    Header(String),
}

impl<'de> Deserialize<'de> for Affinity {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let text = String::deserialize(deserializer)?;
        if text == "user" {
            return Ok(Affinity::User);
        }
        match text.strip_prefix("header:") {
            Some(name) if is_header_name(name) => Ok(Affinity::Header(name.to_ascii_lowercase())),
            _ => Err(D::Error::custom(format!("affinity '{text}' must be \"user\" or \"header:<header-name>\""))),
        }
    }
}

fn is_header_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

impl<'de> Deserialize<'de> for ModelsSection {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let table = toml::Table::deserialize(deserializer)?;
        let mut section = ModelsSection::default();
        for (key, value) in table {
            if key == "cache_seconds" {
                section.cache_seconds = value
                    .as_integer()
                    .and_then(|n| u64::try_from(n).ok())
                    .ok_or_else(|| D::Error::custom("models.cache_seconds: must be a whole number of seconds"))?;
                continue;
            }
            if !value.is_table() {
                return Err(D::Error::custom(format!(
                    "models.{key}: a model group is a table ([models.{key}] with targets = [...])"
                )));
            }
            let group = value
                .try_into()
                .map_err(|e: toml::de::Error| D::Error::custom(format!("models.{key}: {}", e.message().trim())))?;
            section.groups.insert(key, group);
        }
        Ok(section)
    }
}
