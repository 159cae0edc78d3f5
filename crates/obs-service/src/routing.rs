//! Routing by model id (contract §7): a pure function of (model id, configuration) — no I/O, nothing kept per id.
//!
//! In order, first match wins: configured alias → Bedrock ARN → Bedrock id (optional geo prefix, then a vendor
//! prefix) → OpenAI id prefix → the configured default provider. Then, for Bedrock, the API family: Claude and
//! Titan through InvokeModel, non-chat models refused, everything else through Converse.

use std::collections::HashMap;

use obs_adapters::{BedrockFamily, UpstreamTarget};
use obs_models::error::ErrorCode;
use serde::Deserialize;

use crate::Error;

/// The two kinds of provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// OpenAI or any OpenAI-compatible base URL.
    OpenAi,
    /// AWS Bedrock.
    Bedrock,
}

impl Provider {
    /// `openai` or `bedrock`.
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::OpenAi => "openai",
            Provider::Bedrock => "bedrock",
        }
    }

    /// Parses `openai` / `bedrock`.
    pub fn parse(value: &str) -> Option<Provider> {
        match value {
            "openai" => Some(Provider::OpenAi),
            "bedrock" => Some(Provider::Bedrock),
            _ => None,
        }
    }
}

/// Which Bedrock API Claude goes through (`bedrock.claude_api`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClaudeApi {
    /// InvokeModel with the native Messages body (default).
    #[default]
    Invoke,
    /// Converse.
    Converse,
}

/// Where an alias points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AliasTarget {
    /// The provider.
    pub provider: Provider,
    /// The upstream model id.
    pub model: String,
}

/// Why a route was chosen (logged at DEBUG).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteRule {
    /// A configured alias.
    Alias,
    /// A Bedrock ARN.
    Arn,
    /// A Bedrock model or inference-profile id.
    BedrockId,
    /// An OpenAI model-name prefix.
    OpenAiPrefix,
    /// Nothing matched: the configured default provider.
    Default,
}

/// The outcome of routing one model id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The provider that serves it.
    pub provider: Provider,
    /// The id sent upstream.
    pub upstream_model: String,
    /// The Bedrock API family (`Converse` for OpenAI routes, where it is unused).
    pub family: BedrockFamily,
    /// The rule that matched.
    pub rule: RouteRule,
}

impl Route {
    /// What the adapter needs.
    pub fn target(&self) -> UpstreamTarget {
        UpstreamTarget { model_id: self.upstream_model.clone(), family: self.family }
    }
}

/// The routing table: aliases, default provider, Claude API choice.
#[derive(Debug, Clone, Default)]
pub struct Router {
    aliases: HashMap<String, AliasTarget>,
    default_provider: Option<Provider>,
    claude_api: ClaudeApi,
}

const GEO_PREFIXES: [&str; 8] = ["us.", "eu.", "apac.", "us-gov.", "ca.", "jp.", "au.", "global."];
const BEDROCK_VENDORS: [&str; 15] = [
    "anthropic.",
    "amazon.",
    "meta.",
    "mistral.",
    "cohere.",
    "ai21.",
    "deepseek.",
    "writer.",
    "qwen.",
    "openai.",
    "twelvelabs.",
    "moonshot.",
    "google.",
    "minimax.",
    "stability.",
];
const OPENAI_PREFIXES: [&str; 9] = ["gpt-", "o1", "o3", "o4", "chatgpt-", "text-", "ft:", "dall-e", "codex-"];

impl Router {
    /// A router with these aliases, default provider (`None` = OpenAI) and Claude API.
    pub fn new(
        aliases: HashMap<String, AliasTarget>,
        default_provider: Option<Provider>,
        claude_api: ClaudeApi,
    ) -> Self {
        Router { aliases, default_provider, claude_api }
    }

    /// The configured aliases.
    pub fn aliases(&self) -> impl Iterator<Item = &String> {
        self.aliases.keys()
    }

    /// Routes a model id.
    ///
    /// ```
    /// use obs_service::routing::{Provider, Router, RouteRule};
    /// use obs_adapters::BedrockFamily;
    ///
    /// let router = Router::default();
    /// let route = router.route("us.anthropic.claude-3-5-sonnet-20241022-v2:0").unwrap();
    /// assert_eq!((route.provider, route.family), (Provider::Bedrock, BedrockFamily::ClaudeInvoke));
    /// assert_eq!(router.route("gpt-4o").unwrap().rule, RouteRule::OpenAiPrefix);
    /// assert!(router.route("amazon.titan-embed-text-v2:0").is_err()); // not a chat model
    /// ```
    pub fn route(&self, model: &str) -> Result<Route, Error> {
        if let Some(alias) = self.aliases.get(model) {
            return self.to(alias.provider, &alias.model, RouteRule::Alias);
        }
        if is_bedrock_arn(model) {
            return self.to(Provider::Bedrock, model, RouteRule::Arn);
        }
        if BEDROCK_VENDORS.iter().any(|v| strip_geo(model).starts_with(v)) {
            return self.to(Provider::Bedrock, model, RouteRule::BedrockId);
        }
        if OPENAI_PREFIXES.iter().any(|p| model.starts_with(p)) {
            return self.to(Provider::OpenAi, model, RouteRule::OpenAiPrefix);
        }
        self.to(self.default_provider.unwrap_or(Provider::OpenAi), model, RouteRule::Default)
    }

    fn to(&self, provider: Provider, model: &str, rule: RouteRule) -> Result<Route, Error> {
        let family = match provider {
            Provider::OpenAi => BedrockFamily::Converse,
            Provider::Bedrock => self.family(model)?,
        };
        Ok(Route { provider, upstream_model: model.to_owned(), family, rule })
    }

    /// The Bedrock API family of a Bedrock model id or ARN.
    fn family(&self, model: &str) -> Result<BedrockFamily, Error> {
        let id = if is_bedrock_arn(model) {
            match arn_resource(model) {
                Some(("foundation-model" | "inference-profile", id)) => id,
                // Application inference profiles (and provisioned or custom models) hide the model: Converse works
                // for every chat family.
                _ => return Ok(BedrockFamily::Converse),
            }
        } else {
            model
        };
        let id = strip_geo(id);
        let not_chat = id.starts_with("amazon.titan-embed")
            || id.contains("image")
            || id.starts_with("stability.")
            || ["amazon.nova-canvas", "amazon.nova-reel", "amazon.nova-sonic"].iter().any(|p| id.starts_with(p));
        if not_chat {
            let mut error = Error::new(
                ErrorCode::InvalidValue,
                format!("'{model}' is not a chat model: /v1/chat/completions serves text-generation models only."),
            );
            error.param = Some("model".to_owned());
            return Err(error);
        }
        Ok(if id.starts_with("anthropic.claude") {
            match self.claude_api {
                ClaudeApi::Invoke => BedrockFamily::ClaudeInvoke,
                ClaudeApi::Converse => BedrockFamily::ClaudeConverse,
            }
        } else if id.starts_with("amazon.titan-text") || id.starts_with("amazon.titan-tg1") {
            BedrockFamily::TitanInvoke
        } else {
            BedrockFamily::Converse
        })
    }
}

fn strip_geo(id: &str) -> &str {
    GEO_PREFIXES.iter().find_map(|geo| id.strip_prefix(geo)).unwrap_or(id)
}

/// `arn:aws…:bedrock:…` (any partition: `aws`, `aws-us-gov`, `aws-cn`).
fn is_bedrock_arn(model: &str) -> bool {
    model.starts_with("arn:aws") && model.split(':').nth(2) == Some("bedrock")
}

/// (`foundation-model`, id) from `arn:aws:bedrock:<region>:<account>:foundation-model/<id>`.
fn arn_resource(arn: &str) -> Option<(&str, &str)> {
    let resource = arn.splitn(6, ':').nth(5)?;
    resource.split_once('/')
}
