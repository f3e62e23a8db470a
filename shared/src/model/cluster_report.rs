//! The `ClusterReport` document: every node's `NodeReport`, and the totals.

use serde::{Deserialize, Serialize};

use crate::model::chain::API_VERSION;
use crate::model::image_finding::Verdict;
use crate::model::node_report::NodeReport;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterReport {
    pub api_version: String,
    pub kind: String,
    pub run_id: String,
    pub nodes: Vec<NodeReport>,
    pub reclaimable_bytes: u64,
    /// API requests this run made, by kind: the budget operators can audit with `-v`.
    pub api_calls: ApiCalls,
}

/// Requests per verb; per-node ones are what grows with the cluster.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiCalls {
    pub preflight: u32,
    pub list: u32,
    pub watch: u32,
    pub create: u32,
    pub get: u32,
    pub log: u32,
    pub delete: u32,
    /// Requests that were repeats of a failed one (429, 5xx, timeouts); already
    /// counted in their verb.
    #[serde(default)]
    pub retries: u32,
    /// The most requests made for any one node.
    #[serde(default)]
    pub max_per_node: u32,
}

impl ApiCalls {
    pub fn total(&self) -> u32 {
        self.preflight + self.list + self.watch + self.create + self.get + self.log + self.delete
    }
}

impl ClusterReport {
    pub fn new(run_id: String, mut nodes: Vec<NodeReport>, api_calls: ApiCalls) -> Self {
        nodes.sort_by(|a, b| a.node.cmp(&b.node));
        let reclaimable_bytes = nodes.iter().map(|n| n.reclaimable_bytes).sum();
        Self {
            api_version: API_VERSION.into(),
            kind: "ClusterReport".into(),
            run_id,
            nodes,
            reclaimable_bytes,
            api_calls,
        }
    }

    pub fn any(&self, verdict: Verdict) -> bool {
        self.nodes.iter().any(|n| n.verdict == verdict)
    }
}
