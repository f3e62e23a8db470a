//! containerd's content store read from disk, for a root whose daemon is not
//! running (an `orphan-store`, docs/contract.md §4) and whose bolt DB (`meta.db`) cannot
//! be read: then only the packed blobs are counted, since tags, namespaces
//! and snapshot keys live in meta.db (read by [`super::containerd_offline`]
//! when it is readable).
//!
//! The JSON helpers here are shared with the live reader
//! ([`super::containerd_api`]), so both agree on what an image is.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{ErrorKind, Read};

use serde::Deserialize;

use super::{Image, InventoryError, OnDisk, StoreInventory};
use crate::host::dir_handle::HostDir;
use crate::host::du::DiskUsage;
use crate::host::root::HostRoot;

/// containerd's content plugin directory under its root.
pub(crate) const CONTENT_DIR: &str = "io.containerd.content.v1.content";

/// Manifests, indexes and configs are small; anything bigger is a layer (or
/// hostile), so we never load it as JSON.
pub(crate) const MAX_JSON: u64 = 4 * 1024 * 1024;

const INDEX_TYPES: [&str; 2] = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];
const MANIFEST_TYPES: [&str; 2] = [
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];
const CONFIG_TYPES: [&str; 2] = [
    "application/vnd.oci.image.config.v1+json",
    "application/vnd.docker.container.image.v1+json",
];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDoc {
    schema_version: Option<u32>,
    media_type: Option<String>,
    config: Option<RawDescriptor>,
    layers: Option<Vec<RawDescriptor>>,
    manifests: Option<Vec<RawDescriptor>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDescriptor {
    media_type: Option<String>,
    digest: String,
    platform: Option<RawPlatform>,
    #[serde(default)]
    annotations: HashMap<String, String>,
}

#[derive(Deserialize)]
struct RawPlatform {
    os: String,
    architecture: String,
}

#[derive(Deserialize)]
struct RawConfig {
    rootfs: RawRootfs,
}

#[derive(Deserialize)]
struct RawRootfs {
    diff_ids: Vec<String>,
}

/// A manifest or index, reduced to what identifies an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Doc {
    /// Child manifests, the preferred platform first (see [`parse_doc`]).
    Index(Vec<String>),
    /// `None` config: an artifact (Helm chart, signature), not an image.
    Manifest {
        config: Option<String>,
        layers: Vec<String>,
    },
}

/// The node's platform in OCI terms, to pick one manifest out of an index.
pub(crate) fn node_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "powerpc64" => "ppc64le",
        other => other,
    }
}

/// Parses an index or image manifest (schemaVersion 2, by mediaType or by
/// shape since OCI makes mediaType optional). Anything else is `None`.
/// Index children come ordered linux/<node arch> first; attestation
/// manifests (BuildKit's `unknown/unknown` entries) are dropped.
pub(crate) fn parse_doc(bytes: &[u8]) -> Option<Doc> {
    let raw: RawDoc = serde_json::from_slice(bytes).ok()?;
    if raw.schema_version != Some(2) {
        return None;
    }
    let mt = raw.media_type.as_deref();
    let is_index = mt.is_some_and(|m| INDEX_TYPES.contains(&m))
        || (mt.is_none() && raw.manifests.is_some() && raw.config.is_none());
    let is_manifest = mt.is_some_and(|m| MANIFEST_TYPES.contains(&m))
        || (mt.is_none() && raw.config.is_some() && raw.layers.is_some());
    if is_index {
        let mut children: Vec<(bool, String)> = raw
            .manifests?
            .into_iter()
            .filter(|d| {
                d.annotations
                    .get("vnd.docker.reference.type")
                    .map(String::as_str)
                    != Some("attestation-manifest")
            })
            .map(|d| {
                let preferred = d
                    .platform
                    .is_some_and(|p| p.os == "linux" && p.architecture == node_arch());
                (!preferred, d.digest)
            })
            .collect();
        children.sort_by_key(|(rank, _)| *rank);
        return Some(Doc::Index(children.into_iter().map(|(_, d)| d).collect()));
    }
    if !is_manifest {
        return None;
    }
    let config = raw.config?;
    let layers = raw.layers?;
    // BuildKit attestations use an image config type but in-toto layers.
    let is_image = config
        .media_type
        .as_deref()
        .is_none_or(|m| CONFIG_TYPES.contains(&m))
        && !layers.iter().any(|l| {
            l.media_type
                .as_deref()
                .is_some_and(|m| m.starts_with("application/vnd.in-toto"))
        });
    Some(Doc::Manifest {
        config: is_image.then_some(config.digest),
        layers: layers.into_iter().map(|d| d.digest).collect(),
    })
}

/// `rootfs.diff_ids` of an image config, `None` when it is not one.
pub(crate) fn parse_diff_ids(bytes: &[u8]) -> Option<Vec<String>> {
    serde_json::from_slice::<RawConfig>(bytes)
        .ok()
        .map(|c| c.rootfs.diff_ids)
}

/// Host path of a blob, `None` for a digest that is not `<alg>:<hex>` (it
/// could otherwise walk out of the content store).
pub(crate) fn blob_host_path(root: &str, digest: &str) -> Option<String> {
    let (alg, hex) = digest.split_once(':')?;
    let ok = !alg.is_empty()
        && !hex.is_empty()
        && alg.bytes().all(|b| b.is_ascii_alphanumeric())
        && hex.bytes().all(|b| b.is_ascii_hexdigit());
    ok.then(|| {
        format!(
            "{}/{CONTENT_DIR}/blobs/{alg}/{hex}",
            root.trim_end_matches('/')
        )
    })
}

/// What a blob occupies on disk; `Err` is the gap to report. One `du` per
/// inventory, so a blob hard-linked under two digests is counted once.
/// `dir` is the blob's algorithm directory, when the caller has it open.
pub(crate) fn blob_on_disk(
    du: &mut DiskUsage,
    host: &HostRoot,
    root: &str,
    digest: &str,
    dir: Option<&HostDir>,
) -> Result<OnDisk, String> {
    let path = blob_host_path(root, digest)
        .ok_or_else(|| format!("blob {digest:?} is not a valid digest; skipped"))?;
    let counted = match (dir, digest.split_once(':')) {
        (Some(dir), Some((_, hex))) => dir.disk_usage(du, hex),
        _ => du.add(&host.local(&path)),
    };
    match counted {
        Ok(disk_bytes) => Ok(OnDisk {
            path: Some(path),
            disk_bytes,
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(format!(
            "blob {digest} is referenced but {path} is missing; its bytes are not counted"
        )),
        Err(e) => Err(format!(
            "blob {digest}: {e}; its bytes are not counted (run as root?)"
        )),
    }
}

/// Reads a blob when it is small enough to be JSON and starts like it,
/// else `None`. Layer tars are skipped after their first bytes, not read
/// whole; anything but a regular file (a FIFO would block) is skipped too.
pub(crate) fn read_small(dir: &HostDir, hex: &str) -> std::io::Result<Option<Vec<u8>>> {
    let (file, len) = match dir.open_file(hex, MAX_JSON) {
        Ok(opened) => opened,
        Err(e) if matches!(e.kind(), ErrorKind::FileTooLarge | ErrorKind::InvalidInput) => {
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    let mut file = file.take(MAX_JSON + 1);
    let mut buf = Vec::with_capacity(len.min(MAX_JSON) as usize + 1);
    (&mut file).take(512).read_to_end(&mut buf)?;
    if buf.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Ok(None);
    }
    file.read_to_end(&mut buf)?;
    Ok((buf.len() as u64 <= MAX_JSON).then_some(buf))
}

/// Whether the bytes hash to their digest. containerd commits a blob only
/// once its digest verifies, so a mismatch is a truncated or corrupt file,
/// whose JSON must not be trusted. Algorithms we cannot check pass.
pub(crate) fn matches_digest(digest: &str, bytes: &[u8]) -> bool {
    use sha2::{Digest, Sha256, Sha512};
    match digest.split_once(':') {
        Some(("sha256", hex)) => format!("{:x}", Sha256::digest(bytes)) == hex,
        Some(("sha512", hex)) => format!("{:x}", Sha512::digest(bytes)) == hex,
        _ => true,
    }
}

/// Reads the content store under `root` (a host path) without the daemon:
/// every blob with its disk usage, and the images its manifests describe
/// (id, DiffIDs, blobs). Tags, namespaces and layers stay empty, and one gap
/// says so. A root that is missing is an error; a content store that never
/// held a blob is an empty inventory.
pub fn read_containerd_blobs(
    host: &HostRoot,
    root: &str,
) -> Result<StoreInventory, InventoryError> {
    let root_local = host.local(root);
    std::fs::metadata(&root_local).map_err(|source| InventoryError::Read {
        path: format!("{root} (containerd root; check the path and --host-root)"),
        source,
    })?;
    let mut inv = StoreInventory::default();
    inv.gaps.push(format!(
        "{root}: read from disk without containerd: only packed blobs are counted; tags, namespaces and unpacked snapshots need the running containerd or a readable meta.db"
    ));
    let content = read_content(host, root, &mut inv)?;
    inv.images = images_of(root, &content, &inv.blobs, &mut inv.gaps);
    Ok(inv)
}

/// The JSON blobs of a content store: manifests and indexes parsed, the
/// rest (image configs, read on demand) kept as bytes.
#[derive(Default)]
struct Content {
    docs: BTreeMap<String, Doc>,
    configs: HashMap<String, Vec<u8>>,
}

/// Walks `blobs/<alg>/<hex>`: every blob's disk usage goes into `inv.blobs`,
/// every verified JSON blob into the returned [`Content`].
fn read_content(
    host: &HostRoot,
    root: &str,
    inv: &mut StoreInventory,
) -> Result<Content, InventoryError> {
    let blobs_dir = format!("{}/{CONTENT_DIR}/blobs", root.trim_end_matches('/'));
    let mut content = Content::default();
    let mut du = DiskUsage::new();
    for alg in list_dir(host, &blobs_dir)? {
        let alg_path = format!("{blobs_dir}/{alg}");
        let dir = HostDir::open(host, &alg_path).map_err(|source| InventoryError::Read {
            path: format!("{alg_path} (run as root to read containerd's content store)"),
            source,
        })?;
        for hex in dir.names().map_err(|source| InventoryError::Read {
            path: alg_path.clone(),
            source,
        })? {
            let digest = format!("{alg}:{hex}");
            let Some(path) = blob_host_path(root, &digest) else {
                continue; // ingest leftovers or foreign files, not blobs
            };
            match blob_on_disk(&mut du, host, root, &digest, Some(&dir)) {
                Ok(on_disk) => drop(inv.blobs.insert(digest.clone(), on_disk)),
                Err(gap) => inv.gaps.push(gap),
            }
            let Some(bytes) = read_json_blob(&dir, &hex, &digest, &path, &mut inv.gaps) else {
                continue;
            };
            match parse_doc(&bytes) {
                Some(doc) => drop(content.docs.insert(digest, doc)),
                None => drop(content.configs.insert(digest, bytes)),
            }
        }
    }
    Ok(content)
}

/// A blob's bytes when it looks like JSON and matches its digest; a blob
/// that cannot be read or does not verify is a gap, never trusted.
fn read_json_blob(
    dir: &HostDir,
    hex: &str,
    digest: &str,
    path: &str,
    gaps: &mut Vec<String>,
) -> Option<Vec<u8>> {
    let bytes = match read_small(dir, hex) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return None,
        Err(e) => {
            gaps.push(format!("cannot read {path}: {e}"));
            return None;
        }
    };
    if !matches_digest(digest, &bytes) {
        gaps.push(format!(
            "{path}: content does not match its digest (truncated or corrupt); not read"
        ));
        return None;
    }
    Some(bytes)
}

/// One image per config that a manifest names, with every blob it uses
/// (the indexes above it included); a missing config skips the image, a
/// missing layer marks it incomplete.
fn images_of(
    root: &str,
    content: &Content,
    blobs_on_disk: &BTreeMap<String, OnDisk>,
    gaps: &mut Vec<String>,
) -> Vec<Image> {
    // Which indexes reference each manifest (directly or through a nested index).
    let mut parents: HashMap<&str, Vec<&str>> = HashMap::new();
    for (digest, doc) in &content.docs {
        if let Doc::Index(children) = doc {
            for child in children {
                parents.entry(child.as_str()).or_default().push(digest);
            }
        }
    }
    let mut images: BTreeMap<String, Image> = BTreeMap::new();
    for (manifest, doc) in &content.docs {
        let Doc::Manifest {
            config: Some(config),
            layers,
        } = doc
        else {
            continue;
        };
        let Some(diff_ids) = content.configs.get(config).and_then(|b| parse_diff_ids(b)) else {
            let why = if blobs_on_disk.contains_key(config) {
                "is not an image config"
            } else {
                "is missing"
            };
            let path = blob_host_path(root, config).unwrap_or_else(|| config.clone());
            gaps.push(format!(
                "manifest {manifest}: config blob {config} ({path}) {why}; image skipped"
            ));
            continue;
        };
        let mut missing = Vec::new();
        for layer in layers.iter().filter(|l| !blobs_on_disk.contains_key(*l)) {
            let path = blob_host_path(root, layer).unwrap_or_else(|| layer.clone());
            gaps.push(format!(
                "manifest {manifest}: layer blob {layer} ({path}) is missing from the content store (discarded after unpack, or a partial pull); the image is not counted as a duplicate or reclaimable"
            ));
            missing.push(format!("layer blob {path}: missing"));
        }
        let mut blobs = ancestors(&parents, manifest);
        blobs.push(manifest.clone());
        blobs.push(config.clone());
        blobs.extend(layers.iter().cloned());
        let image = images
            .entry(config.clone())
            .or_insert_with(|| Image::from_config(config.clone(), diff_ids));
        push_unique(&mut image.blobs, blobs);
        push_unique(&mut image.missing, missing);
    }
    images.into_values().collect()
}

/// Every index above `manifest`, nearest first, each once (cycles are cut).
fn ancestors(parents: &HashMap<&str, Vec<&str>>, manifest: &str) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![manifest];
    let mut out = Vec::new();
    while let Some(d) = todo.pop() {
        for p in parents.get(d).into_iter().flatten() {
            if seen.insert(*p) {
                out.push(p.to_string());
                todo.push(p);
            }
        }
    }
    out
}

/// Appends the digests not already listed, keeping order.
pub(crate) fn push_unique(list: &mut Vec<String>, more: impl IntoIterator<Item = String>) {
    for d in more {
        if !list.contains(&d) {
            list.push(d);
        }
    }
}

/// Names in a directory (host path); a missing directory is empty.
fn list_dir(host: &HostRoot, dir: &str) -> Result<Vec<String>, InventoryError> {
    match HostDir::open(host, dir).and_then(|d| d.names()) {
        Ok(names) => Ok(names),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(Vec::new()),
        Err(source) => Err(InventoryError::Read {
            path: format!("{dir} (run as root to read containerd's content store)"),
            source,
        }),
    }
}
