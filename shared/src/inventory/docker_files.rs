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

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};

use rayon::prelude::*;

use super::docker_layerdb::{LayerDb, check_layers, is_hex_digest, read_layerdb};
use super::{Container, Image, InventoryError, StoreInventory};
use crate::host::capped_read::{MAX_INDEX, MAX_JSON, read_capped};
use crate::host::dir_handle::HostDir;
use crate::host::root::HostRoot;

/// Reads the Docker data root `root` (a host path, e.g. `/var/lib/docker`)
/// and returns its graph driver and inventory.
pub fn read_docker_root(
    host: &HostRoot,
    root: &str,
) -> Result<(String, StoreInventory), InventoryError> {
    let mut files = read_files(host, Path::new(root), None)?;
    let containers = read_containers(host, Path::new(root), &mut files.gaps);
    let mut gaps = std::mem::take(&mut files.gaps);
    let mut images = std::mem::take(&mut files.images);
    check_layers(&mut images, &files.layerdb, &mut gaps);
    let inventory = StoreInventory {
        images,
        layers: files.layerdb.layers,
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
    /// Host path of `image/<driver>`.
    pub image_dir: PathBuf,
    /// The layers `image/<driver>/layerdb/sha256` records.
    pub layerdb: LayerDb,
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
    let layerdb = read_layerdb(
        host,
        &image_dir.join("layerdb/sha256"),
        &root.join(&driver),
        &mut gaps,
    )?;
    Ok(StoreFiles {
        driver,
        images,
        image_dir,
        layerdb,
        gaps,
    })
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

/// Every image config, read and checked in parallel (a big node has
/// thousands, each a file to open, hash and parse).
fn read_imagedb(
    host: &HostRoot,
    content: &Path,
    gaps: &mut Vec<String>,
) -> Result<Vec<Image>, InventoryError> {
    let error = |source| InventoryError::Read {
        path: content.display().to_string(),
        source,
    };
    let dir = HostDir::open(host, content).map_err(error)?;
    // Leading dot: an atomic write in progress, not an image yet.
    let names: Vec<String> = dir
        .names()
        .map_err(error)?
        .into_iter()
        .filter(|name| !name.starts_with('.'))
        .collect();
    let parsed: Vec<Result<Image, String>> = names
        .par_iter()
        .map(|name| {
            let file = dir.entry(name);
            if !is_hex_digest(name) {
                return Err(format!("{}: not an image digest; ignored", file.display()));
            }
            dir.read_capped(name, MAX_JSON)
                .map_err(|e| e.to_string())
                .and_then(|bytes| {
                    // Docker writes it atomically; a mismatch means corruption.
                    if format!("{:x}", Sha256::digest(&bytes)) != *name {
                        return Err("content does not match its digest (corrupt)".into());
                    }
                    config_diff_ids(&bytes)
                })
                .map(|diff_ids| Image::from_config(format!("sha256:{name}"), diff_ids))
                .map_err(|why| format!("{}: {why}; image skipped", file.display()))
        })
        .collect();
    let mut images = Vec::new();
    for image in parsed {
        match image {
            Ok(image) => images.push(image),
            Err(gap) => gaps.push(gap),
        }
    }
    images.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(images)
}

/// `rootfs.diff_ids` of an image config, absent for a layerless image.
pub(crate) fn config_diff_ids(bytes: &[u8]) -> Result<Vec<String>, String> {
    // The usual config, parsed without building the whole document (a
    // config carries history and env we do not need); anything odd goes
    // the long way, which names what is wrong.
    #[derive(serde::Deserialize)]
    struct Config {
        rootfs: Rootfs,
    }
    #[derive(serde::Deserialize)]
    struct Rootfs {
        diff_ids: Vec<String>,
    }
    // Skipped fields are not checked for UTF-8: check it first (JSON is UTF-8).
    let utf8 = std::str::from_utf8(bytes).map_err(|e| format!("not valid JSON ({e})"))?;
    if let Ok(config) = serde_json::from_str::<Config>(utf8) {
        return Ok(config.rootfs.diff_ids);
    }
    config_diff_ids_checked(bytes)
}

fn config_diff_ids_checked(bytes: &[u8]) -> Result<Vec<String>, String> {
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
    // dockerd unmarshals it into `{"Repositories": {repo: {ref: id}}}`;
    // any other shape would make every image look untagged.
    let shaped = |v: Value| match v.get("Repositories") {
        Some(r @ Value::Object(_)) => Ok(r.clone()),
        _ => Err("has no \"Repositories\" object (corrupt)".to_string()),
    };
    let repos = match read_json(host, file, MAX_INDEX).and_then(shaped) {
        Ok(repos) => repos,
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

/// `containers/<id>/config.v2.json` of every container, running or not.
pub(crate) fn read_containers(
    host: &HostRoot,
    root: &Path,
    gaps: &mut Vec<String>,
) -> Vec<Container> {
    let path = root.join("containers");
    let listed = HostDir::open(host, &path).and_then(|dir| Ok((dir.names()?, dir)));
    let (names, dir) = match listed {
        Ok(listed) => listed,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(), // none ever created
        Err(e) => {
            gaps.push(format!(
                "cannot read {}: {e}; containers unknown",
                path.display()
            ));
            return Vec::new();
        }
    };
    let mut containers = Vec::new();
    for id in names {
        let file = dir.entry(&id).join("config.v2.json");
        let parsed = dir
            .sub(&id)
            .and_then(|c| c.read_capped("config.v2.json", MAX_JSON))
            .map_err(|e| e.to_string())
            .and_then(|bytes| {
                serde_json::from_slice::<Value>(&bytes).map_err(|e| format!("not valid JSON ({e})"))
            });
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
pub(crate) fn list_dir(host: &HostRoot, dir: &Path) -> Result<Vec<String>, InventoryError> {
    HostDir::open(host, dir)
        .and_then(|d| d.names())
        .map_err(|source| InventoryError::Read {
            path: dir.display().to_string(),
            source,
        })
}

/// A JSON file of at most `cap` bytes; the error (unreadable, too large,
/// unparsable) is the text of a gap.
fn read_json(host: &HostRoot, file: &Path, cap: u64) -> Result<Value, String> {
    let bytes = read_capped(&host.local(file), cap).map_err(|e| e.to_string())?;
    serde_json::from_slice(&bytes).map_err(|e| format!("not valid JSON ({e})"))
}
