//! AWS credential precedence (orig C50, C51): static beats profile; an assumed role carries RoleArn, ExternalId,
//! RoleSessionName and DurationSeconds, and the Bedrock call is signed with the role's temporary credentials.
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
    assert_eq!(bedrock.header("x-amz-security-token"), Some("mock-session-token"));
    // Cached: a second call does not assume the role again.
    gateway.chat_completion(request("anthropic.claude-v2", false)).await.unwrap();
    assert_eq!(mock.recorder().requests().iter().filter(|r| r.path == "/").count(), 1);
}
