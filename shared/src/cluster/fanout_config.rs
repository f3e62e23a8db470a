//! How a fan-out run behaves, and what each node's agent gives back: the
//! settings the pod builders (run, upload, prune) all read.

use std::time::Duration;

use super::pod::{AgentMode, AgentPod};
use super::prune_pod::{self, PruneOrder};
use crate::model::unknown_reason::UnknownReason;

/// How a run behaves.
#[derive(Debug, Clone)]
pub struct FanoutConfig {
    pub namespace: String,
    pub image: String,
    pub run_id: String,
    pub concurrency: usize,
    /// The agent's scan deadline.
    pub timeout: Duration,
    /// How long a pod may stay Pending before the node is `unknown`.
    pub pending_timeout: Duration,
    /// Debugging only: leave the pods for inspection.
    pub keep_pods: bool,
    pub mode: AgentMode,
    /// Air-gapped: upload this agent binary into a shell pod (`upload.rs`).
    pub agent_binary: Option<std::path::PathBuf>,
    /// A prune run: each node's approved plan (its pod is a prune pod).
    pub prune: std::collections::BTreeMap<String, PruneOrder>,
}

impl FanoutConfig {
    pub fn agent_pod(&self, node: &str) -> AgentPod {
        AgentPod {
            node: node.to_string(),
            namespace: self.namespace.clone(),
            image: self.image.clone(),
            run_id: self.run_id.clone(),
            timeout: self.timeout,
            mode: self.mode,
        }
    }

    /// Seconds a deleted pod gets before it is killed: none for a scan,
    /// the prune pod's grace period for a prune.
    pub fn stop_grace(&self) -> u32 {
        if self.prune.is_empty() {
            0
        } else {
            prune_pod::grace_seconds(self.timeout)
        }
    }
}

/// The largest pod log read: a report is a few hundred KiB even on big
/// nodes; a runaway agent must not run the plugin out of memory.
pub const MAX_LOG_BYTES: usize = 16 << 20;

/// One node's agent: what it printed, or why there is nothing (a docs/contract.md §4
/// `unknown` reason).
pub type AgentOutput = Result<String, UnknownReason>;
