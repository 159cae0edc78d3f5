//! A [`Plan`]: where one request may be served, in the order it is tried — made once by the routing table, logged
//! from by the caller, then run by the gateway. Nothing downstream routes again.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use crate::providers::ProviderSlot;
use crate::routing::group::{Chosen, Member};

/// Why a plan was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteRule {
    /// A model group (`[models.<name>]`).
    Group,
    /// An alias (`[aliases]`).
    Alias,
    /// `<provider>/<model-id>`: the first segment named a provider.
    Explicit,
    /// A provider lists the id in its `models`.
    Listed,
    /// A Bedrock ARN or vendor id (with an optional geo prefix).
    Bedrock,
    /// An OpenAI model-name prefix.
    OpenAi,
    /// On the Messages route, one of Anthropic's model names (`claude-sonnet-4-5`), mapped by the built-in table
    /// to a Bedrock id on the `bedrock` provider.
    AnthropicName,
    /// Nothing matched: the configured default provider.
    Default,
}

impl RouteRule {
    /// A short name for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            RouteRule::Group => "group",
            RouteRule::Alias => "alias",
            RouteRule::Explicit => "explicit",
            RouteRule::Listed => "listed",
            RouteRule::Bedrock => "bedrock_id",
            RouteRule::OpenAi => "openai_prefix",
            RouteRule::AnthropicName => "anthropic_name",
            RouteRule::Default => "default",
        }
    }
}

/// One place a plan may send the request.
#[derive(Debug, Clone)]
pub(crate) enum Candidate {
    /// A provider named or recognised by the id itself: no health kept, nothing to fall back to.
    Direct { provider: Arc<ProviderSlot>, model: String },
    /// A group's target.
    Member(Chosen),
}

impl Candidate {
    pub(crate) fn provider(&self) -> &Arc<ProviderSlot> {
        match self {
            Candidate::Direct { provider, .. } => provider,
            Candidate::Member(chosen) => &chosen.member.provider,
        }
    }

    pub(crate) fn model(&self) -> &str {
        match self {
            Candidate::Direct { model, .. } => model,
            Candidate::Member(chosen) => &chosen.member.model,
        }
    }

    /// Whether this attempt is the target's probe after a rest.
    pub(crate) fn is_probe(&self) -> bool {
        matches!(self, Candidate::Member(chosen) if chosen.probe)
    }

    /// The upstream model id, moved out where the plan owns it alone.
    pub(crate) fn into_model(self) -> String {
        match self {
            Candidate::Direct { model, .. } => model,
            Candidate::Member(chosen) => chosen.member.model.clone(),
        }
    }

    /// Counts the attempt and its time in flight (for `least_busy` and `/obs/targets`) until the guard drops.
    pub(crate) fn begin(&self) -> Option<InFlight> {
        match self {
            Candidate::Direct { .. } => None,
            Candidate::Member(chosen) => {
                chosen.member.requests.fetch_add(1, Ordering::Relaxed);
                chosen.member.in_flight.fetch_add(1, Ordering::Relaxed);
                Some(InFlight(chosen.member.clone(), false))
            }
        }
    }

    /// Records how an attempt ended in the target's health.
    pub(crate) fn record(&self, outcome: Outcome) {
        if let Candidate::Member(chosen) = self {
            match outcome {
                Outcome::Answered => chosen.member.health.succeeded(),
                Outcome::Failed => {
                    chosen.member.failures.fetch_add(1, Ordering::Relaxed);
                    chosen.member.health.failed(chosen.probe, Instant::now());
                }
                Outcome::NotSent if chosen.probe => chosen.member.health.release_probe(),
                Outcome::NotSent => {}
            }
        }
    }
}

/// How an attempt on a target ended, as its health sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The upstream answered — even with an error the request caused: it is alive.
    Answered,
    /// A failure another target might not share.
    Failed,
    /// obs refused the request before sending it (a parameter this target cannot honour): no news of the target.
    NotSent,
}

/// One attempt in flight on a group target; dropped when the answer (or the whole stream) is over.
#[derive(Debug)]
pub(crate) struct InFlight(Arc<Member>, bool);

impl InFlight {
    /// A stream ended: cleanly, or with an upstream failure after output started. Only the first end counts.
    pub(crate) fn stream_ended(&mut self, cleanly: bool) {
        if std::mem::replace(&mut self.1, true) {
            return;
        }
        if cleanly {
            self.0.health.succeeded();
        } else {
            self.0.failures.fetch_add(1, Ordering::Relaxed);
            self.0.health.failed(false, Instant::now());
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Where one request may be served, in order: the first candidate, then its fallbacks.
#[derive(Debug, Clone)]
pub struct Plan {
    pub(crate) rule: RouteRule,
    pub(crate) group: Option<Arc<str>>,
    pub(crate) candidates: Vec<Candidate>,
    /// The group's guardrail, for requests that name none of their own.
    pub(crate) guardrail: Option<obs_models::guardrail::Guardrail>,
    /// The caller's team ([`crate::RequestContext::team`]): the calls are made on its behalf.
    pub(crate) team: Option<Arc<str>>,
}

impl Plan {
    /// The rule that chose the plan.
    pub fn rule(&self) -> RouteRule {
        self.rule
    }

    /// The group (or alias) name, when the model id named one.
    pub fn group(&self) -> Option<&str> {
        self.group.as_deref()
    }

    /// The guardrail of the group the model id named, if it has one.
    pub fn guardrail(&self) -> Option<&obs_models::guardrail::Guardrail> {
        self.guardrail.as_ref()
    }

    /// The provider of the first target: where the request goes unless it fails.
    pub fn provider(&self) -> Option<&Arc<str>> {
        self.candidates.first().map(|candidate| candidate.provider().name())
    }

    /// Every target in the order they would be tried, as (provider, upstream model id).
    pub fn targets(&self) -> impl Iterator<Item = (&str, &str)> {
        self.candidates.iter().map(|candidate| (&**candidate.provider().name(), candidate.model()))
    }
}

/// Who served an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    /// The provider's name.
    pub provider: Arc<str>,
    /// The model id it was sent as.
    pub model: String,
    /// Targets tried, this one included (1 when the first served).
    pub attempts: u32,
    /// Calls repeated after retryable failures before this answer, on every target tried (`x-obs-retries`).
    pub retries: u32,
}

impl Served {
    /// `<provider>/<model-id>`, as `x-obs-target` names it.
    pub fn target(&self) -> String {
        // Concatenated by hand: `format!` costs about a thousand instructions here, on every answer.
        let mut target = String::with_capacity(self.provider.len() + 1 + self.model.len());
        target.push_str(&self.provider);
        target.push('/');
        target.push_str(&self.model);
        target
    }
}
