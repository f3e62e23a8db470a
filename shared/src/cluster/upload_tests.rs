use std::time::Duration;

use super::*;
use crate::cluster::pod::{AgentMode, AgentPod};

fn header(class: u8, little: bool, osabi: u8, machine: u16) -> Vec<u8> {
    let mut h = vec![0u8; 64];
    h[..4].copy_from_slice(b"\x7fELF");
    h[4] = class;
    h[5] = if little { 1 } else { 2 };
    h[7] = osabi;
    let m = if little {
        machine.to_le_bytes()
    } else {
        machine.to_be_bytes()
    };
    h[18..20].copy_from_slice(&m);
    h
}

#[test]
fn elf_headers_name_the_node_architecture() {
    assert_eq!(elf(&header(2, true, 0, 62)).unwrap().arch, "amd64");
    assert_eq!(elf(&header(2, true, 3, 183)).unwrap().arch, "arm64");
    assert_eq!(elf(&header(1, true, 0, 40)).unwrap().arch, "arm");
    assert_eq!(elf(&header(2, false, 0, 22)).unwrap().arch, "s390x");
    assert!(!elf(&header(2, true, 9, 62)).unwrap().linux, "FreeBSD ABI");
    assert!(
        elf(&header(1, true, 0, 62)).is_err(),
        "32-bit x86-64 is nonsense"
    );
    assert_eq!(
        elf(b"#!/bin/sh\necho hi\n").unwrap_err(),
        "not an ELF executable"
    );
    // The binary running this test is an ELF for this machine.
    let me = AgentBinary::open(&std::env::current_exe().unwrap()).unwrap();
    let want = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    assert_eq!(me.elf.arch, want);
    assert!(me.size > 0);
}

#[test]
fn a_script_is_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("agent.sh");
    std::fs::write(&script, "#!/bin/sh\n").unwrap();
    let err = AgentBinary::open(&script).unwrap_err().to_string();
    assert!(err.contains("not an ELF executable"), "{err}");
    assert!(err.contains("agent.sh"), "{err}");
    let missing = AgentBinary::open(&dir.path().join("nope")).unwrap_err();
    assert!(matches!(missing, UploadError::Read { .. }));
    let printed = crate::model::causes::printed_once(missing, "No such file");
    assert_eq!(
        printed,
        format!(
            "--agent-binary {}: No such file or directory (os error 2)",
            dir.path().join("nope").display()
        )
    );
}

fn node(labels: serde_json::Value) -> Node {
    serde_json::from_value(serde_json::json!({"metadata": {"name": "n", "labels": labels}}))
        .unwrap()
}

#[test]
fn node_labels_are_checked_against_the_binary() {
    let bin = AgentBinary {
        path: "/bin/x".into(),
        size: 1,
        elf: elf(&header(2, true, 0, 62)).unwrap(),
    };
    let amd = node(serde_json::json!({"kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"}));
    assert_eq!(bin.mismatch(&amd), None);
    let arm = node(serde_json::json!({"kubernetes.io/os": "linux", "kubernetes.io/arch": "arm64"}));
    assert_eq!(
        bin.mismatch(&arm).unwrap().to_string(),
        "ArchMismatch: the node is linux/arm64, --agent-binary is linux/amd64 (ELF x86-64)"
    );
    let unlabelled = node(serde_json::json!({}));
    assert_eq!(
        bin.mismatch(&unlabelled),
        None,
        "nothing to hold against it"
    );
}

fn agent_pod() -> Pod {
    AgentPod {
        node: "worker-1".into(),
        namespace: "imgdup".into(),
        image: "busybox:1.36".into(),
        run_id: "r1".into(),
        timeout: Duration::from_secs(60),
        mode: AgentMode::Scan,
    }
    .build()
}

#[test]
fn the_shell_pod_keeps_the_safety_rules_and_adds_one_writable_empty_dir() {
    let pod = shell_pod(agent_pod());
    let spec = pod.spec.as_ref().unwrap();
    let c = &spec.containers[0];
    assert_eq!(
        c.command.as_deref().unwrap(),
        ["sh", "-c", "trap 'exit 0' TERM; sleep 120 & wait"]
    );
    assert_eq!(c.args, None);
    let sc = c.security_context.as_ref().unwrap();
    assert_eq!(sc.read_only_root_filesystem, Some(true));
    assert_eq!(sc.privileged, Some(false));
    for m in c.volume_mounts.as_ref().unwrap() {
        let writable = m.read_only != Some(true);
        assert_eq!(writable, m.mount_path == UPLOAD_DIR, "{}", m.mount_path);
    }
    let volumes = spec.volumes.as_ref().unwrap();
    let empty: Vec<&Volume> = volumes.iter().filter(|v| v.empty_dir.is_some()).collect();
    assert_eq!(empty.len(), 1);
    assert!(
        volumes
            .iter()
            .all(|v| v.empty_dir.is_some() || v.host_path.is_some())
    );
    // The uploaded binary runs with the image mode's flags.
    let argv = agent_command(&agent_pod().spec.unwrap().containers[0]);
    assert_eq!(
        argv[..3],
        ["/imgdup/kubectl-imgdup", "agent", "--host-root"]
    );
    assert!(argv.contains(&"worker-1".to_string()));
}
