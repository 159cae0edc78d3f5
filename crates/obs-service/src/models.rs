//! `/v1/models` (contract §1.2): the OpenAI upstream's list, Bedrock's foundation models and inference profiles,
//! and the aliases — sorted, de-duplicated, cached. One source failing leaves the others listed (WARN); every
//! configured source failing is 502; no source configured gives the aliases alone.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use obs_models::error::ErrorCode;
use obs_models::openai::{ModelInfo, ModelList};

use crate::Error;

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

/// One source's answer: `None` when the source is not configured.
pub(crate) type SourceAnswer = (&'static str, Option<Result<Vec<ModelInfo>, Error>>);

/// Merges the sources' answers with the aliases.
pub(crate) fn merge(sources: Vec<SourceAnswer>, aliases: impl Iterator<Item = String>) -> Result<ModelList, Error> {
    let mut models: Vec<ModelInfo> = aliases.map(|alias| ModelInfo::new(alias, 0, "obs")).collect();
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
                tracing::warn!(source = name, error = %error, "model listing failed");
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
