//! Fetching http(s) image URLs for Bedrock (docs/reference/formats.md §7.3): asynchronous, at most 20 MiB, `image/*`
//! only, a 10 s limit, and private or loopback addresses refused unless `allow_private_networks`. The address checked
//! is the address connected to (the client is pinned to it), so DNS rebinding cannot slip past the check.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use base64::Engine as _;
use futures::StreamExt;
use obs_convert::bedrock::image::{FetchedImages, InlineImage};
use obs_models::error::ErrorCode;

use crate::Error;

/// Limits on image fetching.
#[derive(Debug, Clone)]
pub struct ImageFetchSettings {
    /// Allow private, loopback and link-local addresses (off by default: it would let clients probe the
    /// gateway's network).
    pub allow_private_networks: bool,
    /// Largest image accepted.
    pub max_bytes: usize,
    /// Whole-fetch time limit.
    pub timeout: Duration,
}

impl Default for ImageFetchSettings {
    fn default() -> Self {
        ImageFetchSettings {
            allow_private_networks: false,
            max_bytes: 20 * 1024 * 1024,
            timeout: Duration::from_secs(10),
        }
    }
}

/// The client reads which image (without its query, which may hold a signature) and one plain reason; what the
/// resolver or the HTTP stack said goes to the log only.
fn refused(url: &str, why: &str) -> Error {
    let shown = url.split(['?', '#']).next().unwrap_or_default();
    let shown: String = if shown.chars().count() > 120 {
        shown.chars().take(120).chain("…".chars()).collect()
    } else {
        shown.to_owned()
    };
    Error::new(ErrorCode::InvalidValue, format!("Could not use the image at {shown}: {why}."))
}

fn refused_because(url: &str, why: &str, detail: impl std::fmt::Display) -> Error {
    refused(url, why).with_detail(detail.to_string())
}

/// Fetches every URL (concurrently).
pub(crate) async fn fetch_all(urls: Vec<String>, settings: &ImageFetchSettings) -> Result<FetchedImages, Error> {
    let fetched = futures::future::join_all(urls.iter().map(|url| fetch(url, settings))).await;
    urls.into_iter().zip(fetched).map(|(url, image)| image.map(|image| (url, image))).collect()
}

async fn fetch(url: &str, settings: &ImageFetchSettings) -> Result<InlineImage, Error> {
    tokio::time::timeout(settings.timeout, fetch_inner(url, settings))
        .await
        .map_err(|_| refused(url, &format!("no answer within {} s", settings.timeout.as_secs())))?
}

async fn fetch_inner(url: &str, settings: &ImageFetchSettings) -> Result<InlineImage, Error> {
    let parsed = reqwest::Url::parse(url).map_err(|e| refused_because(url, "it is not a valid URL", e))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(refused(url, "only http and https URLs are fetched"));
    }
    let host = parsed.host_str().ok_or_else(|| refused(url, "the URL has no host"))?.to_owned();
    let port = parsed.port_or_known_default().unwrap_or(443);
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host.trim_matches(['[', ']']), port))
        .await
        .map_err(|e| refused_because(url, "the host does not resolve", e))?
        .collect();
    let address = addresses.first().copied().ok_or_else(|| refused(url, "the host does not resolve"))?;
    if !settings.allow_private_networks && addresses.iter().any(|a| is_private(a.ip())) {
        return Err(refused(url, "private, loopback and link-local addresses are not fetched"));
    }
    let client = reqwest::Client::builder()
        .resolve(&host, address)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| refused_because(url, "the image could not be fetched", e))?;
    let response = client.get(parsed).send().await.map_err(|e| refused_because(url, fetch_failure(&e), e))?;
    if !response.status().is_success() {
        return Err(refused(url, &format!("the server answered HTTP {}", response.status().as_u16())));
    }
    let media_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if !media_type.starts_with("image/") {
        return Err(refused(url, &format!("it is not an image (content type '{media_type}')")));
    }
    if response.content_length().is_some_and(|len| len > settings.max_bytes as u64) {
        return Err(refused(url, &format!("it is larger than {} bytes", settings.max_bytes)));
    }
    let mut bytes = Vec::new();
    let mut body = response.bytes_stream();
    while let Some(chunk) = body.next().await {
        let chunk =
            chunk.map_err(|e| refused_because(url, "the connection closed before the image was complete", e))?;
        if bytes.len() + chunk.len() > settings.max_bytes {
            return Err(refused(url, &format!("it is larger than {} bytes", settings.max_bytes)));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(InlineImage { media_type, base64: base64::engine::general_purpose::STANDARD.encode(bytes) })
}

/// What went wrong sending the request, in words a client can act on.
fn fetch_failure(error: &reqwest::Error) -> &'static str {
    if error.is_timeout() {
        "no answer in time"
    } else if error.is_connect() {
        "the image's server could not be reached"
    } else {
        "the image could not be fetched"
    }
}

/// Loopback, private, link-local, unique-local, unspecified and other non-global addresses.
pub(crate) fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.octets()[0] == 0
                || (v4.octets()[0] == 100 && (64..128).contains(&v4.octets()[1]))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            v6.is_loopback()
                || v6.is_unspecified()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || (v6.segments()[0] & 0xffc0) == 0xfe80
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_ranges() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "8.8.8.8", "2606:4700::1111"] {
            assert!(!is_private(ip.parse().unwrap()), "{ip}");
        }
    }
}
