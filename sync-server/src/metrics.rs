//! `/metrics` in the Prometheus text format: requests by route and status,
//! request and sync latency histograms, uploads accepted and refused, and,
//! read from storage when scraped, the quarantine's size, the change log's
//! length and the photos records wait for.
//!
//! Counters are plain atomics kept in [`Metrics`]; a scrape renders them.
//! Nothing here decides anything: it only counts.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

/// A latency histogram with fixed buckets.
#[derive(Default)]
pub struct Histogram {
    counts: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    /// Records one observation.
    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        for (i, le) in BUCKETS.iter().enumerate() {
            if secs <= *le {
                self.counts[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros.fetch_add(d.as_micros().min(u128::from(u64::MAX)) as u64, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, help: &str, labels: &str) {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} histogram");
        let sep = if labels.is_empty() { "" } else { "," };
        for (i, le) in BUCKETS.iter().enumerate() {
            let _ =
                writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{le}\"}} {}", self.counts[i].load(Ordering::Relaxed));
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {count}");
        let brace = |s: &str| if s.is_empty() { String::new() } else { format!("{{{s}}}") };
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum{} {sum}", brace(labels));
        let _ = writeln!(out, "{name}_count{} {count}", brace(labels));
    }
}

/// What the server counts while it runs.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    request_latency: Histogram,
    sync_latency: Histogram,
    uploads_accepted: AtomicU64,
    uploads_refused: AtomicU64,
}

/// Gauges read from storage when `/metrics` is scraped.
pub struct Gauges {
    /// Refused uploads kept for review.
    pub quarantine: u64,
    /// Highest sequence number of the change log.
    pub change_log: u64,
    /// Photos that records refer to and that have not arrived.
    pub photos_pending: u64,
}

impl Metrics {
    /// Counts one answered request.
    pub fn request(&self, method: &str, route: &str, status: u16, took: Duration) {
        let mut m = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        *m.entry((method.to_string(), route.to_string(), status)).or_default() += 1;
        drop(m);
        self.request_latency.observe(took);
    }

    /// Records one sync exchange: its latency and its uploads' verdicts.
    pub fn sync(&self, took: Duration, accepted: usize, refused: usize) {
        self.sync_latency.observe(took);
        self.uploads_accepted.fetch_add(accepted as u64, Ordering::Relaxed);
        self.uploads_refused.fetch_add(refused as u64, Ordering::Relaxed);
    }

    /// The Prometheus text exposition.
    pub fn render(&self, gauges: &Gauges) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# HELP paicha_http_requests_total HTTP requests answered, by route and status.");
        let _ = writeln!(out, "# TYPE paicha_http_requests_total counter");
        for ((method, route, status), n) in self.requests.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            let _ = writeln!(
                out,
                "paicha_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}"
            );
        }
        self.request_latency.render(&mut out, "paicha_http_request_seconds", "Time to answer a request.", "");
        self.sync_latency.render(
            &mut out,
            "paicha_sync_seconds",
            "Time of one sync exchange (validation, storage, download page).",
            "",
        );
        let counter = |out: &mut String, name: &str, help: &str, v: u64| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}");
        };
        let gauge = |out: &mut String, name: &str, help: &str, v: u64| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}");
        };
        counter(
            &mut out,
            "paicha_uploads_accepted_total",
            "Record uploads accepted.",
            self.uploads_accepted.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "paicha_uploads_refused_total",
            "Record uploads refused and quarantined.",
            self.uploads_refused.load(Ordering::Relaxed),
        );
        gauge(&mut out, "paicha_quarantine_entries", "Refused uploads kept for review.", gauges.quarantine);
        gauge(&mut out, "paicha_change_log_length", "Highest sequence number of the change log.", gauges.change_log);
        gauge(
            &mut out,
            "paicha_photos_pending",
            "Photos that records refer to and that have not arrived.",
            gauges.photos_pending,
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_histograms_and_gauges() {
        let m = Metrics::default();
        m.request("POST", "/v1/sync", 200, Duration::from_millis(3));
        m.request("POST", "/v1/sync", 200, Duration::from_millis(30));
        m.sync(Duration::from_millis(3), 2, 1);
        let text = m.render(&Gauges { quarantine: 4, change_log: 9, photos_pending: 1 });
        assert!(text.contains("paicha_http_requests_total{method=\"POST\",route=\"/v1/sync\",status=\"200\"} 2"));
        assert!(text.contains("paicha_http_request_seconds_bucket{le=\"0.005\"} 1"));
        assert!(text.contains("paicha_http_request_seconds_bucket{le=\"+Inf\"} 2"));
        assert!(text.contains("paicha_uploads_accepted_total 2"));
        assert!(text.contains("paicha_uploads_refused_total 1"));
        assert!(text.contains("paicha_quarantine_entries 4"));
        assert!(text.contains("paicha_change_log_length 9"));
        assert!(text.contains("paicha_sync_seconds_count 1"));
    }
}
