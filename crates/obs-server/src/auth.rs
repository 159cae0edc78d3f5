//! Gateway keys (contract §1.1): `Authorization: Bearer <key>` or `x-api-key: <key>`, several keys, compared in
//! constant time over SHA-256 digests (so neither content nor length leaks), checked before the body is read.

use http::HeaderMap;
use obs_models::error::ErrorCode;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use obs_models::Error;

/// The configured keys, as digests; `None` means auth is off (`--no-auth`, or demo mode without a key).
#[derive(Clone)]
pub(crate) struct Auth {
    digests: Option<Vec<[u8; 32]>>,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth").field("keys", &self.digests.as_ref().map(Vec::len)).finish()
    }
}

fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

impl Auth {
    pub(crate) fn keys(keys: &[SecretString]) -> Self {
        Auth { digests: Some(keys.iter().map(|k| digest(k.expose_secret().as_bytes())).collect()) }
    }

    pub(crate) fn disabled() -> Self {
        Auth { digests: None }
    }

    pub(crate) fn check(&self, headers: &HeaderMap) -> Result<(), Error> {
        let Some(digests) = &self.digests else { return Ok(()) };
        let Some(presented) = presented_key(headers) else {
            return Err(Error::new(ErrorCode::InvalidApiKey, "Not authenticated"));
        };
        let presented = digest(presented.as_bytes());
        // Compare against every key without stopping early.
        let matched = digests.iter().fold(subtle::Choice::from(0), |acc, key| acc | key.ct_eq(&presented));
        if bool::from(matched) { Ok(()) } else { Err(Error::new(ErrorCode::InvalidApiKey, "Invalid API key")) }
    }
}

/// The Bearer token, else `x-api-key`; empty values count as absent.
fn presented_key(headers: &HeaderMap) -> Option<String> {
    let bearer = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' ').filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer")))
        .map(|(_, token)| token.trim().to_owned());
    bearer
        .or_else(|| headers.get("x-api-key").and_then(|v| v.to_str().ok()).map(|k| k.trim().to_owned()))
        .filter(|k| !k.is_empty())
}
