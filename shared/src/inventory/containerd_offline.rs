//! A containerd root whose daemon is not running, read completely from its
//! files: names, namespaces and containers from meta.db, the unpacked
//! layers from the overlayfs snapshotter's metadata.db and `snapshots/<id>`
//! directories, images resolved from the content store's blobs. The result
//! matches what [`super::containerd_api`] reads from a live daemon: the same
//! images, the same `"<ns>/<chainid>"` layer keys and bytes (a du of the
//! snapshot's `fs` dir, which is what Snapshots.Usage reports), the blobs of
//! the images only.
//!
//! Without a readable meta.db, the root is read from its blobs alone
//! ([`super::containerd_blobs`]) and says why.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::containerd_api::{SNAPSHOTTER, is_id_ref};
use super::containerd_blobs::{
    CONTENT_DIR, Doc, blob_on_disk, matches_digest, parse_diff_ids, parse_doc, push_unique,
    read_containerd_blobs, read_small,
};
use super::containerd_meta::{
    META_DIR, Namespace, OVERLAY_DIR, Snapshot, load, parse_meta, parse_snapshots,
};
use super::layer_key;
use super::{Container, Image, InventoryError, OnDisk, StoreInventory, chain_ids};
use crate::host::dir_handle::HostDir;
use crate::host::du::DiskUsage;
use crate::host::root::HostRoot;

const SNAPSHOT_LABEL: &str = "containerd.io/gc.ref.snapshot.";

/// An image target resolved: (config digest, DiffIDs, blobs).
type Resolved = (String, Vec<String>, Vec<String>);

/// Reads the containerd root `root` (host path) without its daemon.
pub fn read_containerd_root(host: &HostRoot, root: &str) -> Result<StoreInventory, InventoryError> {
    let root = root.trim_end_matches('/');
    let meta = load(host, &format!("{root}/{META_DIR}"), "meta.db").and_then(|db| {
        let db = db.ok_or_else(|| format!("{root}/{META_DIR}/meta.db is missing"))?;
        parse_meta(&db).map_err(|e| format!("{root}/{META_DIR}/meta.db: {e}"))
    });
    let meta = match meta {
        Ok(meta) => meta,
        Err(why) => {
            let mut inv = read_containerd_blobs(host, root)?;
            inv.gaps.push(format!(
                "{why}: names, namespaces and snapshots are unknown"
            ));
            return Ok(inv);
        }
    };
    let mut inv = StoreInventory::default();
    let overlay = format!("{root}/{OVERLAY_DIR}");
    let snapshots = match load(host, &overlay, "metadata.db") {
        Ok(Some(db)) => parse_snapshots(&db).map_err(|e| format!("{overlay}/metadata.db: {e}")),
        Ok(None) => Ok(BTreeMap::new()), // never unpacked anything
        Err(why) => Err(why),
    };
    let snapshots = snapshots.unwrap_or_else(|why| {
        inv.gaps.push(format!("{why}; unpacked layers not counted"));
        BTreeMap::new()
    });
    let mut content = Content::new(host, root);
    for (ns, meta_ns) in &meta {
        read_namespace(
            host,
            &overlay,
            ns,
            meta_ns,
            &snapshots,
            &mut content,
            &mut inv,
        );
    }
    let mut du = DiskUsage::new();
    let digests: BTreeSet<String> = inv.images.iter().flat_map(|i| i.blobs.clone()).collect();
    for digest in digests {
        match blob_on_disk(&mut du, host, root, &digest, None) {
            Ok(on_disk) => drop(inv.blobs.insert(digest, on_disk)),
            Err(gap) => inv.gaps.push(gap),
        }
    }
    Ok(inv)
}

fn read_namespace(
    host: &HostRoot,
    overlay: &str,
    ns: &str,
    meta: &Namespace,
    snapshots: &BTreeMap<String, Snapshot>,
    content: &mut Content,
    inv: &mut StoreInventory,
) {
    let mut images: BTreeMap<String, Image> = BTreeMap::new();
    let mut name_to_id: HashMap<&str, String> = HashMap::new();
    let mut resolved: HashMap<&str, Option<Resolved>> = HashMap::new();
    for (name, target) in &meta.images {
        let r = resolved
            .entry(target)
            .or_insert_with(|| content.resolve(ns, name, target, &mut inv.gaps));
        let Some((id, diff_ids, blobs)) = r else {
            continue;
        };
        name_to_id.insert(name, id.clone());
        let image = images.entry(id.clone()).or_insert_with(|| Image {
            id: id.clone(),
            tags: Vec::new(),
            repo_digests: Vec::new(),
            chain_ids: chain_ids(diff_ids),
            diff_ids: diff_ids.clone(),
            blobs: Vec::new(),
            namespace: Some(ns.to_string()),
            missing: Vec::new(),
        });
        push_unique(&mut image.blobs, blobs.iter().cloned());
        if name.contains('@') {
            push_unique(&mut image.repo_digests, [name.clone()]);
        } else if !is_id_ref(name) {
            push_unique(&mut image.tags, [name.clone()]);
        }
    }
    let keys = meta.snapshots.get(SNAPSHOTTER);
    let snapshot_dir = HostDir::open(host, format!("{overlay}/snapshots"));
    for image in images.values_mut() {
        image.tags.sort();
        image.repo_digests.sort();
        let labels = meta.content.get(&image.id).into_iter().flatten();
        for name in labels.filter_map(|(k, _)| k.strip_prefix(SNAPSHOT_LABEL)) {
            if name != SNAPSHOTTER {
                inv.gaps.push(format!(
                    "{ns}: image {} is also unpacked in snapshotter {name}; only {SNAPSHOTTER} snapshots are counted",
                    image.id
                ));
            }
        }
        for chain in &image.chain_ids {
            let key = layer_key(Some(ns), chain);
            if inv.layers.contains_key(&key) {
                continue;
            }
            let Some(backend) = keys.and_then(|k| k.get(chain)) else {
                continue; // not unpacked in this namespace
            };
            match size_snapshot(&snapshot_dir, overlay, backend, snapshots) {
                Ok(on_disk) => drop(inv.layers.insert(key, on_disk)),
                Err(gap) => inv.gaps.push(format!("{ns}: layer {chain}: {gap}")),
            }
        }
    }
    for (id, image) in &meta.containers {
        let image_id = name_to_id
            .get(image.as_str())
            .cloned()
            .or_else(|| images.contains_key(image).then(|| image.clone()));
        inv.containers.push(Container {
            id: id.clone(),
            name: id.clone(),
            image_id,
            namespace: Some(ns.to_string()),
        });
    }
    inv.images.extend(images.into_values());
}

/// du of `snapshots/<id>/fs` for the snapshotter key `backend`, as the live
/// Snapshots.Usage counts it (each snapshot on its own).
fn size_snapshot(
    dir: &std::io::Result<HostDir>,
    overlay: &str,
    backend: &str,
    snapshots: &BTreeMap<String, Snapshot>,
) -> Result<OnDisk, String> {
    let snap = snapshots.get(backend).ok_or_else(|| {
        format!("snapshot {backend} is in meta.db but not in {overlay}/metadata.db")
    })?;
    let path = format!("{overlay}/snapshots/{}", snap.id);
    let dir = dir
        .as_ref()
        .map_err(|e| format!("cannot read {overlay}/snapshots: {e} (run as root?)"))?;
    let bytes = dir
        .sub(&snap.id.to_string())
        .and_then(|d| d.disk_usage(&mut DiskUsage::new(), "fs"));
    match bytes {
        Ok(disk_bytes) => Ok(OnDisk {
            path: Some(path),
            disk_bytes,
        }),
        Err(e) => Err(format!("{path}/fs: {e}; its bytes are not counted")),
    }
}

/// The content store's small blobs, read from disk by digest.
struct Content<'a> {
    host: &'a HostRoot,
    root: &'a str,
    dirs: HashMap<String, Option<HostDir>>,
}

impl<'a> Content<'a> {
    fn new(host: &'a HostRoot, root: &'a str) -> Self {
        Self {
            host,
            root,
            dirs: HashMap::new(),
        }
    }

    /// A manifest, index or config blob whose bytes match its digest.
    fn json(&mut self, digest: &str, gaps: &mut Vec<String>) -> Option<Vec<u8>> {
        let (alg, hex) = digest.split_once(':')?;
        let (host, root) = (self.host, self.root);
        let dir = self.dirs.entry(alg.to_string()).or_insert_with(|| {
            HostDir::open(host, format!("{root}/{CONTENT_DIR}/blobs/{alg}")).ok()
        });
        let bytes = read_small(dir.as_ref()?, hex).ok().flatten()?;
        if !matches_digest(digest, &bytes) {
            gaps.push(format!(
                "blob {digest}: content does not match its digest (truncated or corrupt); not read"
            ));
            return None;
        }
        Some(bytes)
    }

    /// Target → (the node's) manifest → config, as the live reader
    /// resolves it: (config digest, DiffIDs, blobs). `None` with a gap when
    /// a piece is missing; `None` alone for an artifact.
    fn resolve(
        &mut self,
        ns: &str,
        name: &str,
        target: &str,
        gaps: &mut Vec<String>,
    ) -> Option<Resolved> {
        let mut blobs = vec![target.to_string()];
        let mut doc = self.json(target, gaps).and_then(|b| parse_doc(&b));
        if let Some(Doc::Index(children)) = doc {
            doc = None;
            for child in children {
                if let Some(m @ Doc::Manifest { .. }) =
                    self.json(&child, gaps).and_then(|b| parse_doc(&b))
                {
                    blobs.push(child);
                    doc = Some(m);
                    break;
                }
            }
        }
        let Some(Doc::Manifest { config, layers }) = doc else {
            gaps.push(format!(
                "{ns}: image {name}: no readable image manifest under {target}; skipped"
            ));
            return None;
        };
        let config = config?;
        let Some(diff_ids) = self.json(&config, gaps).and_then(|b| parse_diff_ids(&b)) else {
            gaps.push(format!(
                "{ns}: image {name}: config blob {config} is missing or not an image config; skipped"
            ));
            return None;
        };
        blobs.push(config.clone());
        blobs.extend(layers);
        Some((config, diff_ids, blobs))
    }
}
