//! Team sessions (`aws.team_sessions`, docs/reference/keys.md §9): the credentials each team's requests use on a
//! Bedrock provider — its role assumed for the team, with the team in the session name and, through `AssumeRole`,
//! a session tag, so that AWS's bill (cost allocation by session tag) and CloudTrail can be split by team.

use std::sync::Arc;

use aws_config::sts::AssumeRoleProvider;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider, future};
use aws_types::region::Region;
use obs_adapters::bedrock::TeamCredentials;

use super::{assume_role_as, base_provider, uses_web_identity, web_identity_session};
use crate::config::AwsSection;

/// The credentials each team's requests use, `None` without `aws.team_sessions`: with `AssumeRole` on top of the
/// same base credentials as the provider's own session, named `<role_session_name>-<team>` and tagged
/// `<team_tag_key>=<team>`; with a web-identity token, `AssumeRoleWithWebIdentity` named likewise (that call takes
/// no tags: a token's session tags come from its issuer).
pub async fn team_credentials(aws: &AwsSection, region: &Region) -> Option<TeamCredentials> {
    if !aws.team_sessions {
        return None;
    }
    let role = aws.role_arn.clone()?;
    let aws = Arc::new(aws.clone());
    let build: Arc<dyn Fn(&str) -> SharedCredentialsProvider + Send + Sync> = if uses_web_identity(&aws) {
        let region = region.clone();
        Arc::new(move |team: &str| {
            let session = session_name(&aws.role_session_name, team);
            SharedCredentialsProvider::new(web_identity_session(&aws, &role, &region, session))
        })
    } else {
        let base = base_provider(&aws, region).await;
        let region = region.clone();
        Arc::new(move |team: &str| {
            SharedCredentialsProvider::new(TeamRole {
                aws: aws.clone(),
                role: role.clone(),
                region: region.clone(),
                base: base.clone(),
                team: team.to_owned(),
                assumed: tokio::sync::OnceCell::new(),
            })
        })
    };
    Some(TeamCredentials(build))
}

/// A team's `AssumeRole` session of the provider's role, whose STS client is built on its first use.
struct TeamRole {
    aws: Arc<AwsSection>,
    role: String,
    region: Region,
    base: SharedCredentialsProvider,
    team: String,
    assumed: tokio::sync::OnceCell<AssumeRoleProvider>,
}

impl std::fmt::Debug for TeamRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TeamRole").field("role", &self.role).field("team", &self.team).finish_non_exhaustive()
    }
}

impl ProvideCredentials for TeamRole {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            let assumed = self
                .assumed
                .get_or_init(|| async {
                    let session = session_name(&self.aws.role_session_name, &self.team);
                    let tag = (self.aws.team_tag_key.clone(), tag_value(&self.team));
                    assume_role_as(&self.aws, &self.role, &self.region, self.base.clone(), &session, Some(tag)).await
                })
                .await;
            assumed.provide_credentials().await
        })
    }
}

/// `<prefix>-<team>` as STS takes a role session name: at most 64 characters of letters, digits and `_+=,.@-`
/// (anything else becomes `-`).
pub fn session_name(prefix: &str, team: &str) -> String {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c);
    format!("{prefix}-{team}").chars().map(|c| if allowed(c) { c } else { '-' }).take(64).collect()
}

fn tag_char(c: char) -> bool {
    c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c)
}

/// The team as an STS session tag value: at most 256 characters of letters, digits, spaces and `_.:/=+-@`
/// (anything else becomes `_`).
pub fn tag_value(team: &str) -> String {
    team.chars().map(|c| if tag_char(c) { c } else { '_' }).take(256).collect()
}

/// Whether `key` is a valid STS session tag key.
pub fn is_tag_key(key: &str) -> bool {
    (1..=128).contains(&key.chars().count()) && key.chars().all(tag_char)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_team_becomes_a_session_name_and_a_tag_value_sts_accepts() {
        assert_eq!(session_name("obs-session", "payments"), "obs-session-payments");
        assert_eq!(session_name("obs", "search & ranking"), "obs-search---ranking");
        assert_eq!(session_name("obs", "équipe"), "obs--quipe");
        assert_eq!(session_name("obs", &"x".repeat(100)).len(), 64);
        assert_eq!(tag_value("search & ranking/eu"), "search _ ranking/eu");
        assert_eq!(tag_value("équipe"), "équipe");
        assert_eq!(tag_value(&"y".repeat(300)).chars().count(), 256);
        assert!(is_tag_key("team") && is_tag_key("cost-center:obs"));
        assert!(!is_tag_key("") && !is_tag_key("team#1") && !is_tag_key(&"k".repeat(129)));
    }
}
