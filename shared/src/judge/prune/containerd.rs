//! A containerd store, through containerd's own API: every image record
//! that names the copy in its namespace (tags, `repo@digest` and the CRI
//! plugin's `sha256:<id>`), the containers of every namespace that use it,
//! and its removal with synchronous garbage collection, so the bytes are
//! gone when the call returns and containerd alone decides which shared
//! blobs stay.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use containerd_client::services::v1::containers_client::ContainersClient;
use containerd_client::services::v1::content_client::ContentClient;
use containerd_client::services::v1::images_client::ImagesClient;
use containerd_client::services::v1::namespaces_client::NamespacesClient;
use containerd_client::services::v1::snapshots::StatSnapshotRequest;
use containerd_client::services::v1::snapshots::snapshots_client::SnapshotsClient;
use containerd_client::services::v1::{
    DeleteImageRequest, InfoRequest, ListContainersRequest, ListImagesRequest,
    ListNamespacesRequest,
};
use containerd_client::types::Descriptor;
use tonic::transport::Channel;

use crate::inventory::containerd_api::{Api, SNAPSHOTTER, resolve};
use crate::runtime::{RuntimeError, grpc_channel, with_deadline};

/// The label the CRI plugin sets on images it must never garbage-collect.
const PINNED_LABEL: &str = "io.cri-containerd.pinned";

/// One image record naming the copy.
#[derive(Debug, Clone)]
pub(super) struct Record {
    pub name: String,
    pub target: Descriptor,
    pub pinned: bool,
}

pub(super) struct ContainerdStore {
    channel: Channel,
    shown: PathBuf,
    timeout: Duration,
    /// Target digest → config digest: content is immutable, so each
    /// manifest is read once per run.
    resolved: Mutex<HashMap<String, Option<String>>>,
}

impl ContainerdStore {
    pub async fn connect(
        local: &Path,
        shown: &Path,
        timeout: Duration,
    ) -> Result<Self, RuntimeError> {
        Ok(Self {
            channel: grpc_channel(local, shown, timeout).await?,
            shown: shown.to_path_buf(),
            timeout,
            resolved: Mutex::new(HashMap::new()),
        })
    }

    fn api<'a>(&'a self, ns: &'a str) -> Api<'a> {
        Api {
            channel: self.channel.clone(),
            ns,
            socket: &self.shown,
            timeout: self.timeout,
        }
    }

    /// The records of namespace `ns` whose image is `id`.
    pub async fn records(&self, ns: &str, id: &str) -> Result<Vec<Record>, RuntimeError> {
        let api = self.api(ns);
        let list = |ch, r| async move { ImagesClient::new(ch).list(r).await };
        let listed = api
            .call("Images.List", list, ListImagesRequest::default())
            .await?;
        let mut out = Vec::new();
        for image in listed.map(|r| r.images).unwrap_or_default() {
            let Some(target) = image.target else { continue };
            let cached = self.cached(&target.digest);
            let config = match cached {
                Some(config) => config,
                None => {
                    let resolved = resolve(&api, &image.name, &target, &mut Vec::new()).await?;
                    let config = resolved.map(|r| r.id);
                    self.remember(&target.digest, config.clone());
                    config
                }
            };
            if config.as_deref() == Some(id) {
                let pinned = image
                    .labels
                    .get(PINNED_LABEL)
                    .is_some_and(|v| v == "pinned");
                out.push(Record {
                    name: image.name,
                    target,
                    pinned,
                });
            }
        }
        Ok(out)
    }

    fn cached(&self, digest: &str) -> Option<Option<String>> {
        self.resolved.lock().ok()?.get(digest).cloned()
    }

    fn remember(&self, digest: &str, config: Option<String>) {
        if let Ok(mut map) = self.resolved.lock() {
            map.insert(digest.to_string(), config);
        }
    }

    /// Containers of every namespace whose image is `id` (by one of its
    /// names there, or by the id itself), as `namespace/container-id`.
    pub async fn users(&self, id: &str) -> Result<Vec<String>, RuntimeError> {
        let mut names = NamespacesClient::new(self.channel.clone());
        let call = names.list(ListNamespacesRequest::default());
        let namespaces = with_deadline(
            "containerd",
            "Namespaces.List",
            &self.shown,
            self.timeout,
            call,
        )
        .await?;
        let mut users = Vec::new();
        for ns in namespaces
            .into_inner()
            .namespaces
            .into_iter()
            .map(|n| n.name)
        {
            let api = self.api(&ns);
            let list = |ch, r| async move { ContainersClient::new(ch).list(r).await };
            let containers = api
                .call("Containers.List", list, ListContainersRequest::default())
                .await?;
            let containers = containers.map(|r| r.containers).unwrap_or_default();
            if containers.is_empty() {
                continue;
            }
            let records = self.records(&ns, id).await?;
            for c in containers {
                if c.image == id || records.iter().any(|r| r.name == c.image) {
                    users.push(format!("{ns}/{}", c.id));
                }
            }
        }
        Ok(users)
    }

    /// Whether namespace `ns` still holds the whole image: a record, the
    /// config blob, and a committed snapshot for every layer.
    pub async fn complete(
        &self,
        ns: &str,
        id: &str,
        chain_ids: &[String],
    ) -> Result<Option<String>, RuntimeError> {
        if self.records(ns, id).await?.is_empty() {
            return Ok(Some(format!("namespace {ns} no longer names {id}")));
        }
        let api = self.api(ns);
        let info = |ch, r| async move { ContentClient::new(ch).info(r).await };
        let request = InfoRequest {
            digest: id.to_string(),
        };
        if api.call("Content.Info", info, request).await?.is_none() {
            return Ok(Some(format!("its config blob {id} is gone")));
        }
        for chain in chain_ids {
            let stat = |ch, r| async move { SnapshotsClient::new(ch).stat(r).await };
            let request = StatSnapshotRequest {
                snapshotter: SNAPSHOTTER.into(),
                key: chain.clone(),
            };
            if api.call("Snapshots.Stat", stat, request).await?.is_none() {
                return Ok(Some(format!(
                    "layer {chain} is not unpacked ({SNAPSHOTTER})"
                )));
            }
        }
        Ok(None)
    }

    /// Deletes every record; the last one with synchronous GC. Each delete
    /// names its target, so a containerd that checks it (2.x) refuses a
    /// name that was moved to another image since it was listed.
    pub async fn remove(&self, ns: &str, records: &[Record]) -> Result<Vec<String>, RuntimeError> {
        let api = self.api(ns);
        let mut removed = Vec::new();
        for (i, record) in records.iter().enumerate() {
            let request = DeleteImageRequest {
                name: record.name.clone(),
                sync: i + 1 == records.len(),
                target: Some(record.target.clone()),
            };
            let delete = |ch, r| async move { ImagesClient::new(ch).delete(r).await };
            // NotFound: someone removed that name meanwhile; it is gone either way.
            api.call("Images.Delete", delete, request).await?;
            removed.push(record.name.clone());
        }
        Ok(removed)
    }
}
