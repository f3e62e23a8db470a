//! The removals, one copy at a time: connect to each store once, run the
//! guards again, measure, remove, measure again. Ctrl-C is only looked at
//! between two copies, so a removal is either done or not started, and a
//! second run continues from what is left.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};

use super::guard::{Decision, Sandboxes, check};
use super::job::{PruneJob, StoreAccess, Target};
use super::measure::{delta, du, free_bytes};
use super::report::{Failed, KeptStore, Proof, PruneReport, Removed, SkipReason, Skipped};
use super::store_api::StoreApi;
use crate::host::view::HostView;
use crate::model::image_finding::Verdict;
use crate::model::node_report::NodeReport;
use crate::runtime::RuntimeError;

/// What happened to one copy, as it happens (for progress lines).
#[derive(Debug)]
pub enum Event<'a> {
    Removed(&'a Removed),
    Skipped(&'a Skipped),
    Failed(&'a Failed),
}

/// The stores' APIs, each dialled once per run.
struct Apis<'n> {
    node: &'n HostView,
    open: HashMap<String, Result<StoreApi, String>>,
}

impl Apis<'_> {
    /// Dials `store` unless it was dialled before (a failure is kept too).
    async fn open(&mut self, store: &StoreAccess) {
        if !self.open.contains_key(&store.id) {
            let api = StoreApi::connect(&self.node.host, store, self.node.timeout).await;
            self.open
                .insert(store.id.clone(), api.map_err(|e| e.to_string()));
        }
    }

    /// The API of a store [`Apis::open`] dialled, or why it could not be.
    fn opened(&self, store: &StoreAccess) -> Result<&StoreApi, String> {
        match self.open.get(&store.id) {
            Some(api) => api.as_ref().map_err(Clone::clone),
            None => Err(format!("{} was never dialled", store.id)),
        }
    }
}

/// The guards for every target, nothing removed: which copies would go
/// now, and which stay and why (the plan shown before asking).
pub async fn preview(
    node: &HostView,
    job: &PruneJob,
    sandboxes: &Sandboxes,
) -> (Vec<Target>, Vec<Skipped>, Vec<Failed>) {
    let mut apis = Apis {
        node,
        open: HashMap::new(),
    };
    let (mut go, mut stay, mut failed) = (Vec::new(), job.skipped.clone(), Vec::new());
    for target in &job.targets {
        match decide(&mut apis, target, sandboxes).await {
            Ok(Decision::Remove(_)) => go.push(target.clone()),
            Ok(Decision::Skip {
                reason,
                detail,
                containers,
            }) => stay.push(skipped(target, reason, detail, containers)),
            Err(error) => failed.push(Failed {
                image: target.image.clone(),
                store: target.store.id.clone(),
                error,
            }),
        }
    }
    (go, stay, failed)
}

async fn decide(
    apis: &mut Apis<'_>,
    target: &Target,
    sandboxes: &Sandboxes,
) -> Result<Decision, String> {
    // The kept store first: an unreachable kept store is a reason to stay.
    apis.open(&target.keep).await;
    if let Err(e) = apis.opened(&target.keep) {
        let detail = format!(
            "the kept copy in {} cannot be confirmed: {e}",
            target.keep.id
        );
        return Ok(Decision::Skip {
            reason: SkipReason::KeptCopyMissing,
            detail,
            containers: Vec::new(),
        });
    }
    apis.open(&target.store).await;
    let (api, kept) = (apis.opened(&target.store)?, apis.opened(&target.keep)?);
    check(api, kept, target, sandboxes)
        .await
        .map_err(|e| e.to_string())
}

fn skipped(
    target: &Target,
    reason: SkipReason,
    detail: String,
    containers: Vec<String>,
) -> Skipped {
    Skipped {
        image: target.image.clone(),
        tags: target.tags.clone(),
        store: target.store.id.clone(),
        reason,
        detail,
        containers,
    }
}

/// Removes every target the guards allow, in order, until done or `stop`.
/// When something went and no Ctrl-C came, the report's proof holds the
/// kept stores' du before and after; [`rescanned`] adds what a new scan says.
pub async fn run(
    node: &HostView,
    job: &PruneJob,
    sandboxes: &Sandboxes,
    stop: &AtomicBool,
    on_event: &mut dyn FnMut(Event),
) -> PruneReport {
    let mut report = PruneReport::new(job.node.clone());
    report.skipped = job.skipped.clone();
    let mut kept_before = BTreeMap::new();
    for target in &job.targets {
        let path = &target.keep.path;
        if !kept_before.contains_key(path) {
            kept_before.insert(path.clone(), du(&node.host, path).unwrap_or(0));
        }
    }
    let mut apis = Apis {
        node,
        open: HashMap::new(),
    };
    for target in &job.targets {
        if stop.load(Ordering::SeqCst) {
            report.interrupted = true;
            let detail = "Ctrl-C came before its turn; run the prune again to continue".to_string();
            report
                .skipped
                .push(skipped(target, SkipReason::Interrupted, detail, Vec::new()));
            continue;
        }
        match remove_one(&mut apis, target, sandboxes).await {
            Ok(Ok(removed)) => {
                on_event(Event::Removed(&removed));
                report.removed.push(removed);
            }
            Ok(Err(skip)) => {
                on_event(Event::Skipped(&skip));
                report.skipped.push(skip);
            }
            Err(error) => {
                let failed = Failed {
                    image: target.image.clone(),
                    store: target.store.id.clone(),
                    error,
                };
                on_event(Event::Failed(&failed));
                report.failed.push(failed);
            }
        }
    }
    if !report.interrupted && !report.removed.is_empty() {
        report.proof = Some(Proof {
            kept: kept_stores(node, job, &report, &kept_before),
            ..Default::default()
        });
    }
    report.total();
    report
}

/// The stores that kept a copy of a removed image, with their du before
/// the first removal and after the last.
fn kept_stores(
    node: &HostView,
    job: &PruneJob,
    report: &PruneReport,
    before: &BTreeMap<String, u64>,
) -> Vec<KeptStore> {
    let mut kept: BTreeMap<&str, KeptStore> = BTreeMap::new();
    for removed in &report.removed {
        let Some(target) = job
            .targets
            .iter()
            .find(|t| t.image == removed.image && t.store.id == removed.store)
        else {
            continue;
        };
        let entry = kept.entry(&target.keep.id).or_insert_with(|| KeptStore {
            store: target.keep.id.clone(),
            images: Vec::new(),
            missing_after: Vec::new(),
            copy_bytes_before: 0,
            copy_bytes_after: 0,
            du_before: before.get(&target.keep.path).copied().unwrap_or(0),
            du_after: du(&node.host, &target.keep.path).unwrap_or(0),
        });
        if !entry.images.contains(&removed.image) {
            entry.images.push(removed.image.clone());
        }
    }
    kept.into_values().collect()
}

/// Guards, measure, remove, measure: `Ok(Err(_))` is a skip, `Err` a failure.
async fn remove_one(
    apis: &mut Apis<'_>,
    target: &Target,
    sandboxes: &Sandboxes,
) -> Result<Result<Removed, Skipped>, String> {
    let copy = match decide(apis, target, sandboxes).await? {
        Decision::Remove(copy) => copy,
        Decision::Skip {
            reason,
            detail,
            containers,
        } => {
            return Ok(Err(skipped(target, reason, detail, containers)));
        }
    };
    let host = &apis.node.host;
    let path = &target.store.path;
    let measure = |what: &str, r: std::io::Result<u64>| {
        r.map_err(|e| format!("cannot measure {what} of {path} (nothing removed): {e}"))
    };
    let du_before = measure("the du", du(host, path))?;
    let free_before = measure("the free space", free_bytes(host, path))?;
    let names = apis
        .opened(&target.store)?
        .remove(&target.image, &copy)
        .await
        .map_err(|e: RuntimeError| {
            format!("{e}; the copy may be partly removed: run the prune again")
        })?;
    let du_after = du(host, path).unwrap_or(du_before);
    let free_after = free_bytes(host, path).unwrap_or(free_before);
    Ok(Ok(Removed {
        image: target.image.clone(),
        tags: target.tags.clone(),
        store: target.store.id.clone(),
        names,
        predicted_bytes: target.predicted_bytes,
        measured_bytes: du_before.saturating_sub(du_after),
        free_bytes_delta: delta(free_before, free_after),
    }))
}

/// Completes the proof from a scan after the removals: every kept copy is
/// still in its store, and the removed images are no longer `duplicate`.
pub fn rescanned(report: &mut PruneReport, before: &NodeReport, after: &NodeReport) {
    let Some(proof) = report.proof.as_mut() else {
        return;
    };
    let copy_bytes = |report: &NodeReport, store: &str, ids: &[String]| -> u64 {
        let images = report.images.iter().filter(|i| ids.contains(&i.id));
        let layers = images.flat_map(|i| i.layers.iter().filter(|l| l.store == store));
        layers.map(|l| l.disk_bytes).sum()
    };
    for kept in &mut proof.kept {
        // The rescan may name the store otherwise: a containerd root whose
        // second namespace was emptied is no longer split into `#ns` stores.
        let now = same_store(before, after, &kept.store).unwrap_or_else(|| kept.store.clone());
        kept.copy_bytes_before = copy_bytes(before, &kept.store, &kept.images);
        kept.copy_bytes_after = copy_bytes(after, &now, &kept.images);
        kept.missing_after = kept
            .images
            .iter()
            .filter(|id| {
                !after
                    .images
                    .iter()
                    .any(|i| &i.id == *id && i.stores.contains(&now))
            })
            .cloned()
            .collect();
    }
    proof.still_duplicate = report
        .removed
        .iter()
        .filter(|r| {
            after
                .images
                .iter()
                .any(|i| i.id == r.image && i.verdict == Verdict::Duplicate)
        })
        .map(|r| r.image.clone())
        .collect();
    proof.reclaimable_before = before.reclaimable_bytes;
    proof.reclaimable_after = after.reclaimable_bytes;
}

/// The id in `after` of the store `id` names in `before`: the same runtime,
/// root and namespace (ids carry `#ns` only while a root is split).
fn same_store(before: &NodeReport, after: &NodeReport, id: &str) -> Option<String> {
    let was = before.stores.iter().find(|s| s.id == id)?;
    let same = |s: &&crate::model::store::Store| {
        s.runtime == was.runtime && s.path == was.path && s.namespace == was.namespace
    };
    after.stores.iter().find(same).map(|s| s.id.clone())
}
