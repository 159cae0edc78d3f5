//! A model group's own limits (docs/reference/keys.md §4.2): `rpm`, `tpm` and `max_parallel` on `[models.<name>]`,
//! for every request the group serves whoever sends it — counted in process, or in Redis like a key's. Checked once
//! the request is planned (the plan names the group); the counters live as long as the server.

use std::collections::HashMap;
use std::sync::Arc;

use obs_models::Error;
use obs_service::config::Config;

use crate::app::App;
use crate::keyring::Counters;
use crate::observe::RequestLog;

/// One limited group.
#[derive(Debug)]
pub(crate) struct GroupLimits {
    pub(crate) name: String,
    pub(crate) rpm: Option<i64>,
    pub(crate) tpm: Option<i64>,
    pub(crate) max_parallel: Option<i64>,
    pub(crate) counters: Counters,
}

/// Every group with a limit, by name.
pub(crate) fn from_config(config: &Config) -> HashMap<String, Arc<GroupLimits>> {
    config
        .models
        .groups
        .iter()
        .filter(|(_, g)| g.rpm.is_some() || g.tpm.is_some() || g.max_parallel.is_some())
        .map(|(name, g)| {
            let limits = GroupLimits {
                name: name.clone(),
                rpm: g.rpm,
                tpm: g.tpm,
                max_parallel: g.max_parallel,
                counters: Counters::new(g.max_parallel),
            };
            (name.clone(), Arc::new(limits))
        })
        .collect()
}

/// Applies the planned group's limits, if it has any.
pub(crate) async fn admit(app: &App, log: &mut RequestLog, group: Option<&str>) -> Result<(), Error> {
    let Some(limits) = group.and_then(|g| app.group_limits.get(g)).cloned() else { return Ok(()) };
    let subject = crate::admission::Subject {
        id: format!("group:{}", limits.name).into(),
        what: format!("the model group '{}'", limits.name).into(),
        rpm: limits.rpm,
        tpm: limits.tpm,
        max_parallel: limits.max_parallel,
        counters: &limits.counters,
    };
    let held = crate::admission::take_request_limits(app, &subject, &mut log.rate_limit).await?;
    log.group_permit = held.permit;
    log.group_slot = held.slot;
    if subject.tpm.is_some() {
        let estimate = log.token_estimate.unwrap_or(0);
        let reservation = crate::admission::reserve(app, &subject, estimate, &mut log.token_limit).await?;
        log.group_tpm = reservation.map(|r| (limits.clone(), r));
    }
    Ok(())
}
