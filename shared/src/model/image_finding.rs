//! An image across a node's stores, with its verdict (docs/contract.md §4,
//! §7 `images[]`): what the judge gives and every report carries.

use serde::{Deserialize, Serialize};

/// docs/contract.md §4 verdicts, in rising severity: a node takes the worst of its images.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Ok,
    Alias,
    Split,
    Dind,
    OrphanStore,
    Duplicate,
    Unknown,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Alias => "alias",
            Verdict::Split => "split",
            Verdict::Dind => "dind",
            Verdict::OrphanStore => "orphan-store",
            Verdict::Duplicate => "duplicate",
            Verdict::Unknown => "unknown",
        }
    }
}

/// Removing one copy of an image from one store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Removal {
    pub store: String,
    pub namespace: Option<String>,
    /// The names to remove (tags, or the id when untagged).
    pub refs: Vec<String>,
    pub reclaimable_bytes: u64,
    /// Containers that use this copy: it stays, and frees nothing.
    pub pinned_by: Vec<String>,
}

/// One image across the node's stores (docs/contract.md §7 `images[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageFinding {
    pub id: String,
    pub tags: Vec<String>,
    pub verdict: Verdict,
    pub stores: Vec<String>,
    pub reclaimable_bytes: u64,
    pub reason: String,
    pub diff_ids: Vec<String>,
    pub repo_digests: Vec<String>,
    pub removals: Vec<Removal>,
    /// Where each layer of each copy lies on disk, and what it uses.
    pub layers: Vec<LayerCopy>,
    /// Stores whose copy is incomplete (a layer or blob missing): listed in
    /// `stores`, but never counted as a duplicate copy nor as reclaimable.
    #[serde(default)]
    pub incomplete_in: Vec<String>,
}

/// One unpacked layer of one copy of an image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LayerCopy {
    pub store: String,
    pub diff_id: String,
    /// Host path (Docker's layer dir); containerd snapshots are known by key only.
    pub path: Option<String>,
    pub disk_bytes: u64,
}
