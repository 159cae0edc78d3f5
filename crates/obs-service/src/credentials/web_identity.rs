//! Web identity (`AWS_WEB_IDENTITY_TOKEN_FILE` with `AWS_ROLE_ARN`, as EKS IRSA sets them): the token file read on
//! every refresh (the kubelet rotates it) and exchanged with `AssumeRoleWithWebIdentity` — through obs's own STS
//! client, so `aws.sts_endpoint_url` (a private STS endpoint) applies here as it does to `AssumeRole`. The SDK's
//! identity cache keeps the credentials until shortly before they expire.

use std::path::PathBuf;
use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, future};

/// A role session assumed with a web-identity token.
#[derive(Debug)]
pub(crate) struct WebIdentitySession {
    pub(crate) sts: aws_sdk_sts::Client,
    pub(crate) token_file: PathBuf,
    pub(crate) role: String,
    pub(crate) session_name: String,
    pub(crate) duration_seconds: i32,
}

impl WebIdentitySession {
    async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        let token = tokio::fs::read_to_string(&self.token_file).await.map_err(|e| {
            CredentialsError::invalid_configuration(format!(
                "the web identity token file {} could not be read: {e}",
                self.token_file.display()
            ))
        })?;
        let answer = self
            .sts
            .assume_role_with_web_identity()
            .role_arn(&self.role)
            .role_session_name(&self.session_name)
            .duration_seconds(self.duration_seconds)
            .web_identity_token(token.trim())
            .send()
            .await
            .map_err(CredentialsError::provider_error)?;
        let Some(issued) = answer.credentials else {
            return Err(CredentialsError::unhandled("AssumeRoleWithWebIdentity answered without credentials"));
        };
        let expiry = SystemTime::try_from(issued.expiration).ok();
        Ok(Credentials::new(
            issued.access_key_id,
            issued.secret_access_key,
            Some(issued.session_token),
            expiry,
            "obs-web-identity",
        ))
    }
}

impl ProvideCredentials for WebIdentitySession {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(self.credentials())
    }
}
