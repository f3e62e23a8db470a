//! The `TopReport` document: the fleet view of `kubectl imgdup top`. Every
//! node's `NodeReport` folded into one row per duplicated image (by image
//! id, which is the same on every node), a cluster total, and the leftover
//! stores, so "which image is stored twice most, on how many nodes, for how
//! many bytes" is one table instead of a per-node report to add up by hand.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::cluster_report::ApiCalls;
use crate::model::chain::API_VERSION;
use crate::model::image_finding::Verdict;
use crate::model::node_report::NodeReport;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TopReport {
    pub api_version: String,
    pub kind: String,
    pub run_id: String,
    pub total: TopTotal,
    /// Duplicated images, in the `--sort-by` order.
    pub images: Vec<TopImage>,
    /// Stores whose runtime is not running (runtime-switch leftovers).
    pub leftover_stores: Vec<LeftoverStore>,
    /// Every node asked, where its report came from, and its verdict.
    pub nodes: Vec<TopNode>,
    #[serde(default)]
    pub api_calls: ApiCalls,
}

/// The cluster-total row.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TopTotal {
    /// Distinct images stored twice somewhere.
    pub images: usize,
    /// Their copies, on the nodes where they are stored twice.
    pub copies: usize,
    /// Nodes holding at least one duplicated image.
    pub nodes: usize,
    /// What removing every extra copy frees: the sum of the nodes' totals
    /// (layers shared by two removed copies count once, unlike a sum of rows).
    pub reclaimable_bytes: u64,
    pub leftover_stores: usize,
    pub leftover_bytes: u64,
    /// Nodes that could not be scanned (see `nodes[].reason`).
    pub unknown_nodes: usize,
}

/// One image stored twice on at least one node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TopImage {
    pub id: String,
    /// Every tag it has on any node.
    pub tags: Vec<String>,
    /// Complete copies, summed over the nodes where it is a duplicate.
    pub copies: usize,
    /// Nodes where it is a duplicate.
    pub nodes: usize,
    pub node_names: Vec<String>,
    /// The per-image reclaimable bytes, summed over those nodes.
    pub reclaimable_bytes: u64,
    /// The stores (ids, e.g. `dockerd:/var/lib/docker`) that hold it there.
    pub stores: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeftoverStore {
    pub node: String,
    pub store: String,
    pub runtime: String,
    pub path: String,
    pub images: usize,
    pub disk_bytes: u64,
}

/// Where a node's report came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// The `imgdup-serve` pod's `/report`, through the API server's pod proxy.
    Daemonset,
    /// A short-lived agent pod of this run.
    AgentPod,
    /// No pod: the node was `unknown` before any (NotReady, Windows, …).
    None,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TopNode {
    pub node: String,
    pub source: Source,
    /// The serve pod read, or why the DaemonSet could not be used here.
    pub source_detail: Option<String>,
    pub verdict: Verdict,
    pub reason: Option<String>,
    pub reclaimable_bytes: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SortBy {
    #[default]
    Reclaimable,
    Copies,
    Nodes,
    Name,
}

/// A node's report and where it came from.
pub struct Sourced {
    pub report: NodeReport,
    pub source: Source,
    pub detail: Option<String>,
}

impl TopReport {
    pub fn new(run_id: String, mut nodes: Vec<Sourced>, api_calls: ApiCalls, sort: SortBy) -> Self {
        nodes.sort_by(|a, b| a.report.node.cmp(&b.report.node));
        let mut images: BTreeMap<String, TopImage> = BTreeMap::new();
        let mut leftover_stores = Vec::new();
        let mut total = TopTotal::default();
        for Sourced { report: n, .. } in &nodes {
            total.reclaimable_bytes += n.reclaimable_bytes;
            total.unknown_nodes += usize::from(n.verdict == Verdict::Unknown);
            let mut has_duplicate = false;
            for i in n.images.iter().filter(|i| i.verdict == Verdict::Duplicate) {
                has_duplicate = true;
                let row = images.entry(i.id.clone()).or_insert_with(|| TopImage {
                    id: i.id.clone(),
                    tags: Vec::new(),
                    copies: 0,
                    nodes: 0,
                    node_names: Vec::new(),
                    reclaimable_bytes: 0,
                    stores: Vec::new(),
                });
                let complete: Vec<&String> = i
                    .stores
                    .iter()
                    .filter(|s| !i.incomplete_in.contains(s))
                    .collect();
                row.copies += complete.len();
                row.nodes += 1;
                row.node_names.push(n.node.clone());
                row.reclaimable_bytes += i.reclaimable_bytes;
                row.tags.extend(i.tags.iter().cloned());
                row.stores.extend(complete.into_iter().cloned());
            }
            total.nodes += usize::from(has_duplicate);
            for s in n.stores.iter().filter(|s| !s.live) {
                leftover_stores.push(LeftoverStore {
                    node: n.node.clone(),
                    store: s.id.clone(),
                    runtime: s.runtime.as_str().into(),
                    path: s.path.clone(),
                    images: s.images,
                    disk_bytes: s.disk_bytes,
                });
            }
        }
        let mut images: Vec<TopImage> = images.into_values().collect();
        for row in &mut images {
            dedup(&mut row.tags);
            dedup(&mut row.stores);
        }
        total.images = images.len();
        total.copies = images.iter().map(|i| i.copies).sum();
        total.leftover_stores = leftover_stores.len();
        total.leftover_bytes = leftover_stores.iter().map(|s| s.disk_bytes).sum();
        let nodes = nodes
            .into_iter()
            .map(|s| TopNode {
                node: s.report.node,
                source: s.source,
                source_detail: s.detail,
                verdict: s.report.verdict,
                reason: s.report.reason,
                reclaimable_bytes: s.report.reclaimable_bytes,
            })
            .collect();
        let mut report = Self {
            api_version: API_VERSION.into(),
            kind: "TopReport".into(),
            run_id,
            total,
            images,
            leftover_stores,
            nodes,
            api_calls,
        };
        report.sort(sort);
        report
    }

    /// Biggest first for the numbers, A–Z for the name; ties by name, so the
    /// order is stable from run to run.
    pub fn sort(&mut self, by: SortBy) {
        self.images.sort_by(|a, b| {
            let key = match by {
                SortBy::Reclaimable => b.reclaimable_bytes.cmp(&a.reclaimable_bytes),
                SortBy::Copies => b.copies.cmp(&a.copies),
                SortBy::Nodes => b.nodes.cmp(&a.nodes),
                SortBy::Name => std::cmp::Ordering::Equal,
            };
            key.then_with(|| a.name().cmp(b.name()))
                .then_with(|| a.id.cmp(&b.id))
        });
        self.leftover_stores.sort_by(|a, b| {
            b.disk_bytes
                .cmp(&a.disk_bytes)
                .then_with(|| (&a.node, &a.store).cmp(&(&b.node, &b.store)))
        });
    }

    pub fn any(&self, verdict: Verdict) -> bool {
        self.nodes.iter().any(|n| n.verdict == verdict)
    }
}

impl TopImage {
    /// Its first tag, else its id: what a person calls it.
    pub fn name(&self) -> &str {
        self.tags.first().unwrap_or(&self.id)
    }
}

fn dedup(v: &mut Vec<String>) {
    let set: BTreeSet<String> = v.drain(..).collect();
    v.extend(set);
}

#[cfg(test)]
#[path = "top_report_tests.rs"]
mod tests;
