//! A running containerd read through its own API (containerd-client): the
//! images of each namespace with their manifests and configs from the content
//! service, the unpacked layers from the overlayfs snapshotter, and the
//! containers that pin images.
//!
//! Layer keys: snapshots belong to a namespace, so the same layer unpacked in
//! two namespaces of one containerd is stored twice while its blob is stored
//! once. containerd layers are therefore always keyed `"<ns>/<chainid>"`
//! (see [`super::layer_key`]); `Image::chain_ids` stay plain ChainIDs.
//!
//! Layer bytes come from Snapshots.Usage, which for overlayfs is a du of the
//! snapshot's `fs` dir (equal to our own du in the lab); the snapshot's own
//! dir and empty `work` dir (8 KiB) are outside it. The numeric snapshot dir
//! is not in the API, so `OnDisk::path` stays `None` rather than guessed.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::time::Duration;

use containerd_client::services::v1::containers_client::ContainersClient;
use containerd_client::services::v1::content_client::ContentClient;
use containerd_client::services::v1::images_client::ImagesClient;
use containerd_client::services::v1::snapshots::UsageRequest;
use containerd_client::services::v1::snapshots::snapshots_client::SnapshotsClient;
use containerd_client::services::v1::{
    InfoRequest, ListContainersRequest, ListImagesRequest, ReadContentRequest,
};
use containerd_client::types::Descriptor;
use tonic::transport::Channel;
use tonic::{Code, Request, Status};

use super::containerd_blobs::{
    Doc, MAX_JSON, blob_on_disk, parse_diff_ids, parse_doc, push_unique,
};
use super::{
    Container, Image, InventoryError, OnDisk, StoreInventory, chain_ids, layer_key,
    on_blocking_thread,
};
use crate::host::du::DiskUsage;
use crate::host::root::HostRoot;
use crate::runtime::{RuntimeError, grpc_channel, with_deadline};

/// The snapshotter whose snapshots we size: containerd's default, the one the
/// CRI plugin, k3s and Docker's containerd image store use.
pub(crate) const SNAPSHOTTER: &str = "overlayfs";
/// Content label that names each snapshotter an image is unpacked in.
const SNAPSHOT_LABEL: &str = "containerd.io/gc.ref.snapshot.";

/// Reads the images, unpacked layers, blobs and containers of `namespaces`
/// from the containerd at `socket` (a host path). `root` is its root (host
/// path), where blob sizes are measured on disk. Images named twice (a tag
/// and the CRI plugin's `sha256:<id>` ref) are merged by config digest.
/// A failed listing is an error; an image that cannot be resolved is a gap.
pub async fn read_containerd_api(
    host: &HostRoot,
    socket: &Path,
    root: &str,
    namespaces: &[String],
    timeout: Duration,
) -> Result<StoreInventory, InventoryError> {
    let channel = grpc_channel(&host.local(socket), socket, timeout).await?;
    let mut inv = StoreInventory::default();
    for ns in namespaces {
        let api = Api {
            channel: channel.clone(),
            ns,
            socket,
            timeout,
        };
        read_namespace(&api, &mut inv).await?;
    }
    let mut digests = BTreeSet::new();
    for image in &inv.images {
        digests.extend(image.blobs.iter().cloned());
    }
    let (host, blob_root) = (host.clone(), root.to_string());
    let measure = move || {
        let mut du = DiskUsage::new();
        digests
            .into_iter()
            .map(|digest| {
                let on_disk = blob_on_disk(&mut du, &host, &blob_root, &digest, None);
                (digest, on_disk)
            })
            .collect::<Vec<_>>()
    };
    for (digest, on_disk) in on_blocking_thread(root, measure).await? {
        match on_disk {
            Ok(on_disk) => drop(inv.blobs.insert(digest, on_disk)),
            Err(gap) => inv.gaps.push(gap),
        }
    }
    Ok(inv)
}

/// A manifest resolved down to the image it describes.
pub(crate) struct Resolved {
    pub id: String,
    pub diff_ids: Vec<String>,
    pub blobs: Vec<String>,
}

async fn read_namespace(api: &Api<'_>, inv: &mut StoreInventory) -> Result<(), InventoryError> {
    let ns = api.ns;
    let listed = api
        .call(
            "Images.List",
            |ch, r| async move { ImagesClient::new(ch).list(r).await },
            ListImagesRequest::default(),
        )
        .await?
        .map(|r| r.images)
        .unwrap_or_default();
    let mut by_target: HashMap<String, Option<Resolved>> = HashMap::new();
    let mut images: BTreeMap<String, Image> = BTreeMap::new();
    let mut name_to_id: HashMap<String, String> = HashMap::new();
    for listed in listed {
        let Some(target) = listed.target else {
            inv.gaps.push(format!(
                "{ns}: image {} has no target descriptor; skipped",
                listed.name
            ));
            continue;
        };
        if !by_target.contains_key(&target.digest) {
            let resolved = resolve(api, &listed.name, &target, &mut inv.gaps).await?;
            by_target.insert(target.digest.clone(), resolved);
        }
        let Some(Some(resolved)) = by_target.get(&target.digest) else {
            continue;
        };
        name_to_id.insert(listed.name.clone(), resolved.id.clone());
        let image = images.entry(resolved.id.clone()).or_insert_with(|| Image {
            id: resolved.id.clone(),
            tags: Vec::new(),
            repo_digests: Vec::new(),
            diff_ids: resolved.diff_ids.clone(),
            chain_ids: chain_ids(&resolved.diff_ids),
            blobs: Vec::new(),
            namespace: Some(ns.to_string()),
            missing: Vec::new(),
        });
        push_unique(&mut image.blobs, resolved.blobs.iter().cloned());
        if listed.name.contains('@') {
            push_unique(&mut image.repo_digests, [listed.name]);
        } else if !is_id_ref(&listed.name) {
            push_unique(&mut image.tags, [listed.name]);
        }
    }
    for image in images.values_mut() {
        image.tags.sort();
        image.repo_digests.sort();
    }
    size_layers(api, &images, inv).await?;
    let containers = api
        .call(
            "Containers.List",
            |ch, r| async move { ContainersClient::new(ch).list(r).await },
            ListContainersRequest::default(),
        )
        .await?
        .map(|r| r.containers)
        .unwrap_or_default();
    for c in containers {
        let image_id = name_to_id
            .get(&c.image)
            .cloned()
            .or_else(|| images.contains_key(&c.image).then(|| c.image.clone()));
        inv.containers.push(Container {
            name: c.id.clone(),
            id: c.id,
            image_id,
            namespace: Some(ns.to_string()),
        });
    }
    inv.images.extend(images.into_values());
    Ok(())
}

/// Sizes every unpacked layer once per namespace. A snapshotter that
/// refuses (say overlayfs is not loaded on this node) is one gap, not one
/// per layer, and not the end of the inventory.
async fn size_layers(
    api: &Api<'_>,
    images: &BTreeMap<String, Image>,
    inv: &mut StoreInventory,
) -> Result<(), RuntimeError> {
    let mut sized: BTreeSet<&str> = BTreeSet::new();
    for image in images.values() {
        note_other_snapshotters(api, image, &mut inv.gaps).await?;
        for chain in image.chain_ids.iter().filter(|c| sized.insert(c)) {
            match api.snapshot_usage(chain).await {
                Ok(None) => {} // not unpacked in this namespace
                Ok(Some(disk_bytes)) => {
                    let on_disk = OnDisk {
                        path: None,
                        disk_bytes,
                    };
                    inv.layers.insert(layer_key(Some(api.ns), chain), on_disk);
                }
                Err(e @ RuntimeError::Call { .. }) => {
                    inv.gaps
                        .push(format!("{e}; layers of namespace {} not counted", api.ns));
                    return Ok(());
                }
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}

/// The CRI plugin names each image a second time by its id (`sha256:<hex>`).
pub(crate) fn is_id_ref(name: &str) -> bool {
    name.strip_prefix("sha256:")
        .is_some_and(|hex| !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Target (manifest, or index → the node's manifest) → config → DiffIDs.
/// `None` (with a gap) when some piece is missing or not an image.
pub(crate) async fn resolve(
    api: &Api<'_>,
    name: &str,
    target: &Descriptor,
    gaps: &mut Vec<String>,
) -> Result<Option<Resolved>, RuntimeError> {
    let ns = api.ns;
    let mut blobs = Vec::new();
    let mut doc = soft(api.read_json(&target.digest).await, gaps)?.and_then(|b| parse_doc(&b));
    if let Some(Doc::Index(children)) = doc {
        blobs.push(target.digest.clone());
        doc = None;
        for child in children {
            let bytes = soft(api.read_json(&child).await, gaps)?;
            if let Some(Doc::Manifest { config, layers }) = bytes.and_then(|b| parse_doc(&b)) {
                blobs.push(child);
                doc = Some(Doc::Manifest { config, layers });
                break;
            }
        }
    } else {
        blobs.push(target.digest.clone());
    }
    let Some(Doc::Manifest { config, layers }) = doc else {
        gaps.push(format!(
            "{ns}: image {name}: no readable image manifest under {}; skipped",
            target.digest
        ));
        return Ok(None);
    };
    let Some(config) = config else {
        return Ok(None); // an artifact (chart, signature), not a container image
    };
    let bytes = soft(api.read_json(&config).await, gaps)?;
    let Some(diff_ids) = bytes.and_then(|b| parse_diff_ids(&b)) else {
        gaps.push(format!(
            "{ns}: image {name}: config blob {config} is missing or not an image config; skipped"
        ));
        return Ok(None);
    };
    blobs.push(config.clone());
    blobs.extend(layers);
    Ok(Some(Resolved {
        id: config,
        diff_ids,
        blobs,
    }))
}

/// A refused read of one blob is a gap, not the end of the inventory; a
/// timeout still aborts (the next call would wait just as long).
fn soft<T>(
    r: Result<Option<T>, RuntimeError>,
    gaps: &mut Vec<String>,
) -> Result<Option<T>, RuntimeError> {
    match r {
        Err(e @ RuntimeError::Call { .. }) => {
            gaps.push(e.to_string());
            Ok(None)
        }
        other => other,
    }
}

/// Adds a gap when the image is unpacked in a snapshotter we do not size
/// (the config blob's `containerd.io/gc.ref.snapshot.<name>` labels say where).
async fn note_other_snapshotters(
    api: &Api<'_>,
    image: &Image,
    gaps: &mut Vec<String>,
) -> Result<(), RuntimeError> {
    let req = InfoRequest {
        digest: image.id.clone(),
    };
    let info = api.call(
        "Content.Info",
        |ch, r| async move { ContentClient::new(ch).info(r).await },
        req,
    );
    let info = soft(info.await, gaps)?.and_then(|r| r.info);
    let labels = info.map(|i| i.labels).unwrap_or_default();
    for name in labels.keys().filter_map(|k| k.strip_prefix(SNAPSHOT_LABEL)) {
        if name != SNAPSHOTTER {
            gaps.push(format!(
                "{}: image {} is also unpacked in snapshotter {name}; only {SNAPSHOTTER} snapshots are counted",
                api.ns, image.id
            ));
        }
    }
    Ok(())
}

/// One namespace of one containerd: every request carries the namespace
/// header and runs under the deadline.
pub(crate) struct Api<'a> {
    pub channel: Channel,
    pub ns: &'a str,
    pub socket: &'a Path,
    pub timeout: Duration,
}

impl Api<'_> {
    /// Runs one unary call; NotFound is `Ok(None)`, not an error.
    pub async fn call<M, T, F, Fut>(
        &self,
        name: &'static str,
        f: F,
        msg: M,
    ) -> Result<Option<T>, RuntimeError>
    where
        F: FnOnce(Channel, Request<M>) -> Fut,
        Fut: std::future::Future<Output = Result<tonic::Response<T>, Status>>,
    {
        let fut = f(self.channel.clone(), self.request(msg)?);
        self.finish(name, async { fut.await.map(tonic::Response::into_inner) })
            .await
    }

    /// Puts `fut` under the deadline; NotFound becomes `Ok(None)`.
    async fn finish<T>(
        &self,
        name: &'static str,
        fut: impl std::future::Future<Output = Result<T, Status>>,
    ) -> Result<Option<T>, RuntimeError> {
        with_deadline("containerd", name, self.socket, self.timeout, async {
            match fut.await {
                Ok(v) => Ok(Some(v)),
                Err(s) if s.code() == Code::NotFound => Ok(None),
                Err(s) => Err(format!(
                    "{:?}: {} (namespace {})",
                    s.code(),
                    s.message(),
                    self.ns
                )),
            }
        })
        .await
    }

    fn request<M>(&self, msg: M) -> Result<Request<M>, RuntimeError> {
        let mut req = Request::new(msg);
        let value = self.ns.parse().map_err(|_| {
            let why = format!("{:?} is not a valid namespace name", self.ns);
            RuntimeError::call("containerd", "namespace", self.socket, why)
        })?;
        req.metadata_mut().insert("containerd-namespace", value);
        Ok(req)
    }

    /// A small blob (manifest, index, config); `None` when absent or larger
    /// than [`MAX_JSON`] (then it is no manifest we could use).
    async fn read_json(&self, digest: &str) -> Result<Option<Vec<u8>>, RuntimeError> {
        let req = self.request(ReadContentRequest {
            digest: digest.to_string(),
            offset: 0,
            size: MAX_JSON as i64 + 1,
        })?;
        let mut client = ContentClient::new(self.channel.clone());
        let read = async move {
            let mut stream = client.read(req).await?.into_inner();
            let mut buf = Vec::new();
            while let Some(chunk) = stream.message().await? {
                buf.extend_from_slice(&chunk.data);
                if buf.len() as u64 > MAX_JSON {
                    return Ok(None);
                }
            }
            Ok(Some(buf))
        };
        Ok(self.finish("Content.Read", read).await?.flatten())
    }

    /// Bytes of the committed snapshot keyed by `chain` (the overlayfs
    /// snapshotter names committed layers by ChainID), `None` when the layer
    /// is not unpacked in this namespace (Usage answers NotFound).
    async fn snapshot_usage(&self, chain: &str) -> Result<Option<u64>, RuntimeError> {
        let req = UsageRequest {
            snapshotter: SNAPSHOTTER.into(),
            key: chain.into(),
        };
        let usage = |ch, r| async move { SnapshotsClient::new(ch).usage(r).await };
        let usage = self.call("Snapshots.Usage", usage, req).await?;
        Ok(usage.map(|u| u64::try_from(u.size).unwrap_or(0)))
    }
}
