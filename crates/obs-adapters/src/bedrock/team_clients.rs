//! One Bedrock client per team, for a provider with team sessions (docs/reference/keys.md §9): each team's client
//! is the provider's own with the team's credentials provider (obs-service's: the provider's role assumed with the
//! team in its session name and tags), so it shares the connection pool and identity cache, and each team's
//! temporary credentials are fetched once and refreshed by the SDK like the provider's.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_bedrockruntime::Client;

/// How many teams get a client of their own; requests of further teams use the provider's credentials (logged
/// once). Teams are named by admins, so this is a guard against a mistake, not a limit anyone should meet.
pub const MAX_TEAM_CLIENTS: usize = 1000;

/// Builds the credentials provider a team's requests use. Called once per team.
#[derive(Clone)]
pub struct TeamCredentials(pub Arc<dyn Fn(&str) -> SharedCredentialsProvider + Send + Sync>);

impl std::fmt::Debug for TeamCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TeamCredentials")
    }
}

pub(crate) struct TeamClients {
    credentials: TeamCredentials,
    clients: Mutex<HashMap<Arc<str>, Client>>,
    warned_full: AtomicBool,
}

impl TeamClients {
    pub(crate) fn new(credentials: TeamCredentials) -> Self {
        TeamClients { credentials, clients: Mutex::new(HashMap::new()), warned_full: AtomicBool::new(false) }
    }

    /// The client for `team`, built on first use from `base`.
    pub(crate) fn client(&self, base: &Client, team: &Arc<str>) -> Client {
        let Ok(mut clients) = self.clients.lock() else { return base.clone() };
        if let Some(client) = clients.get(team) {
            return client.clone();
        }
        if clients.len() >= MAX_TEAM_CLIENTS {
            if !self.warned_full.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    teams = MAX_TEAM_CLIENTS,
                    "more teams than team sessions are kept for; further teams use the provider's own credentials"
                );
            }
            return base.clone();
        }
        let config = base.config().to_builder().credentials_provider((self.credentials.0)(team)).build();
        let client = Client::from_conf(config);
        clients.insert(team.clone(), client.clone());
        client
    }
}
