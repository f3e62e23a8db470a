//! The text view of a `ClusterReport`: one line per node, then the
//! duplicated images and the workloads that explain split/dind verdicts.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{human_bytes, or_dash, sanitize, table};
use crate::model::cluster_report::{ApiCalls, ClusterReport};
use crate::model::image_finding::Verdict;

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
        let _ = writeln!(out, "\n{}", calls_line(&cluster.api_calls));
    }
    out
}

fn calls_line(c: &ApiCalls) -> String {
    format!(
        "API calls: {} (preflight {}, list {}, watch {}, create {}, get {}, log {}, delete {}; {} retries; at most {} for one node)",
        c.total(),
        c.preflight,
        c.list,
        c.watch,
        c.create,
        c.get,
        c.log,
        c.delete,
        c.retries,
        c.max_per_node
    )
}

/// `-v`: the run's request budget, per node then in all, for operators who
/// must justify a tool's load on a production API server.
pub fn api_calls_text(calls: &ApiCalls, per_node: &BTreeMap<String, u32>) -> String {
    let mut t = table(&["NODE", "API CALLS"]);
    for (node, n) in per_node {
        t.add_row(vec![sanitize(node), n.to_string()]);
    }
    format!("{t}\n{}\n", calls_line(calls))
}
