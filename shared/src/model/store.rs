//! Stores: the physical places image bytes live, found from the chain (live)
//! and from `others` (live or offline), one entry per canonical path.

use serde::{Deserialize, Serialize};

/// Which runtime's on-disk format a store is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StoreRuntime {
    Dockerd,
    Containerd,
    CriO,
}

impl StoreRuntime {
    /// The store format a chain hop or another runtime writes, if it stores images.
    pub fn of(kind: crate::model::chain::HopKind) -> Option<Self> {
        use crate::model::chain::HopKind;
        match kind {
            HopKind::Dockerd => Some(StoreRuntime::Dockerd),
            HopKind::Containerd => Some(StoreRuntime::Containerd),
            HopKind::CriO => Some(StoreRuntime::CriO),
            HopKind::CriDockerd | HopKind::K3s | HopKind::Unknown => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StoreRuntime::Dockerd => "dockerd",
            StoreRuntime::Containerd => "containerd",
            StoreRuntime::CriO => "cri-o",
        }
    }
}

/// One physical store (docs/contract.md §7 `stores[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Store {
    /// `dockerd:/var/lib/docker`, `containerd:/var/lib/containerd`; a
    /// containerd root holding images in several namespaces gets one store
    /// per namespace, `containerd:/var/lib/containerd#k8s.io`.
    pub id: String,
    pub runtime: StoreRuntime,
    /// Canonical host path of the store's root.
    pub path: String,
    /// Device of the root (`st_dev`): with the path, what makes a store one store.
    pub device: Option<u64>,
    pub namespace: Option<String>,
    /// The runtime answers (or its process runs).
    pub live: bool,
    /// On the kubelet/crictl chain.
    pub active: bool,
    /// The socket its runtime serves, if known.
    pub endpoint: Option<String>,
    /// Every endpoint proven to reach this store (CRI and runtime APIs):
    /// two or more is the `alias` proof.
    pub reached_by: Vec<String>,
    /// The chain hops that prove `reached_by`, e.g. `cri-dockerd → dockerd`.
    pub proof: Option<String>,
    pub images: usize,
    /// Real disk usage of the layers and blobs the inventory found.
    pub disk_bytes: u64,
    /// The inventory could not read everything (see `gaps`).
    pub partial: bool,
    pub gaps: Vec<String>,
    /// Containers (running or stopped) whose images this store must keep.
    pub containers: Vec<String>,
}

impl Store {
    pub fn make_id(
        runtime: StoreRuntime,
        path: &str,
        namespace: Option<&str>,
        split_namespaces: bool,
    ) -> String {
        match (namespace, split_namespaces) {
            (Some(ns), true) => format!("{}:{path}#{ns}", runtime.as_str()),
            _ => format!("{}:{path}", runtime.as_str()),
        }
    }
}
