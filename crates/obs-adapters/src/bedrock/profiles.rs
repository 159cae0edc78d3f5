//! Application inference profiles (docs/reference/formats.md §6): an `application-inference-profile` ARN hides its
//! model, so obs asks the control plane once (`GetInferenceProfile`) which foundation model it routes to, and looks
//! the family and capabilities up by that model — Claude goes through InvokeModel (with the ARN as the model id),
//! the structured-output and reasoning tables apply. Concurrent first requests for one profile may each ask (no
//! request waits on another's look-up). Answers are kept per provider for an hour, at most
//! [`CAPACITY`] of them; a failed look-up is kept for half a minute (so a control plane that is down is not asked on
//! every request, yet recovers soon) and the request goes through Converse, which serves every chat family, with a
//! warning logged. Without the `control-plane` feature nothing is looked up: Converse, as before.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::Shared;

/// How long a resolved profile is trusted: a profile's model can be changed only by recreating it.
const RESOLVED_FOR: Duration = Duration::from_secs(3600);
/// How long a failed look-up stands before the control plane is asked again.
const FAILED_FOR: Duration = Duration::from_secs(30);
/// Profiles kept per provider; past it, expired entries go, then the oldest.
pub const CAPACITY: usize = 1024;

/// The underlying models of the application inference profiles one provider was asked for.
#[derive(Debug, Default)]
pub(crate) struct Profiles {
    entries: Mutex<HashMap<String, Entry>>,
    #[cfg(feature = "control-plane")]
    client: std::sync::OnceLock<aws_sdk_bedrock::Client>,
}

#[derive(Debug, Clone)]
struct Entry {
    model: Option<String>,
    until: Instant,
    stored: Instant,
}

/// Whether a model id is an application inference profile's ARN.
pub fn is_application_profile(model: &str) -> bool {
    model.starts_with("arn:aws") && model.contains(":application-inference-profile/")
}

impl Profiles {
    /// The foundation model id an application inference profile routes to; `None` for every other id, and when it
    /// could not be found out.
    pub(crate) async fn underlying(&self, shared: &Shared, model: &str) -> Option<String> {
        if !is_application_profile(model) {
            return None;
        }
        let now = Instant::now();
        if let Some(entry) = self.cached(model, now) {
            return entry;
        }
        let found = self.look_up(shared, model).await;
        let until = now + if found.is_some() { RESOLVED_FOR } else { FAILED_FOR };
        self.store(model, Entry { model: found.clone(), until, stored: now });
        found
    }

    fn cached(&self, model: &str, now: Instant) -> Option<Option<String>> {
        let entries = self.entries.lock().ok()?;
        entries.get(model).filter(|e| e.until > now).map(|e| e.model.clone())
    }

    fn store(&self, model: &str, entry: Entry) {
        let Ok(mut entries) = self.entries.lock() else { return };
        if entries.len() >= CAPACITY && !entries.contains_key(model) {
            let now = entry.stored;
            entries.retain(|_, e| e.until > now);
            if entries.len() >= CAPACITY
                && let Some(oldest) = entries.iter().min_by_key(|(_, e)| e.stored).map(|(k, _)| k.clone())
            {
                entries.remove(&oldest);
            }
        }
        entries.insert(model.to_owned(), entry);
    }

    #[cfg(feature = "control-plane")]
    async fn look_up(&self, shared: &Shared, arn: &str) -> Option<String> {
        use aws_smithy_types::error::display::DisplayErrorContext;

        let client = self.client.get_or_init(|| super::listing::control_client(shared));
        let call = client.get_inference_profile().inference_profile_identifier(arn).send();
        let output = match shared.first_byte(Box::pin(call)).await {
            Ok(Ok(output)) => output,
            Ok(Err(error)) => {
                tracing::warn!(profile = arn, error = %DisplayErrorContext(&error),
                    "could not resolve the application inference profile; sent through Converse");
                return None;
            }
            Err(error) => {
                tracing::warn!(profile = arn, error = %error.message,
                    "could not resolve the application inference profile; sent through Converse");
                return None;
            }
        };
        let model = output
            .models()
            .iter()
            .filter_map(|m| m.model_arn())
            .find_map(|model_arn| model_arn.split_once(":foundation-model/").map(|(_, id)| id.to_owned()));
        if model.is_none() {
            tracing::warn!(
                profile = arn,
                "the application inference profile names no foundation model; sent through Converse"
            );
        }
        model
    }

    #[cfg(not(feature = "control-plane"))]
    async fn look_up(&self, _shared: &Shared, arn: &str) -> Option<String> {
        tracing::debug!(
            profile = arn,
            "application inference profiles are not resolved without the control-plane feature"
        );
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_is_bounded_and_forgets_the_oldest() {
        let profiles = Profiles::default();
        let start = Instant::now();
        for i in 0..=CAPACITY {
            let stored = start + Duration::from_millis(i as u64);
            profiles.store(&format!("p{i}"), Entry { model: None, until: stored + RESOLVED_FOR, stored });
        }
        let entries = profiles.entries.lock().unwrap();
        assert_eq!(entries.len(), CAPACITY);
        assert!(!entries.contains_key("p0") && entries.contains_key(&format!("p{CAPACITY}")));
    }

    #[test]
    fn only_application_profile_arns_are_looked_up() {
        assert!(is_application_profile("arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc"));
        assert!(!is_application_profile("arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-v2"));
        assert!(!is_application_profile("us.anthropic.claude-3-5-sonnet-20241022-v2:0"));
    }
}
