//! The chain from crictl's endpoint down to the store: the `Chain` document
//! of docs/contract.md §7 (`apiVersion: imgdup/v1`, `kind: Chain`).

use serde::{Deserialize, Serialize};

use crate::model::evidence::{Confidence, Evidence, Source, confidence_of};

pub const API_VERSION: &str = "imgdup/v1";

/// What a hop is (docs/contract.md §7 `hops[].kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HopKind {
    CriDockerd,
    Dockerd,
    Containerd,
    CriO,
    K3s,
    Unknown,
}

impl HopKind {
    pub fn as_str(self) -> &'static str {
        match self {
            HopKind::CriDockerd => "cri-dockerd",
            HopKind::Dockerd => "dockerd",
            HopKind::Containerd => "containerd",
            HopKind::CriO => "cri-o",
            HopKind::K3s => "k3s",
            HopKind::Unknown => "unknown",
        }
    }
}

/// One daemon on the chain, with the proof of each fact about it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Hop {
    pub kind: HopKind,
    pub endpoint: String,
    pub pid: Option<u32>,
    pub cmdline: Option<String>,
    pub version: Option<String>,
    pub api_version: Option<String>,
    pub root: Option<String>,
    pub driver: Option<String>,
    pub namespace: Option<String>,
    /// Set when the hop runs inside another process (k3s's embedded cri-dockerd).
    pub embedded_in: Option<String>,
    pub confidence: Confidence,
    pub evidence: Vec<Evidence>,
    /// Why the hop could not be fully proven (dead socket, API error).
    pub error: Option<String>,
}

impl Hop {
    pub fn new(kind: HopKind, endpoint: impl Into<String>) -> Self {
        Self {
            kind,
            endpoint: endpoint.into(),
            pid: None,
            cmdline: None,
            version: None,
            api_version: None,
            root: None,
            driver: None,
            namespace: None,
            embedded_in: None,
            confidence: Confidence::Inferred,
            evidence: Vec::new(),
            error: None,
        }
    }

    pub fn prove(&mut self, source: Source, detail: impl Into<String>) {
        self.evidence.push(Evidence::new(source, detail));
        self.confidence = confidence_of(&self.evidence);
    }

    /// Records a failure; the first one is kept as the hop's error.
    pub fn fail(&mut self, error: impl ToString) {
        self.error.get_or_insert_with(|| error.to_string());
    }
}

/// The physical place that holds the image bytes for this chain.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreRef {
    pub path: String,
    pub runtime: HopKind,
    pub namespace: Option<String>,
    pub driver: Option<String>,
    pub confidence: Confidence,
    pub evidence: Vec<Evidence>,
}

/// A runtime found on the node but not on crictl's chain.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OtherRuntime {
    pub kind: HopKind,
    pub endpoint: Option<String>,
    pub root: Option<String>,
    pub namespaces: Vec<String>,
    pub running: bool,
    pub pid: Option<u32>,
    pub version: Option<String>,
    pub evidence: Vec<Evidence>,
}

/// An endpoint as crictl resolves it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointRef {
    /// `None` when nothing answered crictl's default list.
    pub url: Option<String>,
    pub source: Source,
    pub detail: String,
}

/// One dial of crictl's default list, in order, with what it cost.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Probe {
    pub endpoint: String,
    pub ok: bool,
    pub elapsed_ms: f64,
    pub error: Option<String>,
}

/// Which crictl config a command reads.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigRef {
    pub path: String,
    pub source: Source,
    pub loaded: Option<String>,
    pub note: Option<String>,
}

/// What `k3s crictl` (the multicall binary) would talk to instead.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct K3sCrictl {
    pub config_file: Option<String>,
    pub runtime_endpoint: Option<String>,
    pub same_as_crictl: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Chain {
    pub api_version: String,
    pub kind: String,
    pub runtime_endpoint: EndpointRef,
    pub image_endpoint: EndpointRef,
    pub config: ConfigRef,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub probes: Vec<Probe>,
    pub hops: Vec<Hop>,
    /// The image endpoint's own chain, only when it reaches another daemon.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_hops: Vec<Hop>,
    pub store: Option<StoreRef>,
    pub others: Vec<OtherRuntime>,
    pub k3s_crictl: Option<K3sCrictl>,
    pub warnings: Vec<String>,
}

impl Chain {
    /// The first hop error, if the chain could not be proven.
    pub fn first_error(&self) -> Option<&str> {
        self.hops
            .iter()
            .chain(&self.image_hops)
            .find_map(|h| h.error.as_deref())
    }
}
