//! Prometheus metrics (docs/reference/routes.md §12) in an explicit registry per server (no global recorder, so several
//! servers can live in one process): requests by route/status/provider, upstream latency, gateway overhead, active
//! streams, upstream errors by code.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

type Labels = Vec<(&'static str, String)>;

pub(crate) struct Metrics {
    registry: Registry,
    requests: Family<Labels, Counter>,
    upstream_latency: Family<Labels, Histogram>,
    overhead: Histogram,
    active_streams: Gauge,
    upstream_errors: Family<Labels, Counter>,
    shared_limit_failures: Family<Labels, Counter>,
    usage_written: Counter,
    usage_dropped: Family<Labels, Counter>,
}

fn latency_histogram() -> Histogram {
    // 1 ms .. ~65 s
    Histogram::new(exponential_buckets(0.001, 2.0, 17))
}

impl Metrics {
    /// The registry, with the gateway's group targets read on each scrape.
    pub(crate) fn new(gateway: std::sync::Arc<obs_service::Gateway>) -> Self {
        let mut registry = Registry::with_prefix("obs");
        registry.register_collector(Box::new(crate::target_metrics::TargetMetrics(gateway)));
        let requests = Family::<Labels, Counter>::default();
        registry.register("requests", "HTTP requests by route, status and provider", requests.clone());
        let upstream_latency =
            Family::<Labels, Histogram>::new_with_constructor(latency_histogram as fn() -> Histogram);
        registry.register(
            "upstream_latency_seconds",
            "Time until the upstream's answer (first chunk for streams), by provider",
            upstream_latency.clone(),
        );
        // 10 µs .. ~160 ms
        let overhead = Histogram::new(exponential_buckets(0.000_01, 2.0, 15));
        registry.register(
            "gateway_overhead_seconds",
            "Time spent in obs per request, upstream waits excluded",
            overhead.clone(),
        );
        let active_streams = Gauge::default();
        registry.register("active_streams", "Streaming responses in flight", active_streams.clone());
        let upstream_errors = Family::<Labels, Counter>::default();
        registry.register("upstream_errors", "Failed upstream calls by error code", upstream_errors.clone());
        let shared_limit_failures = Family::<Labels, Counter>::default();
        registry.register(
            "shared_limit_failures",
            "Rate-limit counter calls Redis did not answer in time, by the policy applied (open: served uncounted, \
             closed: refused)",
            shared_limit_failures.clone(),
        );
        let usage_written = Counter::default();
        registry.register("usage_records_written", "Usage records written to the store", usage_written.clone());
        let usage_dropped = Family::<Labels, Counter>::default();
        registry.register(
            "usage_records_dropped",
            "Usage records dropped, by reason (queue_full: the writer was behind; store_error: the store refused)",
            usage_dropped.clone(),
        );
        Metrics {
            registry,
            requests,
            upstream_latency,
            overhead,
            active_streams,
            upstream_errors,
            shared_limit_failures,
            usage_written,
            usage_dropped,
        }
    }

    pub(crate) fn request(&self, route: &'static str, status: u16, provider: Option<&str>) {
        let labels = vec![
            ("route", route.to_owned()),
            ("status", status.to_string()),
            ("provider", provider.unwrap_or("none").to_owned()),
        ];
        self.requests.get_or_create(&labels).inc();
    }

    pub(crate) fn upstream_latency(&self, provider: &str, seconds: f64) {
        self.upstream_latency.get_or_create(&vec![("provider", provider.to_owned())]).observe(seconds);
    }

    pub(crate) fn overhead(&self, seconds: f64) {
        self.overhead.observe(seconds);
    }

    pub(crate) fn upstream_error(&self, code: &str) {
        self.upstream_errors.get_or_create(&vec![("code", code.to_owned())]).inc();
    }

    pub(crate) fn shared_limit_failure(&self, policy: &'static str) {
        self.shared_limit_failures.get_or_create(&vec![("policy", policy.to_owned())]).inc();
    }

    pub(crate) fn usage_written(&self, count: u64) {
        self.usage_written.inc_by(count);
    }

    pub(crate) fn usage_dropped(&self, reason: &'static str, count: u64) {
        self.usage_dropped.get_or_create(&vec![("reason", reason.to_owned())]).inc_by(count);
    }

    pub(crate) fn stream_started(&self) {
        self.active_streams.inc();
    }

    pub(crate) fn stream_ended(&self) {
        self.active_streams.dec();
    }

    pub(crate) fn render(&self) -> String {
        let mut text = String::new();
        if encode(&mut text, &self.registry).is_err() {
            text.clear();
        }
        text
    }
}
