//! The NodeReport as Prometheus metrics: base units, low cardinality, no
//! image names in labels unless `--top-images N` asks for the N largest.
//!
//! Why the `prometheus` crate (tikv) and not `prometheus-client`: it writes
//! the classic text format (0.0.4) that every scraper and `promtool check
//! metrics` read. `prometheus-client` writes only OpenMetrics, whose counter
//! families (`# TYPE x counter` over `x_total` samples) and `info` type
//! Debian's promtool 2.42 rejects. Its `*Vec::reset` also gives the
//! no-stale-series rule for free: each scan clears the node's gauges and
//! sets them again, so a store or image that disappeared leaves no series.

use std::sync::Mutex;

use imgdup::model::image_finding::Verdict;
use imgdup::model::node_report::NodeReport;
use prometheus::{
    Encoder, Gauge, Histogram, HistogramOpts, IntCounterVec, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

/// `imgdup_scan_errors_total{reason}`: a fixed set, all exported from the start.
pub const ERROR_REASONS: [&str; 4] = ["no-runtime", "partial-store", "setup", "panic"];

pub struct Metrics {
    registry: Registry,
    /// Held while a scan's results replace the last ones, so a scrape never
    /// sees a half-updated node.
    update: Mutex<()>,
    reclaimable: IntGaugeVec,
    store_bytes: IntGaugeVec,
    duplicates: IntGaugeVec,
    leftover: IntGaugeVec,
    image_reclaimable: Option<IntGaugeVec>,
    top_images: usize,
    duration: Histogram,
    last_scan: Gauge,
    errors: IntCounterVec,
}

fn gauge_vec(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    let vec = IntGaugeVec::new(Opts::new(name, help), labels).expect("valid metric");
    registry
        .register(Box::new(vec.clone()))
        .expect("unique metric");
    vec
}

impl Metrics {
    pub fn new(top_images: usize) -> Self {
        let r = Registry::new();
        let build = gauge_vec(
            &r,
            "imgdup_build_info",
            "The running kubectl-imgdup (always 1).",
            &["version"],
        );
        build.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1);
        let duration = Histogram::with_opts(
            HistogramOpts::new(
                "imgdup_scan_duration_seconds",
                "How long each scan of the node took.",
            )
            .buckets(vec![
                0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
            ]),
        )
        .expect("valid metric");
        r.register(Box::new(duration.clone()))
            .expect("unique metric");
        let last_scan = Gauge::new(
            "imgdup_last_scan_timestamp_seconds",
            "When the last scan finished (Unix time); 0 before the first.",
        )
        .expect("valid metric");
        r.register(Box::new(last_scan.clone()))
            .expect("unique metric");
        let errors = IntCounterVec::new(
            Opts::new("imgdup_scan_errors_total", "Scans that could not read everything, by reason: no-runtime (the node is unknown), partial-store (a store was read only in part), setup (the host root, procfs or crictl config could not be read), panic."),
            &["reason"],
        )
        .expect("valid metric");
        r.register(Box::new(errors.clone())).expect("unique metric");
        for reason in ERROR_REASONS {
            errors.with_label_values(&[reason]);
        }
        Self {
            reclaimable: gauge_vec(&r, "imgdup_reclaimable_bytes", "Bytes that removing every duplicate copy on the node frees.", &["node"]),
            store_bytes: gauge_vec(&r, "imgdup_store_bytes", "Disk usage of each image store's layers and blobs.", &["node", "store", "runtime", "live", "active"]),
            duplicates: gauge_vec(&r, "imgdup_duplicate_images", "Images stored in two or more stores.", &["node"]),
            leftover: gauge_vec(&r, "imgdup_leftover_store_bytes", "Disk usage of stores that hold images but whose runtime is not running (a runtime-switch leftover).", &["node", "store"]),
            image_reclaimable: (top_images > 0).then(|| gauge_vec(&r, "imgdup_image_reclaimable_bytes", "Bytes that removing this image's extra copies frees (the --top-images largest only).", &["node", "image"])),
            top_images,
            duration,
            last_scan,
            errors,
            update: Mutex::new(()),
            registry: r,
        }
    }

    /// Replaces the node's figures by this scan's.
    pub fn record(&self, report: &NodeReport, seconds: f64, finished_unix: f64) {
        let _held = self.update.lock().unwrap_or_else(|e| e.into_inner());
        let node = report.node.as_str();
        for vec in [
            &self.reclaimable,
            &self.store_bytes,
            &self.duplicates,
            &self.leftover,
        ] {
            vec.reset();
        }
        self.reclaimable
            .with_label_values(&[node])
            .set(clamp(report.reclaimable_bytes));
        let duplicates = report
            .images
            .iter()
            .filter(|i| i.verdict == Verdict::Duplicate)
            .count();
        self.duplicates
            .with_label_values(&[node])
            .set(duplicates as i64);
        for s in &report.stores {
            let (live, active) = (s.live.to_string(), s.active.to_string());
            let labels = [node, s.id.as_str(), s.runtime.as_str(), &live, &active];
            self.store_bytes
                .with_label_values(&labels)
                .set(clamp(s.disk_bytes));
            if !s.live && s.images > 0 {
                self.leftover
                    .with_label_values(&[node, &s.id])
                    .set(clamp(s.disk_bytes));
            }
        }
        if let Some(vec) = &self.image_reclaimable {
            vec.reset();
            let mut images: Vec<_> = report
                .images
                .iter()
                .filter(|i| i.reclaimable_bytes > 0)
                .collect();
            images.sort_by(|a, b| {
                b.reclaimable_bytes
                    .cmp(&a.reclaimable_bytes)
                    .then(a.id.cmp(&b.id))
            });
            for i in images.into_iter().take(self.top_images) {
                let name = i.tags.first().unwrap_or(&i.id);
                vec.with_label_values(&[node, name])
                    .set(clamp(i.reclaimable_bytes));
            }
        }
        if report.verdict == Verdict::Unknown {
            self.errors.with_label_values(&["no-runtime"]).inc();
        }
        if report.stores.iter().any(|s| s.partial) {
            self.errors.with_label_values(&["partial-store"]).inc();
        }
        self.duration.observe(seconds);
        self.last_scan.set(finished_unix);
    }

    /// A scan that failed (`setup`) or panicked: counted, the last figures stay.
    pub fn record_error(&self, reason: &str, seconds: f64) {
        self.errors.with_label_values(&[reason]).inc();
        self.duration.observe(seconds);
    }

    /// The text exposition (format 0.0.4) and its content type.
    pub fn encode(&self) -> (Vec<u8>, String) {
        let encoder = TextEncoder::new();
        let families = {
            let _held = self.update.lock().unwrap_or_else(|e| e.into_inner());
            self.registry.gather()
        };
        let mut out = Vec::new();
        // Writing into a Vec fails only on invalid metrics, which `new` rules out.
        let _ = encoder.encode(&families, &mut out);
        (out, encoder.format_type().to_string())
    }
}

/// Gauges are i64; no store holds 8 EiB.
fn clamp(bytes: u64) -> i64 {
    i64::try_from(bytes).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use imgdup::model::image_finding::ImageFinding;
    use imgdup::model::store::{Store, StoreRuntime};

    fn store(id: &str, live: bool, images: usize, bytes: u64) -> Store {
        Store {
            id: id.into(),
            runtime: StoreRuntime::Dockerd,
            path: "/var/lib/docker".into(),
            device: None,
            namespace: None,
            live,
            active: live,
            endpoint: None,
            reached_by: vec![],
            proof: None,
            images,
            disk_bytes: bytes,
            partial: false,
            gaps: vec![],
            containers: vec![],
        }
    }

    fn image(tag: &str, bytes: u64) -> ImageFinding {
        let mut json = serde_json::json!({
            "id": format!("sha256:{tag}"), "tags": [tag], "verdict": "duplicate", "stores": [],
            "reclaimableBytes": bytes, "reason": "", "diffIds": [], "repoDigests": [],
            "removals": [], "layers": []
        });
        json["incompleteIn"] = serde_json::json!([]);
        serde_json::from_value(json).unwrap()
    }

    fn text(m: &Metrics) -> String {
        String::from_utf8(m.encode().0).unwrap()
    }

    #[test]
    fn a_store_or_image_that_disappears_leaves_no_series() {
        let m = Metrics::new(1);
        let mut report = NodeReport::new("n1".into(), None);
        report.stores = vec![
            store("dockerd:/var/lib/docker", false, 3, 4096),
            store("containerd:/c", true, 1, 10),
        ];
        report.images = vec![image("a:1", 300), image("b:1", 200)];
        report.reclaimable_bytes = 500;
        m.record(&report, 1.5, 1.0e9);
        let first = text(&m);
        assert!(
            first.contains(
                r#"imgdup_leftover_store_bytes{node="n1",store="dockerd:/var/lib/docker"} 4096"#
            ),
            "{first}"
        );
        assert!(
            first.contains(r#"imgdup_image_reclaimable_bytes{image="a:1",node="n1"} 300"#),
            "{first}"
        );
        assert!(!first.contains(r#"image="b:1""#), "only the top 1: {first}");
        assert!(
            first.contains("imgdup_duplicate_images{node=\"n1\"} 2"),
            "{first}"
        );
        report.stores.remove(0);
        report.images.clear();
        report.reclaimable_bytes = 0;
        m.record(&report, 0.5, 2.0e9);
        let second = text(&m);
        assert!(!second.contains("dockerd:/var/lib/docker"), "{second}");
        assert!(
            !second.contains("imgdup_image_reclaimable_bytes{"),
            "{second}"
        );
        assert!(
            second.contains("imgdup_reclaimable_bytes{node=\"n1\"} 0"),
            "{second}"
        );
        assert!(
            second.contains("imgdup_scan_duration_seconds_count 2"),
            "{second}"
        );
        assert!(
            second.contains("imgdup_last_scan_timestamp_seconds 2000000000"),
            "{second}"
        );
    }

    #[test]
    fn no_image_label_without_top_images_and_every_error_reason_from_the_start() {
        let m = Metrics::new(0);
        let mut report = NodeReport::new("n1".into(), None);
        report.images = vec![image("a:1", 300)];
        m.record(&report, 0.1, 1.0);
        let t = text(&m);
        assert!(!t.contains("imgdup_image_reclaimable_bytes"), "{t}");
        for reason in ERROR_REASONS {
            assert!(
                t.contains(&format!(
                    "imgdup_scan_errors_total{{reason=\"{reason}\"}} 0"
                )),
                "{t}"
            );
        }
        assert!(t.contains(&format!(
            "imgdup_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        )));
    }
}
