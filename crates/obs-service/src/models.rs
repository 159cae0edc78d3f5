//! `/v1/models` (docs/reference/routes.md §4): the providers' lists (OpenAI-compatible upstreams' own, Bedrock's
//! foundation models and inference profiles, or a provider's configured `models`) and the groups and aliases — sorted,
//! de-duplicated, cached. One source failing leaves the others listed (WARN); every configured source failing is 502;
//! no source configured gives the aliases alone.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use obs_models::Error;
use obs_models::error::ErrorCode;
use obs_models::openai::{ModelInfo, ModelList};

use crate::config::{BEDROCK, OPENAI};
use crate::routing::RoutingTable;

pub(crate) struct ModelCache {
    ttl: Duration,
    cached: Mutex<Option<(Instant, ModelList)>>,
}

impl ModelCache {
    pub(crate) fn new(ttl: Duration) -> Self {
        ModelCache { ttl, cached: Mutex::new(None) }
    }

    pub(crate) fn get(&self) -> Option<ModelList> {
        let cached = self.cached.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        cached.as_ref().filter(|(at, _)| at.elapsed() < self.ttl).map(|(_, list)| list.clone())
    }

    pub(crate) fn put(&self, list: &ModelList) {
        *self.cached.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some((Instant::now(), list.clone()));
    }
}

/// Lists every model clients can ask for: group and alias names (`owned_by: "obs"`), each provider's `models` list,
/// or — for a provider without one that is configured — its upstream's list (the built-in providers' ids bare,
/// a named provider's as `<name>/<id>`, the form that routes to it). Providers are asked concurrently.
pub(crate) async fn collect(table: &RoutingTable) -> Result<ModelList, Error> {
    let sources = table.providers().iter().map(|slot| async move {
        let builtin = &**slot.name() == OPENAI || &**slot.name() == BEDROCK;
        let owner = |id: String| ModelInfo::new(id, 0, slot.name().to_string());
        let listed = slot.config().models();
        if !listed.is_empty() {
            return (slot.name().clone(), Some(Ok(listed.iter().cloned().map(owner).collect())));
        }
        if !slot.listable().await {
            return (slot.name().clone(), None);
        }
        let answer = match slot.adapter().await {
            Ok(adapter) => adapter.list_models().await,
            Err(error) => Err(error),
        };
        let answer = answer.map(|models| {
            models
                .into_iter()
                .map(|mut model| {
                    if !builtin {
                        model.id = format!("{}/{}", slot.name(), model.id);
                        model.owned_by = slot.name().to_string();
                    }
                    model
                })
                .collect()
        });
        (slot.name().clone(), Some(answer))
    });
    let answers = futures::future::join_all(sources).await;
    merge(answers, table.group_names().cloned())
}

/// One source's answer: `None` when the source is not configured.
type SourceAnswer = (Arc<str>, Option<Result<Vec<ModelInfo>, Error>>);

/// Merges the sources' answers with the group names.
fn merge(sources: Vec<SourceAnswer>, groups: impl Iterator<Item = String>) -> Result<ModelList, Error> {
    let mut models: Vec<ModelInfo> = groups.map(|name| ModelInfo::new(name, 0, "obs")).collect();
    let mut configured = 0;
    let mut failures = Vec::new();
    for (name, outcome) in sources {
        match outcome {
            None => {}
            Some(Ok(list)) => {
                configured += 1;
                models.extend(list);
            }
            Some(Err(error)) => {
                configured += 1;
                tracing::warn!(source = %name, error = %error, "model listing failed");
                failures.push(format!("{name}: {}", error.message));
            }
        }
    }
    if configured > 0 && failures.len() == configured {
        return Err(Error::new(ErrorCode::UpstreamError, format!("Could not list models ({}).", failures.join("; "))));
    }
    models.sort_by(|a, b| a.id.cmp(&b.id));
    models.dedup_by(|later, earlier| later.id == earlier.id);
    Ok(ModelList::new(models))
}
