//! Each reason's text, copied from the `format!` calls it replaced
//! (cluster/{run,upload,pod_status,node_health,targets}.rs, scan.rs and
//! kubectl-imgdup's which and prune), so the reports say exactly what they said.

use super::*;
use UnknownReason as R;

fn says(reason: R, text: &str) {
    assert_eq!(reason.to_string(), text, "{reason:?}");
}

#[test]
fn skipped_nodes() {
    says(R::NotReady, "NotReady");
    says(R::Windows, "Windows");
    says(
        R::ArchMismatch {
            os: "linux".into(),
            arch: "arm64".into(),
            binary_arch: "amd64",
            machine: "x86-64",
        },
        "ArchMismatch: the node is linux/arm64, --agent-binary is linux/amd64 (ELF x86-64)",
    );
}

#[test]
fn pods_that_never_ran() {
    says(R::PodPending, "PodPending");
    says(
        R::NotScheduled("Unschedulable".into()),
        "PodPending: Unschedulable",
    );
    says(
        R::Waiting("CreateContainerConfigError".into()),
        "CreateContainerConfigError",
    );
    says(
        R::PullFailed {
            reason: "ImagePullBackOff".into(),
            image: "ghcr.io/x/imgdup:1".into(),
            message: Some("…lookup ghcr.io: no such host".into()),
        },
        "ImagePullBackOff: the node cannot pull \"ghcr.io/x/imgdup:1\" (…lookup ghcr.io: no such host); push it to a registry the nodes can reach and pass --image, or pass --agent-binary with an image the nodes already have",
    );
    says(
        R::PullFailed {
            reason: "ErrImagePull".into(),
            image: "i".into(),
            message: None,
        },
        "ErrImagePull: the node cannot pull \"i\"; push it to a registry the nodes can reach and pass --image, or pass --agent-binary with an image the nodes already have",
    );
}

#[test]
fn lost_nodes() {
    says(
        R::LeaseExpired {
            node: "n1".into(),
            age: 31,
            renew_every: 10,
        },
        "NodeLost: the kubelet on n1 has not renewed its lease for 31 s (kube-node-lease/n1, renewed every 10 s while it runs)",
    );
    says(
        R::NodeNotReady {
            node: "n1".into(),
            status: "Unknown".into(),
            reason: Some("NodeStatusUnknown".into()),
            message: Some("Kubelet stopped posting node status.".into()),
        },
        "NodeLost: node n1 is Ready=Unknown (NodeStatusUnknown: Kubelet stopped posting node status.)",
    );
    says(
        R::NodeNotReady {
            node: "n1".into(),
            status: "False".into(),
            reason: None,
            message: None,
        },
        "NodeLost: node n1 is Ready=False (no reason: no message)",
    );
}

#[test]
fn timeouts() {
    says(R::Timeout, "Timeout");
    says(R::WatchEnded, "Timeout: the pod watch ended");
    says(
        R::UploadTimeout(Duration::from_secs(90)),
        "Timeout: uploading the agent binary took over 90s",
    );
}

#[test]
fn agents_that_failed_or_said_something_else() {
    says(
        R::AgentFailed {
            why: "Error (exit 101)".into(),
            last_lines: last_lines("panicked\nat main.rs\n"),
        },
        "AgentFailed: Error (exit 101): panicked | at main.rs",
    );
    says(
        R::AgentFailed {
            why: "DeadlineExceeded".into(),
            last_lines: last_lines("  \n"),
        },
        "AgentFailed: DeadlineExceeded",
    );
    says(
        R::ExecFailed("HyperError: x".into()),
        "AgentFailed: exec: HyperError: x",
    );
    says(
        R::NotANodeReport {
            error: "expected value at line 1 column 1".into(),
            bytes: 5,
        },
        "BadReport: the agent's output is not a NodeReport (expected value at line 1 column 1); 5 bytes",
    );
    says(
        R::NotAChain("EOF while parsing".into()),
        "BadReport: the agent's output is not a Chain (EOF while parsing)",
    );
    says(
        R::NotAPruneReport("EOF while parsing".into()),
        "BadReport: the prune pod's output is not a PruneReport (EOF while parsing)",
    );
    says(
        R::LogTooLarge { mib: 16 },
        "BadReport: the agent printed more than 16 MiB; not a report (run it with --keep-pods and read its log)",
    );
    says(
        R::OutputTooLarge { mib: 16 },
        "BadReport: the agent printed more than 16 MiB; not a report",
    );
    says(
        R::LogUnavailable("pods \"p\" not found".into()),
        "LogUnavailable: pods \"p\" not found",
    );
}

#[test]
fn pods_deleted_or_refused() {
    says(
        R::PodDeleted {
            phase: "Running".into(),
        },
        "PodDeleted: the agent pod was deleted before it finished (Running)",
    );
    says(R::PodGone, "PodDeleted: the agent pod is gone");
    says(
        R::CreateForbidden("pods is forbidden".into()),
        "Forbidden: pods is forbidden",
    );
    says(
        R::CreateFailed("the API server did not answer within 30s".into()),
        "CreateFailed: the API server did not answer within 30s",
    );
}

#[test]
fn uploads() {
    says(
        R::UploadUnreadable {
            path: "/tmp/agent".into(),
            error: "No such file or directory (os error 2)".into(),
        },
        "UploadFailed: cannot read /tmp/agent: No such file or directory (os error 2)",
    );
    says(
        R::UploadExec("HyperError: x".into()),
        "UploadFailed: HyperError: x",
    );
    says(
        R::UploadStream("broken pipe".into()),
        "UploadFailed: streaming the binary: broken pipe",
    );
    says(
        R::UploadRefused {
            why: "exit 1".into(),
            last_lines: last_lines("sh: can't create /imgdup/.upload: Read-only file system\n"),
        },
        "UploadFailed: exit 1: sh: can't create /imgdup/.upload: Read-only file system",
    );
    says(
        R::UploadRefused {
            why: "Failure".into(),
            last_lines: String::new(),
        },
        "UploadFailed: Failure",
    );
    says(R::NoAgentBinary, "UploadFailed: no --agent-binary");
}

#[test]
fn no_runtime() {
    says(
        R::NoRuntimeFound(
            "crictl's runtime: socket /run/containerd/containerd.sock does not exist".into(),
        ),
        "NoRuntimeFound: crictl's runtime: socket /run/containerd/containerd.sock does not exist",
    );
}
