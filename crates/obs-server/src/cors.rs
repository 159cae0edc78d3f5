//! CORS (docs/reference/routes.md §12): off unless `server.cors_origins` lists origins; `*` allows any origin, never
//! with credentials.

use http::{HeaderValue, Response, StatusCode, header};

use crate::body::{Body, full};

pub(crate) struct Cors {
    origins: Vec<String>,
}

impl Cors {
    pub(crate) fn new(origins: Vec<String>) -> Self {
        Cors { origins }
    }

    pub(crate) fn enabled(&self) -> bool {
        !self.origins.is_empty()
    }

    fn allowed(&self, origin: &HeaderValue) -> Option<HeaderValue> {
        if self.origins.iter().any(|o| o == "*") {
            return Some(HeaderValue::from_static("*"));
        }
        let origin_text = origin.to_str().ok()?;
        self.origins.iter().any(|o| o == origin_text).then(|| origin.clone())
    }

    /// Adds `access-control-allow-origin` (and `vary`) to an answer for an allowed origin.
    pub(crate) fn decorate(&self, origin: Option<&HeaderValue>, response: &mut Response<Body>) {
        if !self.enabled() {
            return;
        }
        if let Some(allowed) = origin.and_then(|o| self.allowed(o)) {
            let headers = response.headers_mut();
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, allowed);
            headers.insert(header::VARY, HeaderValue::from_static("origin"));
            headers.insert(
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
                HeaderValue::from_static("x-request-id, retry-after, x-obs-target, x-obs-retries"),
            );
        }
    }

    /// The answer to an `OPTIONS` preflight.
    pub(crate) fn preflight(&self, origin: Option<&HeaderValue>) -> Response<Body> {
        let mut response = Response::new(full(""));
        *response.status_mut() = StatusCode::NO_CONTENT;
        if let Some(allowed) = origin.and_then(|o| self.allowed(o)) {
            let headers = response.headers_mut();
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, allowed);
            headers.insert(header::VARY, HeaderValue::from_static("origin"));
            headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST, OPTIONS"));
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                // The Anthropic SDKs send their version and beta headers on every request.
                HeaderValue::from_static(
                    "authorization, content-type, x-api-key, x-request-id, anthropic-version, anthropic-beta",
                ),
            );
            headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
        }
        response
    }
}
