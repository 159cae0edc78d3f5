//! AWS credential precedence (orig C50, C51): static beats profile; an assumed role carries RoleArn, ExternalId,
//! RoleSessionName and DurationSeconds, and the Bedrock call is signed with the role's temporary credentials; a
//! web-identity token is exchanged at the configured STS endpoint, for the provider and for each team.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use aws_credential_types::provider::ProvideCredentials;
use common::{config_from, env_for, request};
use obs_mock::{ASSUMED_ACCESS_KEY_ID, MockConfig, spawn};
use obs_service::credentials::{CredentialSource, provider};
use obs_service::{ChatService, Gateway};
use pretty_assertions::assert_eq;

#[tokio::test]
async fn c50_static_keys_beat_a_profile() {
    let config = config_from(vec![
        ("AWS_ACCESS_KEY_ID".into(), "AKIDSTATIC".into()),
        ("AWS_SECRET_ACCESS_KEY".into(), "static-secret".into()),
        ("AWS_PROFILE".into(), "some-profile".into()),
        ("AWS_REGION".into(), "us-east-1".into()),
    ]);
    let (credentials, source) = provider(&config.aws, &aws_types::region::Region::new("us-east-1")).await;
    assert_eq!(source, CredentialSource::Static);
    let resolved = credentials.provide_credentials().await.unwrap();
    assert_eq!((resolved.access_key_id(), resolved.session_token()), ("AKIDSTATIC", None));
}

#[tokio::test]
async fn c51_assume_role_with_external_id_and_duration() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let mut env = env_for(&mock);
    env.extend([
        ("AWS_ROLE_ARN".to_owned(), "arn:aws:iam::123456789012:role/obs-test".to_owned()),
        ("AWS_EXTERNAL_ID".to_owned(), "ext-42".to_owned()),
        ("AWS_ROLE_SESSION_DURATION".to_owned(), "7200".to_owned()),
        ("AWS_ENDPOINT_URL_STS".to_owned(), mock.base_url()),
    ]);
    let gateway = Gateway::new(config_from(env)).unwrap();
    assert_eq!(mock.recorder().count(), 0, "no STS call at start-up");
    gateway.chat_completion(request("anthropic.claude-v2", false)).await.unwrap();
    let requests = mock.recorder().requests();
    assert_eq!(requests.len(), 2);
    let sts = &requests[0];
    assert_eq!((sts.method.as_str(), sts.path.as_str()), ("POST", "/"));
    let form = String::from_utf8(sts.body.to_vec()).unwrap();
    let mut fields: Vec<&str> = form.split('&').collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "Action=AssumeRole",
            "DurationSeconds=7200",
            "ExternalId=ext-42",
            "RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fobs-test",
            "RoleSessionName=obs-session",
            "Version=2011-06-15",
        ]
    );
    assert!(sts.header("authorization").unwrap().contains("Credential=AKIDTEST/"), "STS is called with the base keys");
    let bedrock = &requests[1];
    assert!(bedrock.path.starts_with("/model/"));
    assert!(
        bedrock.header("authorization").unwrap().contains(&format!("Credential={ASSUMED_ACCESS_KEY_ID}/")),
        "Bedrock is signed with the role's temporary credentials"
    );
    assert_eq!(bedrock.header("x-amz-security-token"), Some("mock-session-token-obs-session"));
    // Cached: a second call does not assume the role again.
    gateway.chat_completion(request("anthropic.claude-v2", false)).await.unwrap();
    assert_eq!(mock.recorder().requests().iter().filter(|r| r.path == "/").count(), 1);
}

#[tokio::test]
async fn a_teams_session_with_a_web_identity_token_names_the_team_and_carries_no_tags() {
    let mock = spawn(MockConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "eyJ.web-identity.token").unwrap();
    let mut aws = obs_service::config::AwsSection {
        role_arn: Some("arn:aws:iam::123456789012:role/obs-irsa".to_owned()),
        web_identity_token_file: Some(token_file.display().to_string()),
        sts_endpoint_url: Some(mock.base_url()),
        team_sessions: true,
        ..Default::default()
    };
    let region = aws_types::region::Region::new("us-east-1");
    let teams = obs_service::credentials::team_credentials(&aws, &region).await.unwrap();
    let credentials = (teams.0)("payments").provide_credentials().await.unwrap();
    assert_eq!(credentials.session_token(), Some(obs_mock::session_token("obs-session-payments").as_str()));
    let sts = mock.recorder().last().unwrap();
    let form = String::from_utf8(sts.body.to_vec()).unwrap();
    assert!(form.contains("Action=AssumeRoleWithWebIdentity"), "{form}");
    assert!(form.contains("RoleSessionName=obs-session-payments"), "{form}");
    assert!(form.contains("WebIdentityToken=eyJ.web-identity.token"), "{form}");
    assert!(!form.contains("Tags.member"), "{form}");

    assert_eq!(sts.header("authorization"), None, "AssumeRoleWithWebIdentity is unsigned");

    // The provider's own session: the same exchange at the same (configured) STS endpoint, as `role_session_name`.
    let (own, source) = provider(&aws, &region).await;
    assert_eq!(source, CredentialSource::WebIdentity);
    let credentials = own.provide_credentials().await.unwrap();
    assert_eq!(credentials.session_token(), Some(obs_mock::session_token("obs-session").as_str()));
    assert!(credentials.expiry().is_some(), "the SDK refreshes it before it expires");

    // Off, there are no team credentials at all.
    aws.team_sessions = false;
    assert!(obs_service::credentials::team_credentials(&aws, &region).await.is_none());
}
