//! The `PruneReport` document: what a prune removed, what it left and why,
//! and the measured proof that the bytes came back.
//!
//! Predicted bytes come from the scan (the judge's layer-exact count);
//! measured bytes from the store's du before and after each removal; freed
//! bytes from the filesystem's free space (statfs), which also moves with
//! anything else writing to that filesystem, so it is shown, not trusted.

use serde::{Deserialize, Serialize};

use crate::model::chain::API_VERSION;

/// One copy removed through its runtime's API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Removed {
    /// The config digest.
    pub image: String,
    pub tags: Vec<String>,
    pub store: String,
    /// The names the runtime deleted (tags, `repo@digest`, `sha256:<id>`).
    pub names: Vec<String>,
    pub predicted_bytes: u64,
    /// The store root's du before minus after this removal.
    pub measured_bytes: u64,
    /// The filesystem's free bytes after minus before (statfs; can be
    /// negative when something else wrote meanwhile).
    pub free_bytes_delta: i64,
}

/// Why a planned copy stayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SkipReason {
    /// A container (running or stopped, any namespace) uses the copy.
    InUse,
    /// The runtime pins the image (CRI `pinned`, containerd's
    /// `io.cri-containerd.pinned` label).
    Pinned,
    /// A pod sandbox (pause) image of a runtime on the node.
    Sandbox,
    /// It matches an `--exclude` pattern.
    Excluded,
    /// The copy is incomplete (`incompleteIn`): its bytes cannot be proven.
    Incomplete,
    /// Its runtime is not running: only the whole store can go
    /// (`--remove-leftover-store`).
    OfflineStore,
    /// The copy is no longer in its store (removed since the scan).
    Gone,
    /// The kept copy is missing or incomplete: this one may be the last.
    KeptCopyMissing,
    /// Ctrl-C came before its turn.
    Interrupted,
}

/// One copy the plan named that stays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Skipped {
    pub image: String,
    pub tags: Vec<String>,
    pub store: String,
    pub reason: SkipReason,
    /// One line for people: what was seen, and where.
    pub detail: String,
    /// The containers that use it (`in-use`), `namespace/id` for containerd.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub containers: Vec<String>,
}

/// One copy whose removal the runtime refused or that failed midway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Failed {
    pub image: String,
    pub store: String,
    pub error: String,
}

/// A whole leftover store removed with `--remove-leftover-store`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeftoverRemoved {
    pub path: String,
    /// The scan's `diskBytes` of the store(s) at that root.
    pub predicted_bytes: u64,
    /// du of the root before (after is 0: it is gone).
    pub measured_bytes: u64,
    pub free_bytes_delta: i64,
    /// The checks that allowed it, one line each.
    pub checks: Vec<String>,
}

/// The kept copies after the prune: present, with the store's du unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeptStore {
    pub store: String,
    /// Images whose copy here was kept because another store's copy went.
    pub images: Vec<String>,
    /// Of those, the ones the rescan no longer finds here (should be none).
    pub missing_after: Vec<String>,
    /// The kept copies' own layers (the scans' layer bytes): equal unless a
    /// kept copy changed.
    pub copy_bytes_before: u64,
    pub copy_bytes_after: u64,
    /// The whole store's du around the removals; on a node whose pods run
    /// from this store it also moves with their containers.
    pub du_before: u64,
    pub du_after: u64,
}

/// The rescan after the removals.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Proof {
    pub kept: Vec<KeptStore>,
    /// Removed images the rescan still calls `duplicate` (a copy the plan
    /// skipped, or a new one). Empty when every planned copy went.
    pub still_duplicate: Vec<String>,
    /// The node's reclaimable bytes before and after.
    pub reclaimable_before: u64,
    pub reclaimable_after: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    pub removed: usize,
    pub skipped: usize,
    pub failed: usize,
    pub predicted_bytes: u64,
    pub measured_bytes: u64,
    pub free_bytes_delta: i64,
}

/// `kind: PruneReport`, one node.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PruneReport {
    pub api_version: String,
    pub kind: String,
    pub node: String,
    pub removed: Vec<Removed>,
    pub skipped: Vec<Skipped>,
    pub failed: Vec<Failed>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub leftover_stores: Vec<LeftoverRemoved>,
    pub totals: Totals,
    /// Ctrl-C stopped the prune: the copies after the current one were
    /// not started (they are `skipped` with reason `interrupted`), and no
    /// rescan ran. A re-run continues from there.
    pub interrupted: bool,
    /// Absent when interrupted, or when nothing was removed.
    pub proof: Option<Proof>,
}

impl PruneReport {
    pub fn new(node: String) -> Self {
        Self {
            api_version: API_VERSION.into(),
            kind: "PruneReport".into(),
            node,
            removed: Vec::new(),
            skipped: Vec::new(),
            failed: Vec::new(),
            leftover_stores: Vec::new(),
            totals: Totals::default(),
            interrupted: false,
            proof: None,
        }
    }

    /// Sums the lists into `totals`.
    pub fn total(&mut self) {
        let removed = &self.removed;
        let leftovers = &self.leftover_stores;
        self.totals = Totals {
            removed: removed.len() + leftovers.len(),
            skipped: self.skipped.len(),
            failed: self.failed.len(),
            predicted_bytes: removed.iter().map(|r| r.predicted_bytes).sum::<u64>()
                + leftovers.iter().map(|l| l.predicted_bytes).sum::<u64>(),
            measured_bytes: removed.iter().map(|r| r.measured_bytes).sum::<u64>()
                + leftovers.iter().map(|l| l.measured_bytes).sum::<u64>(),
            free_bytes_delta: removed.iter().map(|r| r.free_bytes_delta).sum::<i64>()
                + leftovers.iter().map(|l| l.free_bytes_delta).sum::<i64>(),
        };
    }
}

/// `kind: ClusterPruneReport`: a cluster prune, one `PruneReport` per node
/// that had something to remove (or failed).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterPruneReport {
    pub api_version: String,
    pub kind: String,
    pub run_id: String,
    pub nodes: Vec<PruneReport>,
    pub totals: Totals,
}

impl ClusterPruneReport {
    pub fn new(run_id: String, mut nodes: Vec<PruneReport>) -> Self {
        nodes.sort_by(|a, b| a.node.cmp(&b.node));
        let mut totals = Totals::default();
        for n in &nodes {
            let t = &n.totals;
            totals.removed += t.removed;
            totals.skipped += t.skipped;
            totals.failed += t.failed;
            totals.predicted_bytes += t.predicted_bytes;
            totals.measured_bytes += t.measured_bytes;
            totals.free_bytes_delta += t.free_bytes_delta;
        }
        Self {
            api_version: API_VERSION.into(),
            kind: "ClusterPruneReport".into(),
            run_id,
            nodes,
            totals,
        }
    }
}
