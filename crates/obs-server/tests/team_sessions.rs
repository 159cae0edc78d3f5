//! Team sessions (docs/reference/keys.md §9): with `aws.team_sessions`, a managed key's team reaches AWS in the
//! session of the role obs assumes — one `AssumeRole` per team, with the team in the session name and a session
//! tag, and every Bedrock call of that team's keys signed with its credentials, on every route; keys without a
//! team (and static keys) use the provider's own session. Against obs-mock's STS and Bedrock, through the real AWS
//! SDK.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::status_json;
use obs_mock::{MockConfig, MockHandle, RecordedRequest, session_token};
use obs_server::{RunningServer, ServeOptions};
use obs_service::config::{AwsSection, Config};
use pretty_assertions::assert_eq;
use secrecy::SecretString;
use serde_json::{Value, json};

const ADMIN: &str = "team-admin-key";
const STATIC: &str = "team-static-key";
const ROLE: &str = "arn:aws:iam::123456789012:role/obs-bedrock";

struct Gateway {
    _server: RunningServer,
    base: String,
    client: reqwest::Client,
    mock: MockHandle,
    _dir: tempfile::TempDir,
}

async fn start(team_sessions: bool) -> Gateway {
    start_with(team_sessions, "AKIDTEAMBASE").await
}

async fn start_with(team_sessions: bool, base_key: &str) -> Gateway {
    let mock = obs_mock::spawn(MockConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.server.port = 0;
    config.server.api_keys = vec![SecretString::from(STATIC.to_owned())];
    config.server.admin_keys = vec![SecretString::from(ADMIN.to_owned())];
    config.keys.store_url = Some(format!("sqlite://{}", dir.path().join("obs.db").display()));
    config.responses.store_url = Some("sqlite::memory:".to_owned());
    config.retries.max_retries = 0;
    config.openai.base_url = mock.openai_base_url();
    config.bedrock.region = Some("us-east-1".to_owned());
    config.bedrock.endpoint_url = Some(mock.base_url());
    config.aws = AwsSection {
        access_key_id: Some(base_key.to_owned()),
        secret_access_key: Some(SecretString::from("base-secret".to_owned())),
        role_arn: Some(ROLE.to_owned()),
        sts_endpoint_url: Some(mock.base_url()),
        team_sessions,
        ..AwsSection::default()
    };
    let server = obs_server::start(ServeOptions { config, no_auth: false, demo: false }).await.unwrap();
    let base = format!("http://{}", server.local_addr());
    Gateway { _server: server, base, client: reqwest::Client::new(), mock, _dir: dir }
}

impl Gateway {
    async fn key(&self, team: Option<&str>) -> String {
        let response = self
            .client
            .post(format!("{}/obs/keys", self.base))
            .bearer_auth(ADMIN)
            .json(&json!({"name": "k", "team": team}))
            .send()
            .await
            .unwrap();
        let (status, body) = status_json(response).await;
        assert_eq!(status, 200, "{body}");
        body["key"].as_str().unwrap().to_owned()
    }

    async fn post(&self, secret: &str, path: &str, body: Value) -> (u16, String) {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(secret)
            .header("anthropic-version", "2023-06-01")
            .json(&body)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    /// One request on each route that reaches Bedrock: chat completions to Claude (InvokeModel) and, streamed, to
    /// Nova (ConverseStream); the Messages API; the Bedrock runtime route (Converse).
    async fn every_route(&self, secret: &str) {
        let user = json!([{"role": "user", "content": "hello"}]);
        let calls = [
            ("/v1/chat/completions", json!({"model": "anthropic.claude-3-5-sonnet-20240620-v1:0", "messages": user})),
            ("/v1/chat/completions", json!({"model": "amazon.nova-lite-v1:0", "messages": user, "stream": true})),
            (
                "/v1/messages",
                json!({"model": "anthropic.claude-3-5-haiku-20241022-v1:0", "max_tokens": 50, "messages": user}),
            ),
            (
                "/model/amazon.nova-lite-v1%3A0/converse",
                json!({"messages": [{"role": "user", "content": [{"text": "hello"}]}]}),
            ),
        ];
        for (path, body) in calls {
            let (status, text) = self.post(secret, path, body).await;
            assert_eq!(status, 200, "{path}: {text}");
        }
    }

    /// The requests the mock received since `from`: STS calls and Bedrock calls apart.
    fn since(&self, from: u64) -> (Vec<RecordedRequest>, Vec<RecordedRequest>) {
        self.mock.recorder().requests().into_iter().filter(|r| r.seq >= from).partition(|r| r.path == "/")
    }
}

fn form(request: &RecordedRequest) -> String {
    String::from_utf8(request.body.to_vec()).unwrap()
}

fn tokens(bedrock: &[RecordedRequest]) -> Vec<Option<String>> {
    bedrock.iter().map(|r| r.header("x-amz-security-token").map(str::to_owned)).collect()
}

#[tokio::test]
async fn each_team_calls_bedrock_in_a_session_of_its_own() {
    let g = start(true).await;
    let payments = g.key(Some("payments")).await;
    let search = g.key(Some("search & ranking")).await;
    let untagged = g.key(None).await;

    // The first team's requests: one AssumeRole, as that team, and every Bedrock call signed with its session.
    let from = g.mock.recorder().count();
    g.every_route(&payments).await;
    g.every_route(&payments).await;
    let (sts, bedrock) = g.since(from);
    assert_eq!(sts.len(), 1, "one AssumeRole for the team, then its credentials are cached");
    let body = form(&sts[0]);
    for part in [
        "Action=AssumeRole",
        &format!("RoleArn={}", ROLE.replace(':', "%3A").replace('/', "%2F")),
        "RoleSessionName=obs-session-payments",
        "Tags.member.1.Key=team",
        "Tags.member.1.Value=payments",
    ] {
        assert!(body.split('&').any(|p| p == part), "{part} not in {body}");
    }
    assert!(sts[0].header("authorization").unwrap().contains("Credential=AKIDTEAMBASE/"), "assumed from the base keys");
    assert_eq!(bedrock.len(), 8);
    assert_eq!(tokens(&bedrock), vec![Some(session_token("obs-session-payments")); 8]);

    // A team name STS would refuse is made into one it takes.
    let from = g.mock.recorder().count();
    g.every_route(&search).await;
    let (sts, bedrock) = g.since(from);
    assert_eq!(sts.len(), 1);
    let body = form(&sts[0]);
    assert!(body.contains("RoleSessionName=obs-session-search---ranking"), "{body}");
    assert!(body.contains("Tags.member.1.Value=search%20_%20ranking"), "{body}");
    assert_eq!(tokens(&bedrock), vec![Some(session_token("obs-session-search---ranking")); 4]);

    // A key without a team, and a static key, use the provider's own session: no tags.
    let from = g.mock.recorder().count();
    g.every_route(&untagged).await;
    g.every_route(STATIC).await;
    let (sts, bedrock) = g.since(from);
    assert_eq!(sts.len(), 1, "the provider's own session, assumed once");
    let body = form(&sts[0]);
    assert!(body.contains("RoleSessionName=obs-session&") || body.ends_with("RoleSessionName=obs-session"), "{body}");
    assert!(!body.contains("Tags.member"), "{body}");
    assert_eq!(tokens(&bedrock), vec![Some(session_token("obs-session")); 8]);

    // The first team's session is still cached.
    let from = g.mock.recorder().count();
    g.every_route(&payments).await;
    let (sts, bedrock) = g.since(from);
    assert!(sts.is_empty());
    assert_eq!(tokens(&bedrock), vec![Some(session_token("obs-session-payments")); 4]);
}

#[tokio::test]
async fn without_team_sessions_every_key_uses_the_providers_session() {
    let g = start(false).await;
    let payments = g.key(Some("payments")).await;
    let from = g.mock.recorder().count();
    g.every_route(&payments).await;
    let (sts, bedrock) = g.since(from);
    assert_eq!(sts.len(), 1);
    assert!(!form(&sts[0]).contains("Tags.member"));
    assert_eq!(tokens(&bedrock), vec![Some(session_token("obs-session")); 4]);
}

#[tokio::test]
async fn a_team_whose_session_sts_refuses_gets_an_error_and_the_next_request_asks_again() {
    let g = start_with(true, obs_mock::REJECTED_ACCESS_KEY_ID).await;
    let payments = g.key(Some("payments")).await;
    let body = json!({"model": "amazon.nova-lite-v1:0", "messages": [{"role": "user", "content": "hello"}]});
    let from = g.mock.recorder().count();
    let refused = (
        502,
        json!({"error": {"message": "No usable AWS credentials: the gateway could not sign the Bedrock request.",
            "type": "api_error", "param": null, "code": "upstream_authentication_error"}}),
    );
    for _ in 0..2 {
        let (status, text) = g.post(&payments, "/v1/chat/completions", body.clone()).await;
        assert_eq!((status, serde_json::from_str::<Value>(&text).unwrap()), refused.clone());
    }
    let (sts, bedrock) = g.since(from);
    assert_eq!((sts.len(), bedrock.len()), (2, 0), "no Bedrock call without credentials; STS asked each time");
}
