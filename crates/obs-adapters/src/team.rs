//! The team a request is made for, so that a Bedrock provider with team sessions calls AWS as that team: the role
//! it assumes carries the team in its session name and session tags, and AWS's own bill and CloudTrail can be
//! split by team (docs/reference/keys.md §9).
//!
//! The team travels as a task-local rather than as a parameter of every adapter method: it is known once, where
//! the key is checked (obs-server), and read once, where a Bedrock client is chosen ([`current`]), with every
//! layer between — routing, fallback, retries, the strategies — unaware of it. Only the calls made while the
//! scoped future runs see it; that is where every request is sent (a stream's first event is awaited inside it).

use std::future::Future;
use std::sync::Arc;

tokio::task_local! {
    static TEAM: Arc<str>;
}

/// Runs `call` on behalf of `team`: Bedrock requests it sends use the team's credentials where the provider has
/// team sessions on. With no team it is `call` itself.
pub async fn on_behalf_of<F: Future>(team: Option<&Arc<str>>, call: F) -> F::Output {
    match team {
        Some(team) => TEAM.scope(team.clone(), call).await,
        None => call.await,
    }
}

/// The team of the request being served, inside [`on_behalf_of`].
pub(crate) fn current() -> Option<Arc<str>> {
    TEAM.try_with(Arc::clone).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_team_is_seen_only_inside_its_scope() {
        assert_eq!(current(), None);
        let team: Arc<str> = Arc::from("payments");
        let seen = on_behalf_of(Some(&team), async { current() }).await;
        assert_eq!(seen.as_deref(), Some("payments"));
        assert_eq!(on_behalf_of(None, async { current() }).await, None);
        assert_eq!(current(), None);
    }
}
