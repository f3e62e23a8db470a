//! Docker's data root read straight from disk, with or without a dockerd.
//!
//! After a runtime switch nobody answers for `/var/lib/docker`, yet its
//! layers still fill the disk. The graph-driver store is plain files:
//! - `image/<driver>/imagedb/content/sha256/<id>`: image configs (DiffIDs)
//! - `image/<driver>/repositories.json`: tags and repo digests
//! - `image/<driver>/layerdb/sha256/<chainid>/{diff,cache-id}`: which
//!   directory `<root>/<driver>/<cache-id>` unpacks each layer
//! - `containers/<id>/config.v2.json`: containers and the image they pin
//!
//! Whatever is half-written or unparsable becomes a gap naming the file, so
//! a partial store yields a partial answer that says so, never a wrong one.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{Container, Image, InventoryError, OnDisk, StoreInventory};
use crate::hostroot::HostRoot;

/// Reads the Docker data root `root` (a host path, e.g. `/var/lib/docker`)
/// and returns its graph driver and inventory.
pub fn read_docker_root(
    host: &HostRoot,
    root: &str,
) -> Result<(String, StoreInventory), InventoryError> {
    let mut files = read_files(host, Path::new(root), None)?;
    let containers = read_containers(host, Path::new(root), &mut files.gaps);
    let mut gaps = std::mem::take(&mut files.gaps);
    check_layers(&files.images, &files, &mut gaps);
    let inventory = StoreInventory {
        images: files.images,
        layers: files.layers,
        blobs: BTreeMap::new(),
        containers,
        gaps,
    };
    Ok((files.driver, inventory))
}

/// The image and layer store of one data root, as its files record it.
#[derive(Debug, Default)]
pub(crate) struct StoreFiles {
    pub driver: String,
    /// Sorted by id.
    pub images: Vec<Image>,
    /// Layers whose directory exists, by ChainID, each measured on its own.
    pub layers: BTreeMap<String, OnDisk>,
    /// ChainID → the DiffID its layerdb `diff` file records.
    pub layer_diffs: BTreeMap<String, String>,
    /// ChainIDs whose layerdb entry exists but is broken (already a gap).
    pub broken: BTreeSet<String>,
    /// Host path of `image/<driver>`.
    pub image_dir: PathBuf,
    /// Host path of `image/<driver>/layerdb/sha256`.
    pub layerdb: PathBuf,
    pub gaps: Vec<String>,
}

/// Reads images, tags and layers under `root`; `driver` is detected from
/// `image/` unless the daemon told us. Fails only when there is no
/// graph-driver store at all.
pub(crate) fn read_files(
    host: &HostRoot,
    root: &Path,
    driver: Option<&str>,
) -> Result<StoreFiles, InventoryError> {
    let mut gaps = Vec::new();
    let driver = match driver {
        Some(d) => d.to_string(),
        None => detect_driver(host, root, &mut gaps)?,
    };
    let image_dir = root.join("image").join(&driver);
    let content = image_dir.join("imagedb/content/sha256");
    let mut images = read_imagedb(host, &content, &mut gaps)?;
    read_repositories(
        host,
        &image_dir.join("repositories.json"),
        &mut images,
        &mut gaps,
    );
    let layerdb = image_dir.join("layerdb/sha256");
    let mut files = StoreFiles {
        driver,
        images,
        image_dir,
        layerdb,
        gaps,
        ..Default::default()
    };
    read_layerdb(host, root, &mut files)?;
    Ok(files)
}

/// Picks `image/<driver>`. Several exist after a driver change (say aufs
/// to overlay2); the one whose `<root>/<driver>` layer dir exists wins.
fn detect_driver(
    host: &HostRoot,
    root: &Path,
    gaps: &mut Vec<String>,
) -> Result<String, InventoryError> {
    let image = root.join("image");
    let drivers: Vec<String> = list_dir(host, &image)?
        .into_iter()
        .filter(|name| host.local(image.join(name)).is_dir())
        .collect();
    let with_layers: Vec<String> = drivers
        .iter()
        .filter(|d| host.local(root.join(d)).is_dir())
        .cloned()
        .collect();
    let pick = with_layers.first().or(drivers.first()).cloned();
    let Some(driver) = pick else {
        let why = "no graph driver directory (such as overlay2) in it: not a Docker graph-driver store; Docker's containerd image store keeps images in containerd namespace moby";
        return Err(InventoryError::Read {
            path: image.display().to_string(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, why),
        });
    };
    let others: Vec<&String> = drivers.iter().filter(|d| **d != driver).collect();
    if !others.is_empty() {
        gaps.push(format!(
            "{}: several graph drivers ({driver} read, {others:?} not read); their layers are not counted",
            image.display()
        ));
    }
    Ok(driver)
}

fn read_imagedb(
    host: &HostRoot,
    content: &Path,
    gaps: &mut Vec<String>,
) -> Result<Vec<Image>, InventoryError> {
    let mut images = Vec::new();
    for name in list_dir(host, content)? {
        let file = content.join(&name);
        if name.starts_with('.') {
            continue; // an atomic write in progress, not an image yet
        }
        if !is_hex_digest(&name) {
            gaps.push(format!("{}: not an image digest; ignored", file.display()));
            continue;
        }
        let parsed = std::fs::read(host.local(&file))
            .map_err(|e| e.to_string())
            .and_then(|bytes| {
                // Docker writes it atomically; a mismatch means corruption.
                if format!("{:x}", Sha256::digest(&bytes)) != name {
                    return Err("content does not match its digest (corrupt)".into());
                }
                config_diff_ids(&bytes)
            });
        match parsed {
            Ok(diff_ids) => images.push(Image::from_config(format!("sha256:{name}"), diff_ids)),
            Err(why) => gaps.push(format!("{}: {why}; image skipped", file.display())),
        }
    }
    images.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(images)
}

/// `rootfs.diff_ids` of an image config; absent for a layerless image.
pub(crate) fn config_diff_ids(bytes: &[u8]) -> Result<Vec<String>, String> {
    let config: Value =
        serde_json::from_slice(bytes).map_err(|e| format!("not valid JSON ({e})"))?;
    let Some(rootfs) = config.get("rootfs") else {
        return Err("image config has no rootfs".into());
    };
    match rootfs.get("diff_ids") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(ids)) => ids
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| "rootfs.diff_ids holds a non-string".to_string()),
        Some(_) => Err("rootfs.diff_ids is not a list".into()),
    }
}

/// Adds tags (`repo:tag`) and repo digests (`repo@sha256:…`) to `images`.
fn read_repositories(host: &HostRoot, file: &Path, images: &mut [Image], gaps: &mut Vec<String>) {
    let repos = match read_json(host, file) {
        Ok(v) => v.get("Repositories").cloned().unwrap_or(Value::Null),
        Err(why) => {
            gaps.push(format!("{}: {why}; tags unknown", file.display()));
            return;
        }
    };
    // By id: a linear search per reference was quadratic (10k images: 0.2 s).
    let by_id: HashMap<String, usize> = images
        .iter()
        .enumerate()
        .map(|(i, image)| (image.id.clone(), i))
        .collect();
    let refs = repos.as_object().into_iter().flat_map(|m| m.values());
    for (reference, id) in refs.filter_map(Value::as_object).flatten() {
        let Some(image) = id
            .as_str()
            .and_then(|id| by_id.get(id))
            .map(|i| &mut images[*i])
        else {
            gaps.push(format!(
                "{}: {reference} points to {id}, which the imagedb does not hold",
                file.display()
            ));
            continue;
        };
        if reference.contains('@') {
            image.repo_digests.push(reference.clone());
        } else {
            image.tags.push(reference.clone());
        }
    }
    for image in images.iter_mut() {
        image.tags.sort();
        image.repo_digests.sort();
    }
}

/// Every `layerdb/sha256/<chainid>` entry and the directory it names.
fn read_layerdb(
    host: &HostRoot,
    root: &Path,
    files: &mut StoreFiles,
) -> Result<(), InventoryError> {
    let layer_root = root.join(&files.driver);
    for name in list_dir(host, &files.layerdb)? {
        let entry = files.layerdb.join(&name);
        if !is_hex_digest(&name) {
            files
                .gaps
                .push(format!("{}: not a ChainID; ignored", entry.display()));
            continue;
        }
        let chain = format!("sha256:{name}");
        match read_small(host, &entry.join("diff")) {
            Ok(diff) => {
                files.layer_diffs.insert(chain.clone(), diff);
            }
            Err(gap) => files.gaps.push(gap),
        }
        match measure_layer(host, &layer_root, &entry) {
            Ok(on_disk) => {
                files.layers.insert(chain, on_disk);
            }
            Err(why) => {
                files.gaps.push(format!("{why}; layer {chain} not counted"));
                files.broken.insert(chain);
            }
        }
    }
    Ok(())
}

/// The directory a layerdb entry's `cache-id` names, measured on its own
/// (the verdict sums per-layer bytes); the error is a gap naming the file.
fn measure_layer(host: &HostRoot, layer_root: &Path, entry: &Path) -> Result<OnDisk, String> {
    let file = entry.join("cache-id");
    let id = read_small(host, &file).map_err(|gap| format!("{gap} (half-written layer?)"))?;
    if !is_plain_name(&id) {
        return Err(format!(
            "{}: {id:?} is not a directory name",
            file.display()
        ));
    }
    let dir = layer_root.join(&id);
    let disk_bytes = crate::du::disk_bytes(&host.local(&dir)).map_err(|e| {
        let why = match e.kind() {
            std::io::ErrorKind::NotFound => "missing".to_string(),
            _ => e.to_string(),
        };
        format!("{}: {why} (named by {})", dir.display(), file.display())
    })?;
    let path = Some(dir.display().to_string());
    Ok(OnDisk { path, disk_bytes })
}

/// Gaps for image layers the layer store does not back: a missing layerdb
/// entry, or one whose recorded DiffID disagrees with the image config.
pub(crate) fn check_layers(images: &[Image], files: &StoreFiles, gaps: &mut Vec<String>) {
    for image in images {
        for (i, (chain, diff)) in image.chain_ids.iter().zip(&image.diff_ids).enumerate() {
            let hex = chain.strip_prefix("sha256:").unwrap_or(chain);
            let entry = files.layerdb.join(hex);
            if files.broken.contains(chain) {
                continue; // reported when the entry was read
            }
            if !files.layers.contains_key(chain) {
                gaps.push(format!(
                    "{}: missing; layer {i} ({diff}) of image {} is not counted",
                    entry.display(),
                    image.id
                ));
            } else if let Some(recorded) = files.layer_diffs.get(chain).filter(|r| *r != diff) {
                gaps.push(format!(
                    "{}/diff: records {recorded}, but image {} says layer {i} is {diff}",
                    entry.display(),
                    image.id
                ));
            }
        }
    }
}

/// `containers/<id>/config.v2.json` of every container, running or not.
pub(crate) fn read_containers(
    host: &HostRoot,
    root: &Path,
    gaps: &mut Vec<String>,
) -> Vec<Container> {
    let dir = root.join("containers");
    if !host.local(&dir).exists() {
        return Vec::new(); // no container was ever created
    }
    let names = match list_dir(host, &dir) {
        Ok(names) => names,
        Err(e) => {
            gaps.push(format!("{e}; containers unknown"));
            return Vec::new();
        }
    };
    let mut containers = Vec::new();
    for id in names {
        let file = dir.join(&id).join("config.v2.json");
        let parsed = read_json(host, &file);
        let config = match parsed {
            Ok(config) => config,
            Err(why) => {
                gaps.push(format!(
                    "{}: {why}; container {id} not counted",
                    file.display()
                ));
                continue;
            }
        };
        let text = |key: &str| config.get(key).and_then(Value::as_str).map(str::to_string);
        containers.push(Container {
            id: text("ID").unwrap_or(id),
            name: text("Name")
                .unwrap_or_default()
                .trim_start_matches('/')
                .to_string(),
            image_id: text("Image"),
            namespace: None,
        });
    }
    containers.sort_by(|a, b| a.id.cmp(&b.id));
    containers
}

/// Entry names of a host directory, sorted.
fn list_dir(host: &HostRoot, dir: &Path) -> Result<Vec<String>, InventoryError> {
    let error = |source| InventoryError::Read {
        path: dir.display().to_string(),
        source,
    };
    let mut names = Vec::new();
    for entry in std::fs::read_dir(host.local(dir)).map_err(error)? {
        names.push(
            entry
                .map_err(error)?
                .file_name()
                .to_string_lossy()
                .into_owned(),
        );
    }
    names.sort();
    Ok(names)
}

/// A JSON file; the error (unreadable, unparsable) is the text of a gap.
fn read_json(host: &HostRoot, file: &Path) -> Result<Value, String> {
    let bytes = std::fs::read(host.local(file)).map_err(|e| e.to_string())?;
    serde_json::from_slice(&bytes).map_err(|e| format!("not valid JSON ({e})"))
}

/// A one-line file such as `cache-id` or `diff`, trimmed; the error is a gap.
fn read_small(host: &HostRoot, file: &Path) -> Result<String, String> {
    match std::fs::read_to_string(host.local(file)) {
        Ok(text) if !text.trim().is_empty() => Ok(text.trim().to_string()),
        Ok(_) => Err(format!("{}: empty", file.display())),
        Err(e) => Err(format!("{}: {e}", file.display())),
    }
}

fn is_hex_digest(name: &str) -> bool {
    name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A cache-id must name a directory below `<root>/<driver>`, never climb out.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains('/')
}
