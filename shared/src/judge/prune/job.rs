//! From a NodeReport to the copies a prune may remove: every copy of a
//! `duplicate` image that is not the kept one, with what the re-check needs
//! to reach its store and the kept store. Copies that can never go (in use,
//! excluded, incomplete, in an offline store) are skipped here with their
//! reason; the live guards run again just before each removal.

use serde::{Deserialize, Serialize};

use super::report::{SkipReason, Skipped};
use crate::inventory::chain_ids;
use crate::model::chain::HopKind;
use crate::model::image_finding::{ImageFinding, Removal, Verdict};
use crate::model::node_report::NodeReport;
use crate::model::store::{Store, StoreRuntime};

/// How to reach one store's copy of an image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreAccess {
    pub id: String,
    pub runtime: StoreRuntime,
    /// The store's root (host path): du before and after is measured here.
    pub path: String,
    /// The runtime's own socket (`unix://…`).
    pub endpoint: Option<String>,
    pub namespace: Option<String>,
    /// Every endpoint proven to reach the store (CRI servers in front of it).
    pub reached_by: Vec<String>,
}

impl StoreAccess {
    pub fn of(store: &Store) -> Self {
        Self {
            id: store.id.clone(),
            runtime: store.runtime,
            path: store.path.clone(),
            endpoint: store.endpoint.clone(),
            namespace: store.namespace.clone(),
            reached_by: store.reached_by.clone(),
        }
    }
}

/// One copy to remove.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    /// The config digest.
    pub image: String,
    pub tags: Vec<String>,
    pub store: StoreAccess,
    /// The names the scan saw on this copy.
    pub names: Vec<String>,
    pub predicted_bytes: u64,
    /// Where the copy that stays lives.
    pub keep: StoreAccess,
    /// The layers the kept copy must still have (ChainIDs, in order).
    pub chain_ids: Vec<String>,
}

/// What a prune will try, and what it already knows must stay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PruneJob {
    pub node: String,
    pub targets: Vec<Target>,
    pub skipped: Vec<Skipped>,
    /// The CRI sockets whose `Status` names a sandbox image (the kubelet's,
    /// crictl's and every containerd's): the guards ask them.
    pub cri_sockets: Vec<String>,
}

impl PruneJob {
    pub fn predicted_bytes(&self) -> u64 {
        self.targets.iter().map(|t| t.predicted_bytes).sum()
    }
}

/// `--exclude` patterns: shell globs over an image's tags, repo digests and
/// id (`*` also crosses `/`, so `registry.k8s.io/*` excludes a whole registry).
#[derive(Debug, Clone, Default)]
pub struct Excludes(Vec<glob::Pattern>);

impl Excludes {
    pub fn new(patterns: &[String]) -> Result<Self, glob::PatternError> {
        patterns
            .iter()
            .map(|p| glob::Pattern::new(p))
            .collect::<Result<_, _>>()
            .map(Self)
    }

    /// The first pattern that matches one of the image's names.
    pub fn matching(&self, finding: &ImageFinding) -> Option<&str> {
        let names = || {
            finding
                .tags
                .iter()
                .chain(&finding.repo_digests)
                .chain([&finding.id])
        };
        self.0
            .iter()
            .find(|p| names().any(|n| p.matches(n)))
            .map(glob::Pattern::as_str)
    }
}

/// The job for one node's report.
pub fn job(report: &NodeReport, excludes: &Excludes) -> PruneJob {
    let store = |id: &str| report.stores.iter().find(|s| s.id == id);
    let mut targets = Vec::new();
    let mut skipped = incomplete_copies(report);
    for finding in report
        .images
        .iter()
        .filter(|f| f.verdict == Verdict::Duplicate)
    {
        // The kept copy: held, whole, and not planned for removal.
        let keep = finding.stores.iter().find(|id| {
            !finding.incomplete_in.contains(id) && !finding.removals.iter().any(|r| &r.store == *id)
        });
        let Some(keep) = keep.and_then(|id| store(id)) else {
            continue;
        };
        for removal in &finding.removals {
            let Some(copy) = store(&removal.store) else {
                continue;
            };
            match why_kept(finding, removal, copy, excludes) {
                Some((reason, detail, containers)) => skipped.push(Skipped {
                    image: finding.id.clone(),
                    tags: finding.tags.clone(),
                    store: copy.id.clone(),
                    reason,
                    detail,
                    containers,
                }),
                None => targets.push(target(finding, removal, copy, keep)),
            }
        }
    }
    PruneJob {
        node: report.node.clone(),
        targets,
        skipped,
        cri_sockets: cri_sockets(report),
    }
}

/// A damaged copy is never removed, whatever the image's verdict: with it
/// the image may not even count as a duplicate any more.
fn incomplete_copies(report: &NodeReport) -> Vec<Skipped> {
    let mut skipped = Vec::new();
    for finding in report.images.iter().filter(|f| !f.incomplete_in.is_empty()) {
        for id in &finding.incomplete_in {
            skipped.push(Skipped {
                image: finding.id.clone(),
                tags: finding.tags.clone(),
                store: id.clone(),
                reason: SkipReason::Incomplete,
                detail: format!("the copy in {id} is incomplete; a damaged copy is never removed"),
                containers: Vec::new(),
            });
        }
    }
    skipped
}

/// Why a planned removal stays (the reason, its detail, the containers
/// using the copy), or `None` when it may go.
fn why_kept(
    finding: &ImageFinding,
    removal: &Removal,
    copy: &Store,
    excludes: &Excludes,
) -> Option<(SkipReason, String, Vec<String>)> {
    if !removal.pinned_by.is_empty() {
        // Named as the guards name them: `namespace/id` in containerd.
        let containers: Vec<String> = removal
            .pinned_by
            .iter()
            .map(|c| match &removal.namespace {
                Some(ns) => format!("{ns}/{c}"),
                None => c.clone(),
            })
            .collect();
        let detail = format!(
            "used by container(s) {} in {}",
            containers.join(", "),
            copy.id
        );
        Some((SkipReason::InUse, detail, containers))
    } else if let Some(pattern) = excludes.matching(finding) {
        let detail = format!("matches --exclude {pattern}");
        Some((SkipReason::Excluded, detail, Vec::new()))
    } else if !copy.live {
        let detail = format!(
            "{}'s runtime is not running, so no API can remove one image safely; once nothing needs it, remove the whole store with --remove-leftover-store {}",
            copy.id, copy.path
        );
        Some((SkipReason::OfflineStore, detail, Vec::new()))
    } else {
        None
    }
}

/// Removing `copy` of the image, by its names (containerd also keeps the
/// image under its repo digests), checked against the `keep` copy.
fn target(finding: &ImageFinding, removal: &Removal, copy: &Store, keep: &Store) -> Target {
    let mut names = removal.refs.clone();
    if copy.runtime == StoreRuntime::Containerd {
        names.extend(finding.repo_digests.iter().cloned());
    }
    Target {
        image: finding.id.clone(),
        tags: finding.tags.clone(),
        store: StoreAccess::of(copy),
        names,
        predicted_bytes: removal.reclaimable_bytes,
        keep: StoreAccess::of(keep),
        chain_ids: chain_ids(&finding.diff_ids),
    }
}

/// The CRI endpoints the scan reached, as socket paths, once each.
fn cri_sockets(report: &NodeReport) -> Vec<String> {
    let mut urls: Vec<String> = report
        .kubelet_endpoint
        .iter()
        .filter_map(|k| k.url.clone())
        .collect();
    // Only sockets that answered the scan: the prune pod mounts each one,
    // and a hostPath socket that is not there keeps the pod from starting.
    if let Some(chain) = &report.chain {
        let serves_cri =
            |k: HopKind| matches!(k, HopKind::CriDockerd | HopKind::Containerd | HopKind::CriO);
        let answered = chain.hops.iter().chain(&chain.image_hops);
        let answered = answered.filter(|h| h.error.is_none() && serves_cri(h.kind));
        urls.extend(answered.map(|h| h.endpoint.clone()));
    }
    let containerd = report
        .stores
        .iter()
        .filter(|s| s.runtime == StoreRuntime::Containerd && s.live);
    urls.extend(containerd.filter_map(|s| s.endpoint.clone()));
    let mut sockets: Vec<String> = Vec::new();
    for socket in urls
        .iter()
        .filter_map(|u| crate::host::defaults::unix_path(u))
    {
        if !sockets.iter().any(|s| s == socket) {
            sockets.push(socket.to_string());
        }
    }
    sockets
}

impl PruneJob {
    /// Every socket a prune of this job dials: each copy's store and kept
    /// store (their runtime's own socket, or the CRI in front), and the CRI
    /// sockets the sandbox guard asks. The prune pod mounts exactly these.
    pub fn sockets(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let stores = self.targets.iter().flat_map(|t| [&t.store, &t.keep]);
        let urls = stores.flat_map(|s| s.endpoint.iter().chain(&s.reached_by));
        let paths = urls.filter_map(|u| crate::host::defaults::unix_path(u).map(str::to_string));
        for socket in paths.chain(self.cri_sockets.iter().cloned()) {
            if !out.contains(&socket) {
                out.push(socket);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(tags: &[&str]) -> ImageFinding {
        ImageFinding {
            id: "sha256:aa".into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            verdict: Verdict::Duplicate,
            stores: vec!["a".into(), "b".into()],
            reclaimable_bytes: 10,
            reason: String::new(),
            diff_ids: vec!["sha256:d1".into()],
            repo_digests: vec!["docker.io/x/app@sha256:mm".into()],
            removals: vec![Removal {
                store: "b".into(),
                namespace: None,
                refs: vec!["docker.io/x/app:1".into()],
                reclaimable_bytes: 10,
                pinned_by: Vec::new(),
            }],
            layers: Vec::new(),
            incomplete_in: Vec::new(),
        }
    }

    #[test]
    fn excludes_match_tags_digests_and_ids_across_slashes() {
        let f = finding(&["docker.io/x/app:1"]);
        let hit = |p: &str| {
            Excludes::new(&[p.to_string()])
                .unwrap()
                .matching(&f)
                .is_some()
        };
        assert!(hit("docker.io/*"));
        assert!(hit("*/app:1"));
        assert!(hit("*@sha256:mm"));
        assert!(hit("sha256:aa"));
        assert!(!hit("docker.io/x/app:2"));
        assert!(!hit("quay.io/*"));
        assert!(Excludes::new(&["[".into()]).is_err());
    }
}
