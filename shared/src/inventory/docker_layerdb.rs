//! Docker's layer store on disk: `image/<driver>/layerdb/sha256/<chainid>/`
//! and the `<root>/<driver>/<cache-id>` directory each entry unpacks to.
//!
//! dockerd loads an entry only when its `diff`, `size` and `cache-id` all
//! read (moby `layer/filestore.go`), and drops every image whose layers do
//! not all load. We follow the same rule: a half-written entry is a gap, its
//! bytes are not counted, and every image standing on it is marked
//! `missing`, so it is neither called a duplicate nor counted as
//! reclaimable on guessed data.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::{Image, InventoryError, OnDisk};
use crate::host::capped_read::MAX_LINE;
use crate::host::dir_handle::HostDir;
use crate::host::du::DiskUsage;
use crate::host::root::HostRoot;

/// What `image/<driver>/layerdb/sha256` records, as dockerd would load it.
#[derive(Debug, Default)]
pub(crate) struct LayerDb {
    /// Host path of `image/<driver>/layerdb/sha256`.
    pub dir: PathBuf,
    /// Layers whose directory exists, by ChainID, each measured on its own.
    pub layers: BTreeMap<String, OnDisk>,
    /// ChainID → the DiffID its layerdb `diff` file records.
    pub layer_diffs: BTreeMap<String, String>,
    /// ChainIDs whose layerdb entry exists but is broken (already a gap).
    pub broken: BTreeSet<String>,
}

/// Every entry of the layerdb at `dir` (a host path) and the directory
/// under `layer_root` (`<root>/<driver>`) it names; a broken entry is a gap.
/// Entries are read in parallel: each costs a dozen syscalls and a walk of
/// its layer directory, and a big node has tens of thousands.
pub(crate) fn read_layerdb(
    host: &HostRoot,
    dir: &Path,
    layer_root: &Path,
    gaps: &mut Vec<String>,
) -> Result<LayerDb, InventoryError> {
    let error = |source| InventoryError::Read {
        path: dir.display().to_string(),
        source,
    };
    let layerdb = HostDir::open(host, dir).map_err(error)?;
    let names = layerdb.names().map_err(error)?;
    // A store whose every layer dir is gone still lists its entries: each
    // then reports its directory as missing.
    let layers = HostDir::open(host, layer_root).map_err(|e| e.kind());
    let reads: Vec<Option<Result<(String, OnDisk), String>>> = names
        .par_iter()
        .map(|name| is_hex_digest(name).then(|| read_entry(&layerdb, layer_root, &layers, name)))
        .collect();
    let mut db = LayerDb {
        dir: dir.to_path_buf(),
        ..Default::default()
    };
    for (name, read) in names.iter().zip(reads) {
        let Some(read) = read else {
            let entry = layerdb.entry(name);
            gaps.push(format!("{}: not a ChainID; ignored", entry.display()));
            continue;
        };
        let chain = format!("sha256:{name}");
        match read {
            Ok((diff, on_disk)) => {
                db.layer_diffs.insert(chain.clone(), diff);
                db.layers.insert(chain, on_disk);
            }
            Err(why) => {
                gaps.push(format!("{why}; layer {chain} not counted"));
                db.broken.insert(chain);
            }
        }
    }
    Ok(db)
}

/// One entry as dockerd would load it: its DiffID, and its directory
/// measured on its own (the verdict sums per-layer bytes). The error is a
/// gap naming the file.
fn read_entry(
    layerdb: &HostDir,
    layer_root: &Path,
    layers: &Result<HostDir, std::io::ErrorKind>,
    name: &str,
) -> Result<(String, OnDisk), String> {
    let half = |gap: String| format!("{gap} (half-written layer?)");
    let entry = layerdb
        .sub(name)
        .map_err(|e| half(format!("{}: {e}", layerdb.entry(name).display())))?;
    let diff = read_small(&entry, "diff").map_err(half)?;
    let size = read_small(&entry, "size").map_err(half)?;
    if size.parse::<i64>().is_err() {
        return Err(format!(
            "{}: {size:?} is not a byte count (corrupt)",
            entry.entry("size").display()
        ));
    }
    let file = entry.entry("cache-id");
    let id = read_small(&entry, "cache-id").map_err(half)?;
    if !is_plain_name(&id) {
        return Err(format!(
            "{}: {id:?} is not a directory name",
            file.display()
        ));
    }
    let dir = layer_root.join(&id);
    let disk_bytes = match layers {
        Ok(layers) => layers.disk_usage(&mut DiskUsage::new(), &id),
        Err(kind) => Err((*kind).into()),
    };
    let disk_bytes = disk_bytes.map_err(|e| {
        let why = match e.kind() {
            std::io::ErrorKind::NotFound => "missing".to_string(),
            _ => e.to_string(),
        };
        format!("{}: {why} (named by {})", dir.display(), file.display())
    })?;
    let path = Some(dir.display().to_string());
    Ok((diff, OnDisk { path, disk_bytes }))
}

/// Gaps for image layers the layer store does not back (a missing or
/// half-written layerdb entry, or one whose recorded DiffID disagrees with
/// the image config), and the same facts on each image as `missing`.
pub(crate) fn check_layers(images: &mut [Image], db: &LayerDb, gaps: &mut Vec<String>) {
    for image in images {
        for (i, (chain, diff)) in image.chain_ids.iter().zip(&image.diff_ids).enumerate() {
            let hex = chain.strip_prefix("sha256:").unwrap_or(chain);
            let entry = db.dir.join(hex);
            let missing = if db.broken.contains(chain) {
                // The gap was reported when the entry was read.
                format!("{}: half-written or unreadable", entry.display())
            } else if !db.layers.contains_key(chain) {
                gaps.push(format!(
                    "{}: missing; layer {i} ({diff}) of image {} is not counted",
                    entry.display(),
                    image.id
                ));
                format!("{}: missing", entry.display())
            } else if let Some(recorded) = db.layer_diffs.get(chain).filter(|r| *r != diff) {
                gaps.push(format!(
                    "{}/diff: records {recorded}, but image {} says layer {i} is {diff}",
                    entry.display(),
                    image.id
                ));
                format!("{}/diff: records another layer", entry.display())
            } else {
                continue;
            };
            image
                .missing
                .push(format!("layer {i} ({diff}) at {missing}"));
        }
    }
}

/// A one-line file such as `cache-id` or `diff`, trimmed; the error is a gap.
fn read_small(dir: &HostDir, name: &str) -> Result<String, String> {
    let file = dir.entry(name);
    let text = dir
        .read_capped(name, MAX_LINE)
        .map_err(|e| format!("{}: {e}", file.display()))
        .and_then(|bytes| {
            String::from_utf8(bytes).map_err(|_| format!("{}: not text (corrupt)", file.display()))
        })?;
    match text.trim() {
        "" => Err(format!("{}: empty", file.display())),
        text => Ok(text.to_string()),
    }
}

pub(crate) fn is_hex_digest(name: &str) -> bool {
    name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A cache-id must name a directory below `<root>/<driver>`, never climb out.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains('/')
}
