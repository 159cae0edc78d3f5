//! Building the [`RoutingTable`] from the configuration — every provider, alias, listed model and group resolved
//! once, every problem reported as one [`ConfigError`] naming its key.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use obs_adapters::{bedrock, openai};

use super::group::{Group, Member};
use super::health::{Health, HealthPolicy};
use super::kinds;
use super::{RouteRule, RoutingTable};
use crate::config::{BEDROCK, Config, ConfigError, ModelGroupConfig, OPENAI, Strategy};
use crate::providers::ProviderSlot;

impl RoutingTable {
    /// Resolves the configuration into a routing table: checks that every alias and group target names a
    /// provider, that groups are non-empty and free of cycles, that no bare id is claimed twice.
    pub fn build(config: &Config) -> Result<RoutingTable, ConfigError> {
        let order: Vec<Arc<ProviderSlot>> = config
            .all_providers()
            .into_iter()
            .map(|(name, provider)| Arc::new(ProviderSlot::new(&name, provider, config)))
            .collect();
        let mut providers: HashMap<String, Arc<ProviderSlot>> = HashMap::with_capacity(order.len());
        for slot in &order {
            // Only a `[providers.<name>]` table named like a built-in can repeat a name; collected silently, it
            // would shadow the built-in for routing yet be listed (and built) twice.
            if providers.insert(slot.name().to_string(), slot.clone()).is_some() {
                return Err(crate::config::builtin_name_taken(slot.name()));
            }
        }
        let get = |name: &str| providers.get(name).cloned();
        for slot in &order {
            if let crate::config::ProviderConfig::OpenAi(openai_section) = slot.config()
                && let Some(name) = &openai_section.apply_guardrail
            {
                let key = format!("{}.apply_guardrail", section(slot.name()));
                match get(name) {
                    Some(checker) if matches!(checker.config(), crate::config::ProviderConfig::Bedrock(_)) => {
                        slot.check_guardrails_with(checker);
                    }
                    Some(_) => return Err(ConfigError::new(key, format!("'{name}' is not a Bedrock provider"))),
                    None => return Err(ConfigError::new(key, format!("unknown provider '{name}'{}", known(&order)))),
                }
            }
        }
        let (Some(openai), Some(bedrock)) = (get(OPENAI), get(BEDROCK)) else {
            return Err(ConfigError::new("providers", "the built-in providers are missing"));
        };
        let default = match &config.routing.default_provider {
            None => openai.clone(),
            Some(name) => get(name).ok_or_else(|| {
                ConfigError::new("routing.default_provider", format!("unknown provider '{name}'{}", known(&order)))
            })?,
        };

        let mut listed: HashMap<String, Arc<ProviderSlot>> = HashMap::new();
        for slot in &order {
            for model in slot.config().models() {
                if let Some(other) = listed.get(model) {
                    return Err(ConfigError::new(
                        format!("{}.models", section(slot.name())),
                        format!(
                            "'{model}' is also listed by provider '{}': put both in a model group to share it",
                            other.name()
                        ),
                    ));
                }
                listed.insert(model.clone(), slot.clone());
            }
        }

        let mut table = RoutingTable { providers, order, groups: HashMap::new(), listed, openai, bedrock, default };
        // `Config::validate` checks these too; `Gateway::new` may get a configuration that never went through it.
        let seconds = |key: &str, value: f64| {
            Duration::try_from_secs_f64(value)
                .map_err(|_| ConfigError::new(key, "must be a number of seconds above 0 (at most a day)"))
        };
        let policy = HealthPolicy {
            threshold: config.routing.failure_threshold,
            cooldown: seconds("routing.cooldown_seconds", config.routing.cooldown_seconds)?,
            max_cooldown: seconds("routing.max_cooldown_seconds", config.routing.max_cooldown_seconds)?,
        };

        for (name, alias) in &config.aliases {
            let key = format!("aliases.{name}");
            let (provider, model) = alias.target().map_err(|message| ConfigError::new(&key, message))?;
            let slot = table.provider(provider).cloned().ok_or_else(|| {
                ConfigError::new(&key, format!("unknown provider '{provider}'{}", known(&table.order)))
            })?;
            let kind = kinds::kind(&slot, model).map_err(|e| ConfigError::new(&key, e.message))?;
            let member = member(slot, model.to_owned(), 1, policy);
            let group = Group::new(name, vec![member], Strategy::Fallback, None).with_kind(kind);
            table.groups.insert(name.clone(), (Arc::new(group), RouteRule::Alias));
        }

        for (name, group) in &config.models.groups {
            let key = format!("models.{name}");
            if config.aliases.contains_key(name) {
                return Err(ConfigError::new(key, format!("'{name}' is also an alias: one name, one meaning")));
            }
            if let Some((first, _)) = name.split_once('/')
                && table.providers.contains_key(first)
            {
                return Err(ConfigError::new(
                    key,
                    format!("a group name starting with '{first}/' would read as provider '{first}'; rename the group"),
                ));
            }
            let mut path = vec![name.as_str()];
            let targets = merge_repeats(table.expand(name, group, &config.models.groups, &mut path)?);
            // `expand` checked every target, so each kind is known or unknown here, never an error.
            let labelled: Vec<(String, Option<kinds::ModelKind>)> = targets
                .iter()
                .map(|(slot, model, _)| (format!("{}/{model}", slot.name()), kinds::kind(slot, model).ok().flatten()))
                .collect();
            let kind = kinds::group_kind(labelled.iter().map(|(label, kind)| (label.as_str(), *kind)))
                .map_err(|message| ConfigError::new(&key, message))?;
            let members =
                targets.into_iter().map(|(slot, model, weight)| member(slot, model, weight, policy)).collect();
            let group = Group::new(name, members, group.strategy, group.affinity.clone())
                .with_guardrail(group.guardrail.clone())
                .with_kind(kind);
            table.groups.insert(name.clone(), (Arc::new(group), RouteRule::Group));
        }
        Ok(table)
    }

    /// A group's targets as (provider, upstream model, weight), another group's targets in its place (weights
    /// multiplied). `path` is the chain of groups being expanded, to name a cycle.
    fn expand<'a>(
        &self,
        name: &str,
        group: &'a ModelGroupConfig,
        groups: &'a std::collections::BTreeMap<String, ModelGroupConfig>,
        path: &mut Vec<&'a str>,
    ) -> Result<Vec<(Arc<ProviderSlot>, String, u32)>, ConfigError> {
        if group.targets.is_empty() {
            return Err(ConfigError::new(format!("models.{name}.targets"), "a group needs at least one target"));
        }
        let mut resolved = Vec::new();
        for (i, target) in group.targets.iter().enumerate() {
            let key = format!("models.{name}.targets[{i}]");
            if target.weight == 0 {
                return Err(ConfigError::new(key, "weight must be at least 1"));
            }
            if let Some((inner_name, inner)) = groups.get_key_value(&target.model) {
                if path.contains(&inner_name.as_str()) {
                    let cycle = path.iter().chain(std::iter::once(&inner_name.as_str())).copied().collect::<Vec<_>>();
                    return Err(ConfigError::new(key, format!("groups form a cycle: {}", cycle.join(" → "))));
                }
                path.push(inner_name);
                let inner_targets = self.expand(inner_name, inner, groups, path)?;
                path.pop();
                resolved.extend(
                    inner_targets.into_iter().map(|(slot, model, w)| (slot, model, w.saturating_mul(target.weight))),
                );
                continue;
            }
            let (slot, model) =
                self.resolve_target(&target.model).map_err(|message| ConfigError::new(&key, message))?;
            kinds::kind(&slot, &model).map_err(|e| ConfigError::new(&key, e.message))?;
            resolved.push((slot, model, target.weight));
        }
        Ok(resolved)
    }

    /// A target string: `<provider>/<model-id>`, or a bare id routed as a request's would be.
    fn resolve_target(&self, target: &str) -> Result<(Arc<ProviderSlot>, String), String> {
        if let Some((first, rest)) = target.split_once('/') {
            if let Some(slot) = self.providers.get(first) {
                if rest.is_empty() {
                    return Err(format!("'{target}' names provider '{first}' but no model"));
                }
                return Ok((slot.clone(), rest.to_owned()));
            }
            if let Some(slot) = self.listed.get(target) {
                return Ok((slot.clone(), target.to_owned()));
            }
            // A Bedrock ARN has slashes of its own, and routes to Bedrock as a request's would.
            if bedrock::catalog::serves(target) {
                return Ok((self.bedrock.clone(), target.to_owned()));
            }
            return Err(format!("unknown provider '{first}' in '{target}'{}", known(&self.order)));
        }
        if target.is_empty() {
            return Err("a target must not be empty".to_owned());
        }
        let slot = if let Some(slot) = self.listed.get(target) {
            slot
        } else if bedrock::catalog::serves(target) {
            &self.bedrock
        } else if openai::catalog::serves(target) {
            &self.openai
        } else {
            &self.default
        };
        Ok((slot.clone(), target.to_owned()))
    }
}

/// One member per (provider, model): a target written twice, or reached through a nested group as well, keeps its
/// first place with the weights added — one health, one set of counters, one metrics series.
fn merge_repeats(targets: Vec<(Arc<ProviderSlot>, String, u32)>) -> Vec<(Arc<ProviderSlot>, String, u32)> {
    let mut merged: Vec<(Arc<ProviderSlot>, String, u32)> = Vec::with_capacity(targets.len());
    for (slot, model, weight) in targets {
        match merged.iter_mut().find(|(s, m, _)| Arc::ptr_eq(s, &slot) && *m == model) {
            Some(existing) => existing.2 = existing.2.saturating_add(weight),
            None => merged.push((slot, model, weight)),
        }
    }
    merged
}

fn member(provider: Arc<ProviderSlot>, model: String, weight: u32, policy: HealthPolicy) -> Arc<Member> {
    Arc::new(Member {
        label: format!("{}/{model}", provider.name()),
        provider,
        model,
        weight,
        health: Health::new(policy),
        in_flight: Default::default(),
        requests: Default::default(),
        failures: Default::default(),
    })
}

/// The TOML section of a provider: `openai`, `bedrock`, or `providers.<name>`.
fn section(name: &str) -> String {
    if name == OPENAI || name == BEDROCK { name.to_owned() } else { format!("providers.{name}") }
}

fn known(order: &[Arc<ProviderSlot>]) -> String {
    let names: Vec<&str> = order.iter().map(|slot| &**slot.name()).collect();
    format!(" (configured: {})", names.join(", "))
}
