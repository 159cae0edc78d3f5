//! Gateway keys (docs/reference/routes.md §2): `Authorization: Bearer <key>` or `x-api-key: <key>`, several keys,
//! compared in constant time over SHA-256 digests (so neither content nor length leaks), checked before the body is
//! read. With managed keys on, also the keys in the key ring (docs/reference/keys.md) and the admin keys.

use std::sync::Arc;

use http::HeaderMap;
use obs_models::error::ErrorCode;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use obs_models::Error;

use crate::keyring::{KeyRing, ManagedKey};

/// The configured keys, as digests; `None` means auth is off (`--no-auth`, or demo mode without a key). With
/// managed keys on (`server.admin_keys`), the key ring is consulted after the static keys, and admin keys are
/// recognised (they manage keys; they do not call models).
#[derive(Clone)]
pub(crate) struct Auth {
    digests: Option<Vec<[u8; 32]>>,
    admin: Vec<[u8; 32]>,
    ring: Option<Arc<KeyRing>>,
}

/// Who a checked request is.
#[derive(Debug, Clone, Default)]
pub(crate) enum Caller {
    /// Auth is off.
    #[default]
    Anonymous,
    /// One of `server.api_keys`.
    Static,
    /// A managed key.
    Managed(Arc<ManagedKey>),
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("keys", &self.digests.as_ref().map(Vec::len))
            .field("admin_keys", &self.admin.len())
            .field("managed", &self.ring.is_some())
            .finish()
    }
}

pub(crate) fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

fn matches_any(digests: &[[u8; 32]], presented: &[u8; 32]) -> bool {
    // Compare against every key without stopping early.
    bool::from(digests.iter().fold(subtle::Choice::from(0), |acc, key| acc | key.ct_eq(presented)))
}

impl Auth {
    pub(crate) fn keys(keys: &[SecretString]) -> Self {
        Auth {
            digests: Some(keys.iter().map(|k| digest(k.expose_secret().as_bytes())).collect()),
            admin: Vec::new(),
            ring: None,
        }
    }

    pub(crate) fn disabled() -> Self {
        Auth { digests: None, admin: Vec::new(), ring: None }
    }

    /// The same auth with managed keys: admin keys and the ring.
    pub(crate) fn with_managed(mut self, admin_keys: &[SecretString], ring: Arc<KeyRing>) -> Self {
        self.admin = admin_keys.iter().map(|k| digest(k.expose_secret().as_bytes())).collect();
        self.ring = Some(ring);
        self
    }

    /// The key ring, when managed keys are on.
    pub(crate) fn ring(&self) -> Option<&Arc<KeyRing>> {
        self.ring.as_ref()
    }

    /// Checks the request's key for a model route: a static key, else a managed key that is neither revoked nor
    /// expired. An admin key is refused with 403 (it manages keys, it does not call models).
    pub(crate) fn check(&self, headers: &HeaderMap) -> Result<Caller, Error> {
        let Some(digests) = &self.digests else { return Ok(Caller::Anonymous) };
        let Some(presented) = presented_key(headers) else {
            return Err(Error::new(ErrorCode::InvalidApiKey, "Not authenticated"));
        };
        let presented = digest(presented.as_bytes());
        if matches_any(digests, &presented) {
            return Ok(Caller::Static);
        }
        // A lookup by digest: the digest of a guess says nothing about a stored secret, so hashing it is the
        // constant-time part.
        if let Some(key) = self.ring.as_ref().and_then(|ring| ring.find(&presented)) {
            return match key.refusal(crate::periods::now()) {
                None => Ok(Caller::Managed(key)),
                Some(why) => Err(Error::new(ErrorCode::InvalidApiKey, why)),
            };
        }
        if matches_any(&self.admin, &presented) {
            return Err(Error::new(
                ErrorCode::PermissionDenied,
                "This is an admin key: it manages keys (/obs/keys) and cannot call models.",
            ));
        }
        Err(Error::new(ErrorCode::InvalidApiKey, "Invalid API key"))
    }

    /// Checks the request's key for an admin route: 401 without a key or with an unknown one, 403 with a gateway
    /// key that is not an admin key.
    pub(crate) fn check_admin(&self, headers: &HeaderMap) -> Result<(), Error> {
        let Some(presented) = presented_key(headers) else {
            return Err(Error::new(ErrorCode::InvalidApiKey, "Not authenticated: send an admin key."));
        };
        let presented = digest(presented.as_bytes());
        if matches_any(&self.admin, &presented) {
            return Ok(());
        }
        let is_gateway_key = self.digests.as_deref().is_some_and(|d| matches_any(d, &presented))
            || self.ring.as_ref().is_some_and(|ring| ring.find(&presented).is_some());
        if is_gateway_key {
            Err(Error::new(ErrorCode::PermissionDenied, "This key cannot manage keys: send an admin key."))
        } else {
            Err(Error::new(ErrorCode::InvalidApiKey, "Invalid API key"))
        }
    }
}

impl Auth {
    /// Who the (already checked) request is, for data kept per key (stored responses): a managed key's id (stable
    /// across rotation), else the first 16 bytes of the presented key's SHA-256, hex — never the key. `anonymous`
    /// when auth is off.
    pub(crate) fn key_id(&self, headers: &HeaderMap) -> String {
        match (&self.digests, presented_key(headers)) {
            (Some(_), Some(key)) => {
                let digest = digest(key.as_bytes());
                match self.ring.as_ref().and_then(|ring| ring.find(&digest)) {
                    Some(managed) => managed.row.id.clone(),
                    None => crate::hex::encode(&digest[..16]),
                }
            }
            _ => "anonymous".to_owned(),
        }
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
