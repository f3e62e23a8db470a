//! Air-gapped mode, `--agent-binary PATH`: no agent image on the nodes.
//!
//! The agent pod runs an image the nodes already have (`--image`) with
//! `sh`, `cat`, `chmod`, `mv` and `sleep` (busybox, alpine, debian...). Its
//! container only waits, bounded by `activeDeadlineSeconds`, with a small
//! emptyDir at [`UPLOAD_DIR`]: the root filesystem stays read-only and every
//! other docs/contract.md §5 rule holds. Once it runs, two execs over the websocket
//! protocol (kube-rs `Api::exec`):
//! 1. `sh -c 'cat > PART && chmod 0755 PART && mv PART AGENT'`, the local
//!    binary streamed on stdin; its exit status says whether it landed;
//! 2. `AGENT agent --host-root /host ...`, the image mode's command line,
//!    whose stdout is the report (what the pod log is in the image mode).
//!
//! Before any pod, each node's `kubernetes.io/os` and `kubernetes.io/arch`
//! labels are checked against the binary's ELF header (class, byte order
//! and machine): an amd64 binary is never sent to an arm64 node.

use std::path::{Path, PathBuf};
use std::time::Duration;

use k8s_openapi::api::core::v1::{Container, EmptyDirVolumeSource, Node, Pod, Volume, VolumeMount};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Status;
use kube::Api;
use kube::api::AttachParams;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use super::calls::{Calls, Verb};
use super::fanout_config::{AgentOutput, FanoutConfig, MAX_LOG_BYTES};
use super::pod::{AGENT_PATH, DEADLINE_MARGIN};
use super::preflight::Need;
use crate::model::unknown_reason::{UnknownReason, last_lines};

/// The writable emptyDir the binary is uploaded into.
pub const UPLOAD_DIR: &str = "/imgdup";
const VOLUME: &str = "agent-binary";
const CONTAINER: &str = "agent";
/// Bytes per websocket message of the upload.
const CHUNK: usize = 256 << 10;

/// What a binary runs on, from its ELF header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Elf {
    /// GOARCH-style, as in the `kubernetes.io/arch` label.
    pub arch: &'static str,
    /// The machine as `file(1)` names it.
    pub machine: &'static str,
    /// Linux (or System V) ABI.
    pub linux: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// The read error is only in `source`: printed as a chain, it is said once.
    #[error("--agent-binary {}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("--agent-binary {}: {why}; it must be the Linux kubectl-imgdup executable for the nodes' architecture", path.display())]
    NotAgent { path: PathBuf, why: String },
}

/// Reads an ELF header: `Err` says why it is not a Linux executable we can run.
pub fn elf(header: &[u8]) -> Result<Elf, String> {
    if header.len() < 20 || &header[..4] != b"\x7fELF" {
        return Err("not an ELF executable".into());
    }
    let (class, little) = (header[4], header[5] == 1);
    let raw = [header[18], header[19]];
    let machine = if little {
        u16::from_le_bytes(raw)
    } else {
        u16::from_be_bytes(raw)
    };
    let (arch, name) = match (machine, class, little) {
        (62, 2, true) => ("amd64", "x86-64"),
        (183, 2, true) => ("arm64", "ARM aarch64"),
        (40, 1, true) => ("arm", "ARM"),
        (3, 1, true) => ("386", "Intel 80386"),
        (243, 2, true) => ("riscv64", "RISC-V"),
        (21, 2, true) => ("ppc64le", "64-bit PowerPC"),
        (22, 2, false) => ("s390x", "IBM S/390"),
        (258, 2, true) => ("loong64", "LoongArch"),
        _ => {
            return Err(format!(
                "ELF machine {machine} ({}-bit, {}) is no Kubernetes node architecture",
                if class == 2 { 64 } else { 32 },
                if little { "LSB" } else { "MSB" }
            ));
        }
    };
    Ok(Elf {
        arch,
        machine: name,
        linux: matches!(header[7], 0 | 3),
    })
}

/// The local agent binary, checked once before any pod.
#[derive(Debug, Clone)]
pub struct AgentBinary {
    pub path: PathBuf,
    pub size: u64,
    pub elf: Elf,
}

impl AgentBinary {
    pub fn open(path: &Path) -> Result<Self, UploadError> {
        let read = |source| UploadError::Read {
            path: path.to_path_buf(),
            source,
        };
        let mut header = [0u8; 64];
        let mut file = std::fs::File::open(path).map_err(read)?;
        let size = file.metadata().map_err(read)?.len();
        let n = std::io::Read::read(&mut file, &mut header).map_err(read)?;
        let not = |why: String| UploadError::NotAgent {
            path: path.to_path_buf(),
            why,
        };
        let elf = elf(&header[..n]).map_err(not)?;
        if !elf.linux {
            return Err(not(format!("a non-Linux ELF ({})", elf.machine)));
        }
        Ok(Self {
            path: path.to_path_buf(),
            size,
            elf,
        })
    }

    /// `Some(reason)` when `node`'s labels say the binary cannot run there
    /// (missing labels are not held against it).
    pub fn mismatch(&self, node: &Node) -> Option<UnknownReason> {
        let labels = node.metadata.labels.clone().unwrap_or_default();
        let info = node.status.as_ref().and_then(|s| s.node_info.as_ref());
        let os = labels
            .get("kubernetes.io/os")
            .cloned()
            .or(info.map(|i| i.operating_system.clone()));
        let arch = labels
            .get("kubernetes.io/arch")
            .cloned()
            .or(info.map(|i| i.architecture.clone()));
        let os_ok = os.as_deref().is_none_or(|o| o == "linux");
        let arch_ok = arch.as_deref().is_none_or(|a| a == self.elf.arch);
        (!(os_ok && arch_ok)).then(|| UnknownReason::ArchMismatch {
            os: os.unwrap_or_else(|| "?".into()),
            arch: arch.unwrap_or_else(|| "?".into()),
            binary_arch: self.elf.arch,
            machine: self.elf.machine,
        })
    }
}

/// The permissions the uploads add to a run (websocket exec is a GET
/// authorized as `create` since Kubernetes 1.31, `get` before).
pub fn needs(namespace: &str) -> Vec<Need> {
    ["create", "get"]
        .into_iter()
        .map(|verb| Need {
            verb,
            resource: "pods",
            subresource: Some("exec"),
            namespace: Some(namespace.to_string()),
            why: "upload and run --agent-binary in each agent pod",
        })
        .collect()
}

/// Turns an agent pod into its air-gapped form: the same pod, whose
/// container waits in a shell with a writable emptyDir for the binary.
pub fn shell_pod(mut pod: Pod) -> Pod {
    let Some(spec) = pod.spec.as_mut() else {
        return pod;
    };
    let wait = spec.active_deadline_seconds.unwrap_or(3600).max(1);
    spec.volumes.get_or_insert_with(Vec::new).push(Volume {
        name: VOLUME.into(),
        empty_dir: Some(EmptyDirVolumeSource {
            size_limit: Some(Quantity("512Mi".into())),
            ..Default::default()
        }),
        ..Default::default()
    });
    for c in spec.containers.iter_mut() {
        // TERM ends the wait at once: a deleted pod goes without its grace period.
        c.command = Some(vec![
            "sh".into(),
            "-c".into(),
            format!("trap 'exit 0' TERM; sleep {wait} & wait"),
        ]);
        c.args = None;
        c.volume_mounts
            .get_or_insert_with(Vec::new)
            .push(VolumeMount {
                name: VOLUME.into(),
                mount_path: UPLOAD_DIR.into(),
                read_only: Some(false),
                ..Default::default()
            });
    }
    pod
}

/// The image mode's command line, pointed at the uploaded binary.
pub fn agent_command(agent: &Container) -> Vec<String> {
    let dest = format!("{UPLOAD_DIR}{AGENT_PATH}");
    agent
        .command
        .iter()
        .flatten()
        .chain(agent.args.iter().flatten())
        .map(|w| {
            if w == AGENT_PATH {
                dest.clone()
            } else {
                w.clone()
            }
        })
        .collect()
}

/// Up to `cap` bytes of a stream (the rest is drained and dropped).
async fn read_capped(reader: Option<impl AsyncRead + Unpin>, cap: usize) -> Vec<u8> {
    let Some(mut r) = reader else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut buf = vec![0u8; 64 << 10];
    while let Ok(n) = r.read(&mut buf).await {
        if n == 0 {
            break;
        }
        let room = cap.saturating_sub(out.len());
        out.extend_from_slice(&buf[..n.min(room)]);
    }
    out
}

/// `None` for Success; else the exit code or the server's message.
fn failure(status: Option<Status>) -> Option<String> {
    let status = status?;
    if status.status.as_deref() == Some("Success") {
        return None;
    }
    let code = status
        .details
        .as_ref()
        .and_then(|d| d.causes.as_ref())
        .and_then(|c| c.iter().find(|c| c.reason.as_deref() == Some("ExitCode")))
        .and_then(|c| c.message.clone());
    Some(match code {
        Some(code) => format!("exit {code}"),
        None => status.message.unwrap_or_else(|| "Failure".into()),
    })
}

fn tail(stderr: &[u8]) -> String {
    last_lines(&String::from_utf8_lossy(stderr))
}

/// Streams the binary into the pod's emptyDir.
async fn upload(pods: &Api<Pod>, pod: &str, path: &Path) -> Result<(), UnknownReason> {
    let mut file =
        tokio::fs::File::open(path)
            .await
            .map_err(|e| UnknownReason::UploadUnreadable {
                path: path.to_path_buf(),
                error: e.to_string(),
            })?;
    let (part, dest) = (
        format!("{UPLOAD_DIR}/.upload"),
        format!("{UPLOAD_DIR}{AGENT_PATH}"),
    );
    let script = format!("cat > {part} && chmod 0755 {part} && mv {part} {dest}");
    let ap = AttachParams::default()
        .container(CONTAINER)
        .stdin(true)
        .stdout(false)
        .stderr(true)
        .max_stdin_buf_size(CHUNK);
    let mut proc = pods
        .exec(pod, ["sh", "-c", script.as_str()], &ap)
        .await
        .map_err(|e| UnknownReason::UploadExec(e.to_string()))?;
    let status = proc.take_status();
    let stderr = tokio::spawn(read_capped(proc.stderr(), 4096));
    let copied = match proc.stdin() {
        Some(mut stdin) => {
            let copied = tokio::io::copy(&mut file, &mut stdin).await;
            // EOF: v5 tells the server to close the command's stdin.
            let _ = stdin.shutdown().await;
            copied
        }
        None => Ok(0),
    };
    let status = match status {
        Some(s) => s.await,
        None => None,
    };
    let stderr = stderr.await.unwrap_or_default();
    let _ = proc.join().await;
    copied.map_err(|e| UnknownReason::UploadStream(e.to_string()))?;
    match failure(status) {
        None => Ok(()),
        Some(why) => Err(UnknownReason::UploadRefused {
            why,
            last_lines: tail(&stderr),
        }),
    }
}

/// Runs the uploaded agent; its stdout is the output.
async fn run_agent(pods: &Api<Pod>, pod: &str, argv: Vec<String>) -> AgentOutput {
    let ap = AttachParams::default()
        .container(CONTAINER)
        .stdout(true)
        .stderr(true)
        .max_stdout_buf_size(CHUNK);
    let mut proc = pods
        .exec(pod, argv, &ap)
        .await
        .map_err(|e| UnknownReason::ExecFailed(e.to_string()))?;
    let status = proc.take_status();
    let (stdout, stderr) = tokio::join!(
        read_capped(proc.stdout(), MAX_LOG_BYTES + 1),
        read_capped(proc.stderr(), 4096)
    );
    let status = match status {
        Some(s) => s.await,
        None => None,
    };
    let _ = proc.join().await;
    if let Some(why) = failure(status) {
        return Err(UnknownReason::AgentFailed {
            why,
            last_lines: tail(&stderr),
        });
    }
    if stdout.len() > MAX_LOG_BYTES {
        return Err(UnknownReason::OutputTooLarge {
            mib: MAX_LOG_BYTES >> 20,
        });
    }
    Ok(String::from_utf8_lossy(&stdout).into_owned())
}

/// The air-gapped half of a node's run, once its pod is Running: upload,
/// then run. Each step is bounded by the scan's timeout.
pub async fn run(
    pods: &Api<Pod>,
    node: &str,
    pod: &str,
    cfg: &FanoutConfig,
    calls: &Calls,
) -> AgentOutput {
    let Some(path) = cfg.agent_binary.as_deref() else {
        return Err(UnknownReason::NoAgentBinary);
    };
    let limit = cfg.timeout + DEADLINE_MARGIN;
    // The websocket upgrade is one GET on pods/exec.
    calls.note(Verb::Get, Some(node));
    tokio::time::timeout(limit, upload(pods, pod, path))
        .await
        .map_err(|_| UnknownReason::UploadTimeout(limit))??;
    let argv = cfg
        .agent_pod(node)
        .build()
        .spec
        .and_then(|s| s.containers.into_iter().next())
        .map(|c| agent_command(&c))
        .unwrap_or_default();
    calls.note(Verb::Get, Some(node));
    let wait: Duration = cfg.timeout + Duration::from_secs(10);
    tokio::time::timeout(wait, run_agent(pods, pod, argv))
        .await
        .map_err(|_| UnknownReason::Timeout)?
}

#[cfg(test)]
#[path = "upload_tests.rs"]
mod tests;
