//! Air-gapped mode, `--agent-binary PATH --image SHELL_IMAGE`, end to end
//! against the simulated API server: the agent pod runs busybox, this
//! build is streamed into it over `pods/exec` (kube-rs, websocket v5) and
//! run there; the verdict equals the image mode's, and no pod is left.

use std::collections::BTreeMap;

use serde_json::Value;
use testkit::apiserver::SimApiServer;
use testkit::apiserver::config::{ImageConfig, NodeConfig};

use crate::util::sim::{self, our_pods};
use crate::util::*;

const SHELL_IMAGE: &str = "busybox:1.36";

fn server(dir: &std::path::Path, nodes: Vec<NodeConfig>) -> SimApiServer {
    let mut cfg = sim::config(dir);
    cfg.nodes = nodes;
    cfg.images.insert(
        "busybox".into(),
        ImageConfig::Binary("/usr/bin/busybox".into()),
    );
    SimApiServer::start(cfg).expect("the simulated API server starts")
}

fn node_report(out: &std::process::Output, node: &str) -> Value {
    let report: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(out)));
    report["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["node"] == node)
        .cloned()
        .unwrap_or_else(|| panic!("no {node} in {report:#}"))
}

/// What must not differ between the two modes.
fn essence(n: &Value) -> Value {
    let ids = |key: &str| -> Vec<Value> {
        n[key]
            .as_array()
            .map(|a| a.iter().map(|x| x["id"].clone()).collect())
            .unwrap_or_default()
    };
    serde_json::json!({
        "verdict": n["verdict"], "reason": n["reason"],
        "reclaimableBytes": n["reclaimableBytes"],
        "stores": ids("stores"), "images": ids("images"),
    })
}

#[test]
fn the_uploaded_agent_gives_the_image_modes_verdict_and_leaves_no_pod() {
    Scenario::up("two-containerds");
    let dir = tempfile::tempdir().unwrap();
    let lab = NodeConfig {
        name: "two-containerds".into(),
        lab: Some("two-containerds".into()),
        ..Default::default()
    };
    let server = server(dir.path(), vec![lab]);

    let (normal, _) = sim::run(&server, &["-o", "json", "--timeout", "30s"]);
    assert_exit(&normal, 0);
    assert_eq!(our_pods(&server), 0);

    let binary = bin().display().to_string();
    let (airgap, took) = sim::run(
        &server,
        &[
            "-o",
            "json",
            "--timeout",
            "60s",
            "--image",
            SHELL_IMAGE,
            "--agent-binary",
            &binary,
        ],
    );
    assert_exit(&airgap, 0);
    eprintln!("air-gapped run: {took:?}");
    let (a, b) = (
        node_report(&normal, "two-containerds"),
        node_report(&airgap, "two-containerds"),
    );
    assert_eq!(a["verdict"], "duplicate", "{a:#}");
    assert_eq!(essence(&a), essence(&b));
    assert_eq!(our_pods(&server), 0, "the shell pod is deleted too");

    // The shell image ran, with one upload and one agent exec over pods/exec.
    let req = server.requests();
    assert_eq!(req.get("get pods/exec").copied(), Some(2), "{req:?}");
    let shell_pods = server
        .sim
        .store
        .list(testkit::apiserver::store::Kind::Event, Some("default"))
        .0
        .iter()
        .filter(|e| {
            e["reason"] == "Pulled"
                && e["message"]
                    .as_str()
                    .is_some_and(|m| m.contains(SHELL_IMAGE))
        })
        .count();
    assert_eq!(shell_pods, 1, "one pod of {SHELL_IMAGE}");
    server.stop();
}

#[test]
fn a_node_of_another_architecture_gets_a_clear_reason_and_no_pod() {
    let dir = tempfile::tempdir().unwrap();
    let mut arm = sim::fake_node("arm-1", 1.0, 0, &sim::ok_output());
    arm.arch = Some("arm64".into());
    let server = server(dir.path(), vec![arm]);
    let binary = bin().display().to_string();
    let (out, _) = sim::run(
        &server,
        &[
            "-o",
            "json",
            "--image",
            SHELL_IMAGE,
            "--agent-binary",
            &binary,
        ],
    );
    assert_exit(&out, 4);
    assert_eq!(
        sim::verdicts(&out),
        BTreeMap::from([(
            "arm-1".to_string(),
            "unknown ArchMismatch: the node is linux/arm64, --agent-binary is linux/amd64 (ELF x86-64)"
                .to_string()
        )])
    );
    assert_eq!(server.requests().get("create pods"), None, "no pod for it");
    server.stop();
}

#[test]
fn a_binary_that_is_not_elf_is_refused_before_any_cluster_call() {
    let out = std::process::Command::new(bin())
        .args(["--image", SHELL_IMAGE, "--agent-binary"])
        .arg(testkit::lab::repo_root().join("kubectl_complete-imgdup"))
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .output()
        .unwrap();
    assert_exit(&out, 1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not an ELF executable"), "{err}");
    // --agent-binary names the shell image with --image.
    let out = std::process::Command::new(bin())
        .args(["--dry-run", "n1", "--agent-binary"])
        .arg(bin())
        .output()
        .unwrap();
    assert_exit(&out, 2);
}

#[test]
fn dry_run_prints_the_shell_pod_with_one_writable_empty_dir() {
    let out = std::process::Command::new(bin())
        .args([
            "--dry-run",
            "worker-1",
            "-o",
            "yaml",
            "--image",
            SHELL_IMAGE,
        ])
        .arg("--agent-binary")
        .arg(bin())
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(text.contains("# air-gapped: once Running,"), "{text}");
    let doc = text.trim_start_matches("---\n");
    let pod: Value = serde_yaml::from_str(doc).unwrap();
    let c = &pod["spec"]["containers"][0];
    assert_eq!(c["image"], SHELL_IMAGE);
    assert_eq!(c["command"][0], "sh");
    assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], true);
    for m in c["volumeMounts"].as_array().unwrap() {
        let writable = m["readOnly"] != true;
        assert_eq!(writable, m["mountPath"] == "/imgdup", "{m}");
    }
    assert!(pod["spec"]["activeDeadlineSeconds"].as_i64().unwrap() > 60);
}

#[test]
fn without_pods_exec_the_run_stops_in_preflight_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = sim::config(dir.path());
    cfg.nodes = vec![sim::fake_node("n1", 1.0, 0, &sim::ok_output())];
    cfg.rbac.deny = vec![testkit::apiserver::config::RbacRule {
        verbs: vec!["create".into()],
        resources: vec!["pods/exec".into()],
        ..Default::default()
    }];
    let server = SimApiServer::start(cfg).unwrap();
    let binary = bin().display().to_string();
    let (out, _) = sim::run(
        &server,
        &["--image", SHELL_IMAGE, "--agent-binary", &binary],
    );
    assert_exit(&out, 1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("create pods/exec"), "{err}");
    assert_eq!(server.requests().get("create pods"), None, "{err}");
    server.stop();
}
