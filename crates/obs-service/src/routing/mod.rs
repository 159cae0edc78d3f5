//! Routing (docs/reference/formats.md §6, extended by named providers and model groups): the [`RoutingTable`] is built
//! once from the configuration and turns a model id into a [`Plan`] — a pure function of (model id, configuration, the
//! targets' health and load), with no I/O and nothing kept per id.
//!
//! In order, first match wins: a model group or alias → `<provider>/<model-id>` when the first segment names a
//! provider → a provider's `models` list → a Bedrock ARN or vendor id → an OpenAI model-name prefix → the default
//! provider. What Bedrock and OpenAI ids look like is their adapters' knowledge (`obs_adapters::{bedrock, openai}::
//! catalog`).

mod group;
pub(crate) mod health;
mod kinds;
mod plan;
mod table;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use obs_adapters::{bedrock, openai};
use obs_models::Error;
use obs_models::error::ErrorCode;

pub use group::TargetStatus;
pub use health::HealthSnapshot;
pub(crate) use plan::{Candidate, InFlight, Outcome};
pub use plan::{Plan, RouteRule, Served};

use crate::RequestContext;
use crate::config::Affinity;
use crate::providers::ProviderSlot;
use group::Group;
use kinds::ModelKind;

/// Providers, groups and the rules between them, built once.
#[derive(Debug)]
pub struct RoutingTable {
    providers: HashMap<String, Arc<ProviderSlot>>,
    /// Provider names in configuration order (built-ins first).
    order: Vec<Arc<ProviderSlot>>,
    /// Groups and aliases by the name clients send; the flag says which it is.
    groups: HashMap<String, (Arc<Group>, RouteRule)>,
    /// Bare ids a provider's `models` list claims.
    listed: HashMap<String, Arc<ProviderSlot>>,
    openai: Arc<ProviderSlot>,
    bedrock: Arc<ProviderSlot>,
    default: Arc<ProviderSlot>,
}

impl RoutingTable {
    /// Plans one request for `model`; `user` (the request's field) and the headers in `context` are read only for a
    /// group with affinity.
    pub fn plan<'r>(
        &self,
        model: &str,
        user: impl FnOnce() -> Option<&'r str>,
        context: &RequestContext<'_>,
    ) -> Result<Plan, Error> {
        self.plan_checked(model, user, context, ModelKind::Chat)
    }

    /// Plans an embeddings request (`/v1/embeddings`) as [`RoutingTable::plan`] does, except that a bare model id
    /// must be one its provider embeds with (Bedrock's Titan Text Embeddings and Cohere Embed; any id on an
    /// OpenAI-compatible provider, whose upstream decides).
    pub fn plan_embeddings<'r>(
        &self,
        model: &str,
        user: impl FnOnce() -> Option<&'r str>,
        context: &RequestContext<'_>,
    ) -> Result<Plan, Error> {
        self.plan_checked(model, user, context, ModelKind::Embeddings)
    }

    /// Plans a request of kind `wanted`: a group or alias of the other kind, or a bare id its provider does not
    /// serve for it, is refused before anything is sent.
    fn plan_checked<'r>(
        &self,
        model: &str,
        user: impl FnOnce() -> Option<&'r str>,
        context: &RequestContext<'_>,
        wanted: ModelKind,
    ) -> Result<Plan, Error> {
        if let Some((group, rule)) = self.groups.get(model) {
            if let Some(has) = group.kind
                && has != wanted
            {
                return Err(kinds::refuse(model, *rule, has));
            }
            let key = match group.affinity() {
                Some(Affinity::User) => user(),
                Some(Affinity::Header(name)) => context.header(name),
                None => None,
            };
            let candidates = group.order(key, Instant::now()).into_iter().map(Candidate::Member).collect();
            let guardrail = group.guardrail.clone();
            let team = context.team.cloned();
            return Ok(Plan { rule: *rule, group: Some(group.name.clone()), candidates, guardrail, team });
        }
        let (provider, upstream, rule) = self.direct(model)?;
        match wanted {
            ModelKind::Chat => provider.check_model(upstream)?,
            ModelKind::Embeddings => provider.check_embedding_model(upstream)?,
        }
        Ok(Plan {
            rule,
            group: None,
            guardrail: None,
            team: context.team.cloned(),
            candidates: vec![Candidate::Direct { provider: provider.clone(), model: upstream.to_owned() }],
        })
    }

    /// Plans a Messages request (`/v1/messages`): as [`RoutingTable::plan`], except that one of Anthropic's model
    /// names that no group, alias or provider's `models` list claims goes to the `bedrock` provider, as the Bedrock
    /// id the built-in table gives for that provider's region (`bedrock_region`; see
    /// `obs_adapters::bedrock::anthropic_models`). A group or alias of the same name overrides the table.
    pub fn plan_messages<'r>(
        &self,
        model: &str,
        user: impl FnOnce() -> Option<&'r str>,
        context: &RequestContext<'_>,
        bedrock_region: Option<&str>,
    ) -> Result<Plan, Error> {
        if !self.groups.contains_key(model)
            && !self.listed.contains_key(model)
            && let Some(id) = bedrock::anthropic_models::bedrock_id(model, bedrock_region)
        {
            return Ok(Plan {
                rule: RouteRule::AnthropicName,
                group: None,
                guardrail: None,
                team: context.team.cloned(),
                candidates: vec![Candidate::Direct { provider: self.bedrock.clone(), model: id }],
            });
        }
        self.plan(model, user, context)
    }

    /// The built-in `bedrock` provider, whose region the Anthropic model-name table reads.
    pub(crate) fn bedrock(&self) -> &Arc<ProviderSlot> {
        &self.bedrock
    }

    /// The provider and upstream id of a model id that names no group.
    fn direct<'a>(&self, model: &'a str) -> Result<(&Arc<ProviderSlot>, &'a str, RouteRule), Error> {
        if let Some((first, rest)) = model.split_once('/')
            && let Some(provider) = self.providers.get(first)
        {
            if rest.is_empty() {
                return Err(Error::invalid(
                    "model",
                    format!("'{model}' names the provider '{first}' but no model: use '{first}/<model-id>'."),
                ));
            }
            return Ok((provider, rest, RouteRule::Explicit));
        }
        if let Some(provider) = self.listed.get(model) {
            return Ok((provider, model, RouteRule::Listed));
        }
        if bedrock::catalog::serves(model) {
            return Ok((&self.bedrock, model, RouteRule::Bedrock));
        }
        if openai::catalog::serves(model) {
            return Ok((&self.openai, model, RouteRule::OpenAi));
        }
        if model.is_empty() {
            return Err(Error::new(ErrorCode::MissingModel, "The request has no model.").with_param("model"));
        }
        Ok((&self.default, model, RouteRule::Default))
    }

    /// A provider by name.
    pub(crate) fn provider(&self, name: &str) -> Option<&Arc<ProviderSlot>> {
        self.providers.get(name)
    }

    /// Every provider, built-ins first.
    pub(crate) fn providers(&self) -> &[Arc<ProviderSlot>] {
        &self.order
    }

    /// Group and alias names (model ids clients can send).
    pub fn group_names(&self) -> impl Iterator<Item = &String> {
        self.groups.keys()
    }

    /// Every group target's state, sorted by group then target order.
    pub fn targets(&self) -> Vec<TargetStatus> {
        let now = Instant::now();
        let mut groups: Vec<_> = self.groups.values().filter(|(_, rule)| *rule == RouteRule::Group).collect();
        groups.sort_by(|a, b| a.0.name.cmp(&b.0.name));
        groups.into_iter().flat_map(|(group, _)| group.statuses(now)).collect()
    }
}
