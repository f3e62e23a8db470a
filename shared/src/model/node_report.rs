//! The `NodeReport` document (docs/contract.md §7): a node's stores, its images with
//! their verdicts, and the bytes removing the extra copies frees.

use serde::{Deserialize, Serialize};

use crate::model::chain::{API_VERSION, Chain, EndpointRef};
use crate::model::image_finding::{ImageFinding, Verdict};
use crate::model::store::Store;
use crate::model::unknown_reason::UnknownReason;

/// A workload finding (DooD / DinD pods); filled by the cluster scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodFinding {
    pub namespace: String,
    pub name: String,
    pub finding: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeReport {
    pub api_version: String,
    pub kind: String,
    pub node: String,
    pub verdict: Verdict,
    /// Why the node is `unknown` (an [`UnknownReason`]'s text: a string, so a
    /// reason from an agent of another version still parses), or a one-line
    /// summary otherwise.
    pub reason: Option<String>,
    pub stores: Vec<Store>,
    pub images: Vec<ImageFinding>,
    pub reclaimable_bytes: u64,
    pub pods: Vec<PodFinding>,
    /// Store-level findings: orphan stores, partial inventories.
    pub findings: Vec<String>,
    /// The kubelet's CRI endpoint (its store is `active`), when a kubelet or k3s runs.
    pub kubelet_endpoint: Option<EndpointRef>,
    /// crictl's chain, with its proof.
    /// Absent for a node that could not be scanned.
    pub chain: Option<Chain>,
}

impl NodeReport {
    pub fn new(node: String, chain: Option<Chain>) -> Self {
        Self {
            api_version: API_VERSION.into(),
            kind: "NodeReport".into(),
            node,
            verdict: Verdict::Ok,
            reason: None,
            stores: Vec::new(),
            images: Vec::new(),
            reclaimable_bytes: 0,
            pods: Vec::new(),
            findings: Vec::new(),
            kubelet_endpoint: None,
            chain,
        }
    }

    /// A node that could not be scanned, with a one-line reason (docs/contract.md §4.2).
    pub fn unknown(node: String, reason: UnknownReason) -> Self {
        let mut report = Self::new(node, None);
        report.verdict = Verdict::Unknown;
        report.reason = Some(reason.to_string());
        report
    }

    /// Images worth a line in the table: everything that is not plain `ok`.
    pub fn notable_images(&self) -> impl Iterator<Item = &ImageFinding> {
        self.images.iter().filter(|i| i.verdict != Verdict::Ok)
    }
}
