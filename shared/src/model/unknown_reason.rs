//! Why a node is `unknown` (docs/contract.md §4.2): one variant per case,
//! each with the data it names. `Display` is the one line the report's
//! `reason` holds: a reason word first, then the object and the fix.
//!
//! `NodeReport.reason` stays a string: an agent of another version may send
//! a reason this one does not know, and the documents must parse anyway.
//! Causes from other errors arrive as text, so a reason stays plain data
//! (`Clone`, `Eq`) like the documents it goes into.

use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnknownReason {
    /// The Node is not Ready; no pod is made.
    #[error("NotReady")]
    NotReady,
    /// A Windows node; no pod is made.
    #[error("Windows")]
    Windows,
    /// `--agent-binary` cannot run on the node's OS or architecture.
    #[error(
        "ArchMismatch: the node is {os}/{arch}, --agent-binary is linux/{binary_arch} (ELF {machine})"
    )]
    ArchMismatch {
        os: String,
        arch: String,
        binary_arch: &'static str,
        machine: &'static str,
    },
    /// The pod stayed Pending, with no reason given.
    #[error("PodPending")]
    PodPending,
    /// The pod was not scheduled (`Unschedulable`, …).
    #[error("PodPending: {0}")]
    NotScheduled(String),
    /// The container waits for a reason other than a pull failure; the
    /// kubelet's word is the reason.
    #[error("{0}")]
    Waiting(String),
    /// The node cannot pull the agent image (`ErrImagePull`, `ImagePullBackOff`, …).
    #[error(
        "{reason}: the node cannot pull {image:?}{}; push it to a registry the nodes can reach and pass --image, or pass --agent-binary with an image the nodes already have",
        in_parens(.message)
    )]
    PullFailed {
        reason: String,
        image: String,
        /// The end of the kubelet's message, where its root cause is.
        message: Option<String>,
    },
    /// The kubelet stopped renewing its Lease.
    #[error(
        "NodeLost: the kubelet on {node} has not renewed its lease for {age} s (kube-node-lease/{node}, renewed every {renew_every} s while it runs)"
    )]
    LeaseExpired {
        node: String,
        age: i64,
        renew_every: i64,
    },
    /// The Node's `Ready` condition is not `True`.
    #[error(
        "NodeLost: node {node} is Ready={status} ({}: {})",
        reason.as_deref().unwrap_or("no reason"),
        message.as_deref().unwrap_or("no message")
    )]
    NodeNotReady {
        node: String,
        status: String,
        reason: Option<String>,
        message: Option<String>,
    },
    /// The agent ran past its deadline.
    #[error("Timeout")]
    Timeout,
    #[error("Timeout: the pod watch ended")]
    WatchEnded,
    #[error("Timeout: uploading the agent binary took over {0:?}")]
    UploadTimeout(Duration),
    /// The agent exited non-zero; `last_lines` are its last log or stderr
    /// lines, joined by ` | ` (see [`last_lines`]).
    #[error("AgentFailed: {why}{}", after_colon(.last_lines))]
    AgentFailed { why: String, last_lines: String },
    /// `--agent-binary`: the exec that runs the agent failed.
    #[error("AgentFailed: exec: {0}")]
    ExecFailed(String),
    #[error("BadReport: the agent's output is not a NodeReport ({error}); {bytes} bytes")]
    NotANodeReport { error: String, bytes: usize },
    #[error("BadReport: the agent's output is not a Chain ({0})")]
    NotAChain(String),
    #[error("BadReport: the prune pod's output is not a PruneReport ({0})")]
    NotAPruneReport(String),
    /// The pod log is larger than any report.
    #[error(
        "BadReport: the agent printed more than {mib} MiB; not a report (run it with --keep-pods and read its log)"
    )]
    LogTooLarge { mib: usize },
    /// `--agent-binary`: the exec's stdout is larger than any report.
    #[error("BadReport: the agent printed more than {mib} MiB; not a report")]
    OutputTooLarge { mib: usize },
    #[error("LogUnavailable: {0}")]
    LogUnavailable(String),
    /// Someone else deleted the pod, or the node, mid-run.
    #[error("PodDeleted: the agent pod was deleted before it finished ({phase})")]
    PodDeleted { phase: String },
    #[error("PodDeleted: the agent pod is gone")]
    PodGone,
    /// The server refused to create the pod (403): its message.
    #[error("Forbidden: {0}")]
    CreateForbidden(String),
    #[error("CreateFailed: {0}")]
    CreateFailed(String),
    #[error("UploadFailed: cannot read {}: {error}", path.display())]
    UploadUnreadable { path: PathBuf, error: String },
    /// The exec that receives the binary could not be started.
    #[error("UploadFailed: {0}")]
    UploadExec(String),
    #[error("UploadFailed: streaming the binary: {0}")]
    UploadStream(String),
    /// The receiving shell failed: its exit status and last stderr lines.
    #[error("UploadFailed: {why}{}", after_colon(.last_lines))]
    UploadRefused { why: String, last_lines: String },
    #[error("UploadFailed: no --agent-binary")]
    NoAgentBinary,
    /// `node --local` or the agent: no runtime answered and no store holds an
    /// image; the first dead end names the socket and the fix.
    #[error("NoRuntimeFound: {0}")]
    NoRuntimeFound(String),
}

/// A program's last output lines on one line (`a | b`), trimmed; empty if
/// it said nothing.
pub fn last_lines(text: &str) -> String {
    text.trim().replace('\n', " | ")
}

fn after_colon(lines: &str) -> String {
    if lines.is_empty() {
        String::new()
    } else {
        format!(": {lines}")
    }
}

fn in_parens(message: &Option<String>) -> String {
    message
        .as_deref()
        .map(|m| format!(" ({m})"))
        .unwrap_or_default()
}

#[cfg(test)]
#[path = "unknown_reason_tests.rs"]
mod tests;
