//! The judge: which images are held twice, and what removing the extra
//! copies would really free. Pure logic over inventories, so every rule is
//! unit-tested without a daemon.
//!
//! - Identity is the config digest or the same ordered DiffIDs, never size.
//! - The copy kept is the one in the active store; if the active store does
//!   not hold the image, the first live store's copy; else the first store's.
//! - A copy pinned by a container (running or stopped) is never counted.
//! - Per image, reclaimable is what removing that one copy frees (layers and
//!   blobs no other image in the store uses). The node total is what removing
//!   every removable copy frees together, so layers shared only among removed
//!   copies count there once.

use std::collections::{BTreeSet, HashMap};

use crate::inventory::StoreInventory;
use crate::judge::reclaim::Usage;
pub use crate::model::image_finding::{ImageFinding, LayerCopy, Removal, Verdict};
use crate::model::store::{Store, StoreRuntime};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgement {
    pub images: Vec<ImageFinding>,
    pub verdict: Verdict,
    pub reclaimable_bytes: u64,
    pub findings: Vec<String>,
}

/// Judges every image of a node. `stores[i]` is described by `inventories[i]`.
pub fn judge(stores: &[Store], inventories: &[StoreInventory]) -> Judgement {
    // The images each store would lose if every removable copy went at once.
    let mut plan: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); stores.len()];
    let mut drafts = Vec::new();
    for members in &identity_groups(inventories) {
        drafts.push(draft(stores, inventories, members, &mut plan));
    }

    let usage = Usage::new(stores, inventories);
    let mut images: Vec<ImageFinding> = drafts
        .into_iter()
        .map(|(finding, removals)| price(finding, removals, &usage))
        .collect();
    images.sort_by(|a, b| {
        b.verdict
            .cmp(&a.verdict)
            .then(b.reclaimable_bytes.cmp(&a.reclaimable_bytes))
            .then(a.id.cmp(&b.id))
    });

    let reclaimable_bytes = usage.freed_all(&plan);
    let (verdict, findings) = node_verdict(stores, inventories, &images);
    Judgement {
        images,
        verdict,
        reclaimable_bytes,
        findings,
    }
}

/// A removal not yet priced, with the (store, image) it removes.
type DraftRemoval = (usize, usize, Removal);

/// One identity group's finding, its removals still unpriced: freed bytes
/// need every group's plan first. Unpinned removals join `plan`.
fn draft(
    stores: &[Store],
    inventories: &[StoreInventory],
    members: &[(usize, usize)],
    plan: &mut [BTreeSet<usize>],
) -> (ImageFinding, Vec<DraftRemoval>) {
    let complete = |&(s, i): &(usize, usize)| inventories[s].images[i].missing.is_empty();
    let holding = stores_of(members.iter());
    // Only whole copies count: a copy missing a layer is no proof of a
    // duplicate, and removing it frees an amount nobody can measure.
    let whole = stores_of(members.iter().filter(|m| complete(m)));
    let incomplete: Vec<usize> = holding
        .iter()
        .copied()
        .filter(|s| !whole.contains(s))
        .collect();
    let (first_store, first_image) = members[0];
    let image = &inventories[first_store].images[first_image];
    let keep = pick_keep(stores, if whole.is_empty() { &holding } else { &whole });
    let basis = if whole.is_empty() { vec![keep] } else { whole };
    let (verdict, mut reason) = classify(stores, &basis, keep);
    if let Some(why) = incomplete_note(stores, inventories, members, &incomplete) {
        reason.push_str(&why);
    }
    let mut removals = Vec::new();
    if verdict == Verdict::Duplicate {
        let removable = |(s, i): &&(usize, usize)| *s != keep && complete(&(*s, *i));
        for &(s, i) in members.iter().filter(removable) {
            let removal = removal(&stores[s], &inventories[s], i);
            if removal.pinned_by.is_empty() {
                plan[s].insert(i);
            }
            removals.push((s, i, removal));
        }
    }
    let tags: BTreeSet<String> = members
        .iter()
        .flat_map(|(s, i)| inventories[*s].images[*i].tags.clone())
        .collect();
    let digests: BTreeSet<String> = members
        .iter()
        .flat_map(|(s, i)| inventories[*s].images[*i].repo_digests.clone())
        .collect();
    let finding = ImageFinding {
        id: image.id.clone(),
        tags: tags.into_iter().collect(),
        verdict,
        stores: holding.iter().map(|s| stores[*s].id.clone()).collect(),
        reclaimable_bytes: 0,
        reason,
        diff_ids: image.diff_ids.clone(),
        repo_digests: digests.into_iter().collect(),
        removals: Vec::new(),
        layers: layer_copies(stores, inventories, members),
        incomplete_in: incomplete.iter().map(|s| stores[*s].id.clone()).collect(),
    };
    (finding, removals)
}

/// Removing image `i` from `store`, by its tags (its id when untagged),
/// with the containers that pin it; not yet priced.
fn removal(store: &Store, inv: &StoreInventory, i: usize) -> Removal {
    let copy = &inv.images[i];
    let pinned_by: Vec<String> = inv
        .containers
        .iter()
        .filter(|c| {
            c.image_id.as_deref() == Some(copy.id.as_str()) && c.namespace == copy.namespace
        })
        .map(|c| c.name.clone())
        .collect();
    let refs = if copy.tags.is_empty() {
        vec![copy.id.clone()]
    } else {
        copy.tags.clone()
    };
    Removal {
        store: store.id.clone(),
        namespace: copy.namespace.clone(),
        refs,
        reclaimable_bytes: 0,
        pinned_by,
    }
}

/// Prices each unpinned removal alone, and the finding as their sum.
fn price(mut finding: ImageFinding, removals: Vec<DraftRemoval>, usage: &Usage) -> ImageFinding {
    for (s, i, mut removal) in removals {
        if removal.pinned_by.is_empty() {
            removal.reclaimable_bytes = usage.freed(s, &BTreeSet::from([i]));
        }
        finding.reclaimable_bytes += removal.reclaimable_bytes;
        finding.removals.push(removal);
    }
    finding
}

/// The node's verdict (its worst image, or orphan-store when a stopped
/// runtime still holds images) and the store-level findings behind it.
fn node_verdict(
    stores: &[Store],
    inventories: &[StoreInventory],
    images: &[ImageFinding],
) -> (Verdict, Vec<String>) {
    let mut findings = Vec::new();
    let mut verdict = images
        .iter()
        .map(|f| f.verdict)
        .max()
        .unwrap_or(Verdict::Ok);
    for (store, inv) in stores.iter().zip(inventories) {
        if !store.live && !inv.images.is_empty() {
            findings.push(format!("{}: its runtime is not running; {} image(s) stay on disk (a runtime-switch leftover)", store.id, inv.images.len()));
            verdict = verdict.max(Verdict::OrphanStore);
        }
        if !inv.gaps.is_empty() {
            findings.push(format!(
                "{}: inventory is partial ({} gap(s)); its verdicts may miss images",
                store.id,
                inv.gaps.len()
            ));
        }
    }
    (verdict, findings)
}

/// The distinct stores of some (store, image) pairs, in store order.
fn stores_of<'a>(members: impl Iterator<Item = &'a (usize, usize)>) -> Vec<usize> {
    let set: BTreeSet<usize> = members.map(|(s, _)| *s).collect();
    set.into_iter().collect()
}

/// The copy that stays: the active store's, else a live store's, else the first.
fn pick_keep(stores: &[Store], candidates: &[usize]) -> usize {
    let find = |f: fn(&Store) -> bool| candidates.iter().copied().find(|s| f(&stores[*s]));
    find(|s| s.active)
        .or_else(|| find(|s| s.live))
        .unwrap_or(candidates[0])
}

/// The reason's tail for copies that miss layers: which, and what is missing.
fn incomplete_note(
    stores: &[Store],
    inventories: &[StoreInventory],
    members: &[(usize, usize)],
    incomplete: &[usize],
) -> Option<String> {
    let first = incomplete.first()?;
    let missing = members
        .iter()
        .filter(|(s, _)| s == first)
        .find_map(|(s, i)| inventories[*s].images[*i].missing.first())?;
    let ids: Vec<&str> = incomplete.iter().map(|s| stores[*s].id.as_str()).collect();
    Some(format!(
        "; the copy in {} is incomplete ({missing}), so it is not counted as a duplicate nor as reclaimable",
        ids.join(", ")
    ))
}

/// The on-disk layers of every copy, in layer order.
fn layer_copies(
    stores: &[Store],
    inventories: &[StoreInventory],
    members: &[(usize, usize)],
) -> Vec<LayerCopy> {
    let mut out = Vec::new();
    for &(s, i) in members {
        let image = &inventories[s].images[i];
        for (diff_id, chain_id) in image.diff_ids.iter().zip(&image.chain_ids) {
            if let Some(on_disk) = inventories[s].layers.get(&image.layer_key(chain_id)) {
                out.push(LayerCopy {
                    store: stores[s].id.clone(),
                    diff_id: diff_id.clone(),
                    path: on_disk.path.clone(),
                    disk_bytes: on_disk.disk_bytes,
                });
            }
        }
    }
    out
}

/// Verdict for an image held in `holding` stores, keeping `keep`'s copy.
fn classify(stores: &[Store], holding: &[usize], keep: usize) -> (Verdict, String) {
    let ids = |list: &[usize]| {
        list.iter()
            .map(|s| stores[*s].id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if holding.len() >= 2 {
        let others: Vec<usize> = holding.iter().copied().filter(|s| *s != keep).collect();
        return (
            Verdict::Duplicate,
            format!(
                "held in {} stores; keep {} ({}), remove from {}",
                holding.len(),
                stores[keep].id,
                role(&stores[keep]),
                ids(&others)
            ),
        );
    }
    let store = &stores[keep];
    if !store.live {
        return (
            Verdict::OrphanStore,
            format!("only in {}, whose runtime is not running", store.id),
        );
    }
    if store.reached_by.len() >= 2 {
        let proof = store.proof.as_deref().unwrap_or("the chain");
        return (
            Verdict::Alias,
            format!(
                "one copy in {}: {} reach the same store ({proof})",
                store.id,
                store.reached_by.join(" and ")
            ),
        );
    }
    let active_elsewhere = stores.iter().any(|s| s.active && s.id != store.id);
    if !store.active && active_elsewhere && store.runtime == StoreRuntime::Dockerd {
        return (
            Verdict::Split,
            format!(
                "only in {}, a Docker beside the kubelet's runtime: images started through the host docker.sock (DooD) live here",
                store.id
            ),
        );
    }
    (Verdict::Ok, format!("one copy, in {}", store.id))
}

fn role(store: &Store) -> &'static str {
    match (store.active, store.live) {
        (true, _) => "active",
        (false, true) => "live",
        (false, false) => "offline",
    }
}

/// Groups (store, image) pairs that are the same image: same config digest,
/// or same non-empty ordered DiffIDs.
fn identity_groups(inventories: &[StoreInventory]) -> Vec<Vec<(usize, usize)>> {
    let mut by_key: HashMap<String, usize> = HashMap::new();
    let mut groups: Vec<Vec<(usize, usize)>> = Vec::new();
    for (s, inv) in inventories.iter().enumerate() {
        for (i, image) in inv.images.iter().enumerate() {
            let diff_key = (!image.diff_ids.is_empty()).then(|| image.diff_ids.join(","));
            let found = by_key
                .get(&image.id)
                .copied()
                .or_else(|| diff_key.as_ref().and_then(|k| by_key.get(k).copied()));
            let g = found.unwrap_or_else(|| {
                groups.push(Vec::new());
                groups.len() - 1
            });
            groups[g].push((s, i));
            by_key.insert(image.id.clone(), g);
            if let Some(k) = diff_key {
                by_key.insert(k, g);
            }
        }
    }
    groups
}

#[cfg(test)]
#[path = "verdict_tests.rs"]
pub(crate) mod tests;
