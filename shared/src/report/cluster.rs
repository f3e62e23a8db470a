//! The text view of a `ClusterReport`: one line per node, then the
//! duplicated images and the workloads that explain split/dind verdicts.

use std::fmt::Write as _;

use super::{human_bytes, or_dash, sanitize, table};
use crate::fanout::cluster_report::ClusterReport;
use crate::verdict::Verdict;

pub fn cluster_text(cluster: &ClusterReport, wide: bool) -> String {
    let mut out = String::new();
    let mut nodes = table(&[
        "NODE",
        "VERDICT",
        "STORES",
        "DUPLICATES",
        "RECLAIMABLE",
        "REASON",
    ]);
    for n in &cluster.nodes {
        let duplicates = n
            .images
            .iter()
            .filter(|i| i.verdict == Verdict::Duplicate)
            .count();
        nodes.add_row(vec![
            sanitize(&n.node),
            n.verdict.as_str().to_string(),
            n.stores.len().to_string(),
            duplicates.to_string(),
            human_bytes(n.reclaimable_bytes),
            or_dash(n.reason.as_deref()),
        ]);
    }
    let _ = writeln!(out, "{nodes}");
    let _ = writeln!(
        out,
        "total reclaimable: {} on {} node(s)",
        human_bytes(cluster.reclaimable_bytes),
        cluster.nodes.len()
    );

    let mut images = table(&["NODE", "IMAGE", "TAGS", "STORES", "RECLAIMABLE"]);
    let mut any = false;
    for n in &cluster.nodes {
        for i in n.images.iter().filter(|i| i.verdict == Verdict::Duplicate) {
            any = true;
            let id = if wide {
                i.id.clone()
            } else {
                i.id.trim_start_matches("sha256:")
                    .chars()
                    .take(12)
                    .collect()
            };
            images.add_row(vec![
                sanitize(&n.node),
                id,
                or_dash(Some(&i.tags.join(","))),
                sanitize(&i.stores.join(", ")),
                human_bytes(i.reclaimable_bytes),
            ]);
        }
    }
    if any {
        let _ = writeln!(out, "\n{images}");
    }
    for n in &cluster.nodes {
        for p in &n.pods {
            let _ = writeln!(
                out,
                "{}: pod {}/{} is {}",
                sanitize(&n.node),
                sanitize(&p.namespace),
                sanitize(&p.name),
                p.finding
            );
        }
    }
    if wide {
        let c = &cluster.api_calls;
        let _ = writeln!(
            out,
            "\nAPI calls: {} (preflight {}, list {}, watch {}, create {}, get {}, log {}, delete {})",
            c.total(),
            c.preflight,
            c.list,
            c.watch,
            c.create,
            c.get,
            c.log,
            c.delete
        );
    }
    out
}
