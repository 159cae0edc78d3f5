//! SigV4 on the Bedrock ingress routes (docs/reference/bedrock-ingress.md §4): a request signed with one of the
//! configured `[[server.aws_clients]]` key pairs is verified by computing its signature again with AWS's own signer
//! (`aws-sigv4`) over the request as it arrived — the signed headers the client listed, the path as sent, the body's
//! hash — and comparing in constant time; its `x-amz-date` must be within five minutes of now. Any failure is 403
//! `AccessDeniedException` with AWS's wording.

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use http::request::Parts;
use obs_models::Error;
use obs_models::error::ErrorCode;
use obs_service::config::AwsClientConfig;
use secrecy::ExposeSecret;
use subtle::ConstantTimeEq;

/// How far a signature's time may be from obs's clock.
const SKEW: Duration = Duration::from_secs(5 * 60);

const ALGORITHM: &str = "AWS4-HMAC-SHA256 ";

/// Whether the request carries a SigV4 `Authorization` header.
pub(crate) fn is_signed(parts: &http::HeaderMap) -> bool {
    parts.get(http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with(ALGORITHM))
}

fn denied(message: &str) -> Error {
    Error::new(ErrorCode::InvalidApiKey, message)
}

fn mismatch() -> Error {
    denied(
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret \
         Access Key and signing method.",
    )
}

/// The parts of `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.
struct Authorization<'a> {
    access_key_id: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

fn parse(value: &str) -> Option<Authorization<'_>> {
    let rest = value.strip_prefix(ALGORITHM)?;
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let (name, value) = part.trim().split_once('=')?;
        match name {
            "Credential" => credential = Some(value),
            "SignedHeaders" => signed = Some(value),
            "Signature" => signature = Some(value),
            _ => return None,
        }
    }
    let mut scope = credential?.split('/');
    let (access_key_id, date, region, service) = (scope.next()?, scope.next()?, scope.next()?, scope.next()?);
    if scope.next() != Some("aws4_request") || scope.next().is_some() {
        return None;
    }
    let signed_headers: Vec<&str> = signed?.split(';').collect();
    Some(Authorization { access_key_id, date, region, service, signed_headers, signature: signature? })
}

/// `20261201T161500Z` → a time.
fn parse_time(value: &str) -> Option<SystemTime> {
    let b = value.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let rfc3339 = format!(
        "{}-{}-{}T{}:{}:{}Z",
        &value[0..4],
        &value[4..6],
        &value[6..8],
        &value[9..11],
        &value[11..13],
        &value[13..15]
    );
    humantime::parse_rfc3339(&rfc3339).ok()
}

/// Verifies a signed request against the configured key pairs; on success, the gateway key it stands for.
pub(crate) fn verify<'c>(
    clients: &'c [AwsClientConfig],
    parts: &Parts,
    body: &[u8],
    now: SystemTime,
) -> Result<&'c AwsClientConfig, Error> {
    let header = parts.headers.get(http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let auth = parse(header)
        .ok_or_else(|| denied("Authorization header requires Credential, SignedHeaders and Signature."))?;
    let client = clients
        .iter()
        .find(|client| client.access_key_id == auth.access_key_id)
        .ok_or_else(|| denied("The security token included in the request is invalid."))?;
    let amz_date = parts.headers.get("x-amz-date").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let time = parse_time(amz_date).ok_or_else(mismatch)?;
    if !amz_date.starts_with(auth.date) || !auth.signed_headers.contains(&"host") {
        return Err(mismatch());
    }
    let skew = now.duration_since(time).or_else(|e| Ok::<_, Error>(e.duration()))?;
    if skew > SKEW {
        return Err(denied(
            "Signature expired: the request's x-amz-date is more than 5 minutes from the server's time.",
        ));
    }
    // The headers the client signed, as they arrived (the signer adds host and x-amz-date itself).
    let mut headers = Vec::with_capacity(auth.signed_headers.len());
    for name in &auth.signed_headers {
        let mut values = parts.headers.get_all(*name).iter().peekable();
        if values.peek().is_none() && *name != "host" {
            return Err(mismatch());
        }
        for value in values {
            headers.push((*name, value.to_str().map_err(|_| mismatch())?));
        }
    }
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| parts.uri.authority().map(|a| a.as_str()))
        .ok_or_else(mismatch)?;
    let path_and_query = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let uri = format!("http://{host}{path_and_query}");
    let request =
        SignableRequest::new(parts.method.as_str(), Cow::Owned(uri), headers.into_iter(), SignableBody::Bytes(body))
            .map_err(|_| mismatch())?;

    let identity = Credentials::new(
        client.access_key_id.clone(),
        client.secret_access_key.expose_secret().to_owned(),
        None,
        None,
        "obs-aws-client",
    )
    .into();
    let mut settings = SigningSettings::default();
    settings.excluded_headers = Some(Vec::new());
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(auth.region)
        .name(auth.service)
        .time(time)
        .settings(settings)
        .build()
        .map_err(|_| mismatch())?
        .into();
    let expected = sign(request, &params).map_err(|_| mismatch())?;
    let expected = expected.signature().as_bytes();
    if bool::from(expected.ct_eq(auth.signature.as_bytes())) { Ok(client) } else { Err(mismatch()) }
}
