//! Group targets in `/metrics`, read from the gateway on each scrape: `obs_target_healthy{group,target}` (1 or 0),
//! `obs_target_in_flight`, and the counters `obs_target_requests_total` and `obs_target_failures_total`.

use std::sync::Arc;

use obs_service::Gateway;
use obs_service::routing::TargetStatus;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;

/// (name, help, value of one target). The help ends with a full stop, as the registry adds one to every other
/// family's.
type Family<N> = (&'static str, &'static str, fn(&TargetStatus) -> N);

#[derive(Debug)]
pub(crate) struct TargetMetrics(pub(crate) Arc<Gateway>);

impl Collector for TargetMetrics {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let targets = self.0.targets();
        if targets.is_empty() {
            return Ok(());
        }
        let labels: Vec<[(&str, &str); 2]> =
            targets.iter().map(|t| [("group", t.group.as_str()), ("target", t.target.as_str())]).collect();
        let gauges: [Family<i64>; 2] = [
            ("target_healthy", "1 while a group's target serves, 0 while it rests after failures.", |t| {
                i64::from(t.health.healthy)
            }),
            ("target_in_flight", "Requests in flight on a group's target.", |t| {
                i64::try_from(t.in_flight).unwrap_or(i64::MAX)
            }),
        ];
        for (name, help, value) in gauges {
            let mut family = encoder.encode_descriptor(name, help, None, ConstGauge::new(0i64).metric_type())?;
            for (target, labels) in targets.iter().zip(&labels) {
                ConstGauge::new(value(target)).encode(family.encode_family(labels)?)?;
            }
        }
        let counters: [Family<u64>; 2] = [
            ("target_requests", "Attempts sent to a group's target.", |t| t.requests),
            ("target_failures", "Attempts on a group's target that failed in a way another target might not.", |t| {
                t.failures
            }),
        ];
        for (name, help, value) in counters {
            let mut family = encoder.encode_descriptor(name, help, None, ConstCounter::new(0u64).metric_type())?;
            for (target, labels) in targets.iter().zip(&labels) {
                ConstCounter::new(value(target)).encode(family.encode_family(labels)?)?;
            }
        }
        Ok(())
    }
}
