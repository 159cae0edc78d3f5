//! AWS credentials with the one precedence of docs/reference/configuration.md §1:
//!
//! 1. static keys (`AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` [+ `AWS_SESSION_TOKEN`]);
//! 2. a profile (`AWS_PROFILE`);
//! 3. `AWS_ROLE_ARN` assumed from the SDK's default chain;
//! 4. web identity (`AWS_WEB_IDENTITY_TOKEN_FILE` with `AWS_ROLE_ARN`, as EKS IRSA sets them);
//! 5. the SDK's default chain.
//!
//! When `AWS_ROLE_ARN` is set with static keys or a profile, the role is assumed **on top of** them (external id,
//! session name, duration). With a web-identity token file the role is the one assumed with the token — never
//! assumed a second time from itself, through obs's own STS client (`web_identity.rs`, so `sts_endpoint_url`
//! applies); the others are aws-config's providers. All are resolved lazily on the first Bedrock call, cached and
//! refreshed by the SDK; nothing is sent at start-up. Team sessions (`team.rs`) are the provider's role assumed
//! once per team, on the same base credentials.

mod team;
mod web_identity;

use std::time::Duration;

use aws_config::meta::region::ProvideRegion;
use aws_config::provider_config::ProviderConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_async::rt::sleep::TokioSleep;
use aws_smithy_async::time::SystemTimeSource;
use aws_types::region::Region;
use aws_types::sdk_config::SdkConfig;
use secrecy::ExposeSecret;

use crate::config::{AwsSection, BedrockProvider};

pub use team::{is_tag_key, session_name, tag_value, team_credentials};

/// Which rule of the precedence supplied the credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialSource {
    /// Static keys.
    Static,
    /// Static keys with `AWS_ROLE_ARN` assumed on top.
    StaticWithRole,
    /// A named profile.
    Profile,
    /// A profile with `AWS_ROLE_ARN` assumed on top.
    ProfileWithRole,
    /// `AWS_ROLE_ARN` assumed from the default chain.
    RoleFromDefaultChain,
    /// A web-identity token.
    WebIdentity,
    /// The SDK's default chain.
    DefaultChain,
}

impl CredentialSource {
    /// A short label for logs and `config test-aws`.
    pub fn label(self) -> &'static str {
        match self {
            CredentialSource::Static => "static keys",
            CredentialSource::StaticWithRole => "static keys + assumed role",
            CredentialSource::Profile => "profile",
            CredentialSource::ProfileWithRole => "profile + assumed role",
            CredentialSource::RoleFromDefaultChain => "assumed role (default chain)",
            CredentialSource::WebIdentity => "web identity",
            CredentialSource::DefaultChain => "default chain",
        }
    }
}

/// A Bedrock provider's region: its `region` (for the built-in provider also `AWS_REGION`, `AWS_DEFAULT_REGION`),
/// else its profile's. Never the instance metadata service.
pub async fn region(provider: &BedrockProvider) -> Option<Region> {
    if let Some(region) = &provider.bedrock.region {
        return Some(Region::new(region.clone()));
    }
    let mut profile = aws_config::profile::ProfileFileRegionProvider::builder();
    if let Some(name) = &provider.aws.profile {
        profile = profile.profile_name(name);
    }
    profile.build().region().await
}

/// A base `SdkConfig` with the clock and sleep obs uses (the SDK's STS provider needs both explicitly).
fn base_sdk_config(region: &Region) -> aws_types::sdk_config::Builder {
    SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(region.clone())
        .time_source(SystemTimeSource::new())
        .sleep_impl(TokioSleep::new())
}

/// The credentials provider, by the precedence above.
pub async fn provider(aws: &AwsSection, region: &Region) -> (SharedCredentialsProvider, CredentialSource) {
    let (plain, with_role) = if aws.access_key_id.is_some() && aws.secret_access_key.is_some() {
        (CredentialSource::Static, CredentialSource::StaticWithRole)
    } else if aws.profile.is_some() {
        (CredentialSource::Profile, CredentialSource::ProfileWithRole)
    } else if let (true, Some(role)) = (uses_web_identity(aws), &aws.role_arn) {
        let session = web_identity_session(aws, role, region, aws.role_session_name.clone());
        return (SharedCredentialsProvider::new(session), CredentialSource::WebIdentity);
    } else {
        (CredentialSource::DefaultChain, CredentialSource::RoleFromDefaultChain)
    };
    let base = base_provider(aws, region).await;
    match &aws.role_arn {
        Some(role) => (SharedCredentialsProvider::new(assume_role(aws, role, region, base).await), with_role),
        None => (base, plain),
    }
}

async fn assume_role(
    aws: &AwsSection,
    role: &str,
    region: &Region,
    base: SharedCredentialsProvider,
) -> AssumeRoleProvider {
    assume_role_as(aws, role, region, base, &aws.role_session_name, None).await
}

/// `AssumeRole` of `role` on top of `base`, as session `session_name`, with a session tag when given.
pub(crate) async fn assume_role_as(
    aws: &AwsSection,
    role: &str,
    region: &Region,
    base: SharedCredentialsProvider,
    session_name: &str,
    tag: Option<(String, String)>,
) -> AssumeRoleProvider {
    let mut sts = base_sdk_config(region);
    if let Some(endpoint) = &aws.sts_endpoint_url {
        sts = sts.endpoint_url(endpoint);
    }
    let mut builder = AssumeRoleProvider::builder(role)
        .session_name(session_name)
        .session_length(Duration::from_secs(u64::from(aws.role_session_duration)))
        .configure(&sts.build());
    if let Some(external_id) = &aws.external_id {
        builder = builder.external_id(external_id);
    }
    if let Some(tag) = tag {
        builder = builder.tags([tag]);
    }
    builder.build_from_provider(base).await
}

/// The `SdkConfig` a Bedrock provider's adapter is built from: region, credentials provider, endpoint override.
pub async fn bedrock_sdk_config(bedrock: &BedrockProvider, region: Region) -> (SdkConfig, CredentialSource) {
    let (credentials, source) = provider(&bedrock.aws, &region).await;
    let mut builder = base_sdk_config(&region).credentials_provider(credentials);
    if let Some(endpoint) = &bedrock.bedrock.endpoint_url {
        builder = builder.endpoint_url(endpoint);
    }
    (builder.build(), source)
}

/// The credentials the provider's role is assumed on top of: static keys, else the profile, else the default chain
/// (rules 1, 2 and 3 of the precedence).
pub(crate) async fn base_provider(aws: &AwsSection, region: &Region) -> SharedCredentialsProvider {
    if let (Some(id), Some(secret)) = (&aws.access_key_id, &aws.secret_access_key) {
        let token = aws.session_token.as_ref().map(|t| t.expose_secret().to_owned());
        return SharedCredentialsProvider::new(Credentials::new(id, secret.expose_secret(), token, None, "obs-static"));
    }
    let provider_config = ProviderConfig::default().with_region(Some(region.clone()));
    if let Some(profile) = &aws.profile {
        return SharedCredentialsProvider::new(
            aws_config::profile::ProfileFileCredentialsProvider::builder()
                .configure(&provider_config)
                .profile_name(profile)
                .build(),
        );
    }
    SharedCredentialsProvider::new(
        aws_config::default_provider::credentials::DefaultCredentialsChain::builder()
            .configure(provider_config)
            .build()
            .await,
    )
}

/// Whether the web-identity rule (4) supplies the base credentials: a token file and no static keys or profile.
fn uses_web_identity(aws: &AwsSection) -> bool {
    !(aws.access_key_id.is_some() && aws.secret_access_key.is_some())
        && aws.profile.is_none()
        && aws.web_identity_token_file.is_some()
}

/// A session of `role` assumed with the web-identity token, through an STS client of obs's (unsigned, as
/// `AssumeRoleWithWebIdentity` is; at `aws.sts_endpoint_url` when set).
fn web_identity_session(
    aws: &AwsSection,
    role: &str,
    region: &Region,
    session_name: String,
) -> web_identity::WebIdentitySession {
    let mut sts = base_sdk_config(region);
    if let Some(endpoint) = &aws.sts_endpoint_url {
        sts = sts.endpoint_url(endpoint);
    }
    web_identity::WebIdentitySession {
        sts: aws_sdk_sts::Client::new(&sts.build()),
        token_file: aws.web_identity_token_file.clone().unwrap_or_default().into(),
        role: role.to_owned(),
        session_name,
        duration_seconds: i32::try_from(aws.role_session_duration).unwrap_or(3600),
    }
}
