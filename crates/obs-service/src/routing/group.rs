//! A model group: its targets (members), each with health and load, and the strategy that orders them for one
//! request — the first is tried, the others are its fallbacks.

use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::config::{Affinity, Strategy};
use crate::providers::ProviderSlot;
use crate::routing::health::{Availability, Health, HealthSnapshot};

/// One target of one group: a provider, the model id it is sent there as, and what the group knows of it.
#[derive(Debug)]
pub struct Member {
    pub(crate) provider: Arc<ProviderSlot>,
    pub(crate) model: String,
    /// `<provider>/<model-id>`.
    pub(crate) label: String,
    pub(crate) weight: u32,
    pub(crate) health: Health,
    pub(crate) in_flight: AtomicUsize,
    pub(crate) requests: AtomicU64,
    pub(crate) failures: AtomicU64,
}

/// A group's view of one target, for `/obs/targets` and `/metrics`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetStatus {
    /// The group's name.
    pub group: String,
    /// `<provider>/<model-id>`.
    pub target: String,
    /// The provider's name.
    pub provider: String,
    /// The upstream model id.
    pub model: String,
    /// The target's weight.
    pub weight: u32,
    /// Health now.
    pub health: HealthSnapshot,
    /// Requests in flight now.
    pub in_flight: usize,
    /// Attempts sent to it since start.
    pub requests: u64,
    /// Attempts that failed in a way another target might not.
    pub failures: u64,
}

/// A model group, built once from `[models.<name>]`.
#[derive(Debug)]
pub struct Group {
    pub(crate) name: Arc<str>,
    pub(crate) members: Vec<Arc<Member>>,
    strategy: Strategy,
    affinity: Option<Affinity>,
    cursor: AtomicUsize,
    /// Smooth weighted round robin's running scores, one per member.
    scores: Mutex<Vec<i64>>,
    /// `[models.<name>] guardrail`: applied to the group's requests that name none of their own.
    pub(crate) guardrail: Option<obs_models::guardrail::Guardrail>,
    /// What its members do, when obs knows (they never mix): requests of the other kind are refused.
    pub(crate) kind: Option<super::kinds::ModelKind>,
}

/// A member chosen for one request, and whether this request is its probe after a rest.
#[derive(Debug, Clone)]
pub(crate) struct Chosen {
    pub(crate) member: Arc<Member>,
    pub(crate) probe: bool,
}

impl Group {
    pub(crate) fn new(name: &str, members: Vec<Arc<Member>>, strategy: Strategy, affinity: Option<Affinity>) -> Group {
        let scores = Mutex::new(vec![0; members.len()]);
        Group {
            name: Arc::from(name),
            members,
            strategy,
            affinity,
            cursor: AtomicUsize::new(0),
            scores,
            guardrail: None,
            kind: None,
        }
    }

    /// The group with the kind of its members.
    pub(crate) fn with_kind(mut self, kind: Option<super::kinds::ModelKind>) -> Group {
        self.kind = kind;
        self
    }

    /// The group with its guardrail.
    pub(crate) fn with_guardrail(mut self, guardrail: Option<obs_models::guardrail::Guardrail>) -> Group {
        self.guardrail = guardrail;
        self
    }

    /// Where this group's affinity key comes from, if it has one.
    pub(crate) fn affinity(&self) -> Option<&Affinity> {
        self.affinity.as_ref()
    }

    /// The members in the order this request tries them: a probe due after a rest first, then the healthy ones in
    /// the strategy's order (by affinity when the request has a key). Resting members are skipped — unless every
    /// member rests, when they are tried anyway rather than refusing the request untried.
    pub(crate) fn order(&self, affinity_key: Option<&str>, now: Instant) -> Vec<Chosen> {
        let base = match affinity_key {
            Some(key) => self.by_affinity(key),
            None => self.by_strategy(),
        };
        let mut chosen = Vec::with_capacity(base.len());
        let mut resting = Vec::new();
        for index in base {
            let member = &self.members[index];
            match member.health.availability(now) {
                Availability::Probe => chosen.insert(0, Chosen { member: member.clone(), probe: true }),
                Availability::Healthy => chosen.push(Chosen { member: member.clone(), probe: false }),
                Availability::Resting => resting.push(Chosen { member: member.clone(), probe: false }),
            }
        }
        if chosen.is_empty() { resting } else { chosen }
    }

    fn by_strategy(&self) -> Vec<usize> {
        let n = self.members.len();
        let rotated = |start: usize| (0..n).map(move |i| (start + i) % n);
        match self.strategy {
            Strategy::Fallback => (0..n).collect(),
            Strategy::RoundRobin => rotated(self.cursor.fetch_add(1, Ordering::Relaxed) % n).collect(),
            Strategy::LeastBusy => {
                // Rotating first makes ties (an idle group) spread in turn; the sort is stable.
                let mut order: Vec<usize> = rotated(self.cursor.fetch_add(1, Ordering::Relaxed) % n).collect();
                order.sort_by_key(|&i| self.members[i].in_flight.load(Ordering::Relaxed));
                order
            }
            Strategy::Weighted => {
                let first = self.next_weighted();
                std::iter::once(first).chain((0..n).filter(|&i| i != first)).collect()
            }
        }
    }

    /// Smooth weighted round robin (as nginx does it): exact shares over every cycle of the total weight, and the
    /// heavier targets' turns interleaved rather than in runs.
    fn next_weighted(&self) -> usize {
        let mut scores = self.scores.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let total: i64 = self.members.iter().map(|m| i64::from(m.weight)).sum();
        let mut best = 0;
        for (i, member) in self.members.iter().enumerate() {
            scores[i] += i64::from(member.weight);
            if scores[i] > scores[best] {
                best = i;
            }
        }
        scores[best] -= total;
        best
    }

    /// Weighted rendezvous hashing: every key ranks the members the same way on every replica, with no table to
    /// keep; when the first rests, the key moves to its second, and back when the first recovers.
    fn by_affinity(&self, key: &str) -> Vec<usize> {
        let mut ranked: Vec<(f64, usize)> = self
            .members
            .iter()
            .enumerate()
            .map(|(i, member)| {
                let mut hasher = std::hash::DefaultHasher::new();
                key.hash(&mut hasher);
                member.label.hash(&mut hasher);
                // A uniform draw in (0, 1) per (key, member); -w / ln(u) is the weighted score.
                let unit = ((hasher.finish() >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
                (-f64::from(member.weight) / unit.ln(), i)
            })
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
        ranked.into_iter().map(|(_, i)| i).collect()
    }

    pub(crate) fn statuses(&self, now: Instant) -> impl Iterator<Item = TargetStatus> + '_ {
        self.members.iter().map(move |member| TargetStatus {
            group: self.name.to_string(),
            target: member.label.clone(),
            provider: member.provider.name().to_string(),
            model: member.model.clone(),
            weight: member.weight,
            health: member.health.snapshot(now),
            in_flight: member.in_flight.load(Ordering::Relaxed),
            requests: member.requests.load(Ordering::Relaxed),
            failures: member.failures.load(Ordering::Relaxed),
        })
    }
}
