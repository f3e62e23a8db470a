//! `--agent-binary PATH` (air-gapped mode) at the command's edge: the
//! binary is checked before any cluster is contacted, each node's platform
//! before any pod. The upload itself is `imgdup::cluster::upload`.

use anyhow::Result;
use imgdup::cluster::preflight::Need;
use imgdup::cluster::targets;
use imgdup::cluster::upload::{self, AgentBinary};
use imgdup::model::unknown_reason::UnknownReason;
use k8s_openapi::api::core::v1::Node;

use crate::cli::AgentArgs;

/// The local binary, if one was given: an ELF executable for Linux.
pub fn binary(agent: &AgentArgs) -> Result<Option<AgentBinary>> {
    Ok(agent
        .agent_binary
        .as_deref()
        .map(AgentBinary::open)
        .transpose()?)
}

/// The run's permissions, plus `pods/exec` when the binary is uploaded.
pub fn needs(mut needs: Vec<Need>, binary: Option<&AgentBinary>, namespace: &str) -> Vec<Need> {
    if binary.is_some() {
        needs.extend(upload::needs(namespace));
    }
    needs
}

/// Why no pod goes to `node`: NotReady, Windows, or a binary it cannot run.
pub fn skip_reason(binary: Option<&AgentBinary>, node: &Node) -> Option<UnknownReason> {
    targets::skip_reason(node).or_else(|| binary.and_then(|b| b.mismatch(node)))
}

/// What `--dry-run -o yaml` adds above each pod in air-gapped mode.
pub fn dry_run_note(binary: Option<&AgentBinary>, node: &str) -> String {
    let Some(b) = binary else {
        return String::new();
    };
    format!(
        "# air-gapped: once Running, {} ({} bytes, linux/{}) is streamed into {} with\n\
         # pods/exec and run there; the pod is skipped if {node}'s kubernetes.io/arch is not {}\n",
        b.path.display(),
        b.size,
        b.elf.arch,
        upload::UPLOAD_DIR,
        b.elf.arch
    )
}
