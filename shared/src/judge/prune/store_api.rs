//! One copy's store, reached through the API that owns it: dockerd's for a
//! Docker store, containerd's for a containerd store, and the CRI only for
//! a store that no native API reaches (CRI-O, or a native socket that is
//! not reachable from here while a CRI server in front of it is).

use std::path::Path;
use std::time::Duration;

use super::containerd::{ContainerdStore, Record};
use super::docker::DockerStore;
use super::job::StoreAccess;
use crate::host::defaults as d;
use crate::host::root::HostRoot;
use crate::model::store::StoreRuntime;
use crate::runtime::RuntimeError;
use crate::runtime::cri::CriClient;

pub(super) enum StoreApi {
    Docker(DockerStore),
    Containerd(ContainerdStore, String),
    // Boxed: two generated gRPC clients are twice the size of the others.
    Cri(Box<CriClient>),
}

/// The names a copy goes by in its store, and whether its runtime pins it.
#[derive(Debug, Default)]
pub(super) struct CopyNames {
    pub names: Vec<String>,
    /// Docker: the tags to remove one by one.
    pub tags: Vec<String>,
    /// containerd: the records to delete.
    pub records: Vec<Record>,
    pub pinned: bool,
}

impl StoreApi {
    /// The native API when its socket answers, else a CRI endpoint that
    /// reaches the store. The error is the native socket's.
    pub async fn connect(
        host: &HostRoot,
        store: &StoreAccess,
        timeout: Duration,
    ) -> Result<Self, RuntimeError> {
        let native = store
            .endpoint
            .as_deref()
            .and_then(d::unix_path)
            .map(Path::new);
        let native_err = match (store.runtime, native) {
            (StoreRuntime::Dockerd, Some(socket)) => {
                match DockerStore::connect(&host.local(socket), socket, timeout).await {
                    Ok(api) => return Ok(Self::Docker(api)),
                    Err(e) => Some(e),
                }
            }
            (StoreRuntime::Containerd, Some(socket)) => {
                match ContainerdStore::connect(&host.local(socket), socket, timeout).await {
                    Ok(api) => {
                        let ns = store
                            .namespace
                            .clone()
                            .unwrap_or_else(|| d::CRI_NAMESPACE.into());
                        return Ok(Self::Containerd(api, ns));
                    }
                    Err(e) => Some(e),
                }
            }
            _ => None,
        };
        // CRI-O has no API here but the CRI, on its own socket; the others'
        // own socket just failed, so only CRI servers in front of them count.
        let own = native.filter(|_| native_err.is_none());
        let in_front = store
            .reached_by
            .iter()
            .filter_map(|url| d::unix_path(url))
            .map(Path::new)
            .filter(|s| Some(*s) != native);
        let mut cri_err = None;
        for socket in own.into_iter().chain(in_front) {
            let answered = match CriClient::connect(&host.local(socket), socket, timeout).await {
                Ok(client) => client.version().await.map(|_| client),
                Err(e) => Err(e),
            };
            match answered {
                Ok(client) => return Ok(Self::Cri(Box::new(client))),
                Err(e) => {
                    cri_err.get_or_insert(e);
                }
            }
        }
        Err(native_err
            .or(cri_err)
            .unwrap_or_else(|| RuntimeError::NoSocket {
                path: native.unwrap_or(Path::new("")).to_path_buf(),
            }))
    }

    /// The copy as its store holds it now; `names` is empty when it is gone.
    pub async fn names(&self, id: &str) -> Result<CopyNames, RuntimeError> {
        Ok(match self {
            Self::Docker(api) => match api.names(id).await? {
                None => CopyNames::default(),
                Some((tags, digests)) => {
                    let mut names = tags.clone();
                    names.extend(digests);
                    if names.is_empty() {
                        names.push(id.to_string());
                    }
                    CopyNames {
                        names,
                        tags,
                        ..Default::default()
                    }
                }
            },
            Self::Containerd(api, ns) => {
                let records = api.records(ns, id).await?;
                CopyNames {
                    names: records.iter().map(|r| r.name.clone()).collect(),
                    pinned: records.iter().any(|r| r.pinned),
                    records,
                    ..Default::default()
                }
            }
            Self::Cri(client) => {
                let image = client.list_images().await?.into_iter().find(|i| i.id == id);
                match image {
                    None => CopyNames::default(),
                    Some(i) => CopyNames {
                        names: if i.repo_tags.is_empty() {
                            vec![id.to_string()]
                        } else {
                            i.repo_tags
                        },
                        pinned: i.pinned,
                        ..Default::default()
                    },
                }
            }
        })
    }

    /// Containers, running or stopped, that use the image.
    pub async fn users(&self, id: &str) -> Result<Vec<String>, RuntimeError> {
        match self {
            Self::Docker(api) => api.users(id).await,
            Self::Containerd(api, _) => api.users(id).await,
            Self::Cri(client) => Ok(client
                .list_containers()
                .await?
                .into_iter()
                .filter(|(_, _, image)| image == id)
                .map(|(cid, name, _)| if name.is_empty() { cid } else { name })
                .collect()),
        }
    }

    /// Why the copy here is not whole, or `None` when it is.
    pub async fn incomplete(
        &self,
        id: &str,
        chain_ids: &[String],
    ) -> Result<Option<String>, RuntimeError> {
        match self {
            Self::Containerd(api, ns) => api.complete(ns, id, chain_ids).await,
            // dockerd refuses to inspect an image whose layer directory is gone.
            Self::Docker(_) | Self::Cri(_) => Ok(match self.names(id).await {
                Ok(n) if n.names.is_empty() => Some(format!("{id} is no longer there")),
                Ok(_) => None,
                Err(e) => Some(e.to_string()),
            }),
        }
    }

    /// Removes the copy under every name it has; returns those names.
    pub async fn remove(&self, id: &str, copy: &CopyNames) -> Result<Vec<String>, RuntimeError> {
        match self {
            Self::Docker(api) => api.remove(id, &copy.tags).await,
            Self::Containerd(api, ns) => api.remove(ns, &copy.records).await,
            Self::Cri(client) => {
                client.remove_image(id).await?;
                Ok(copy.names.clone())
            }
        }
    }
}
