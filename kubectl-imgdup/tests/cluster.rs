//! `kubectl imgdup` over a cluster: the simulated API server, with the four
//! lab scenarios as nodes and the real agent running in each pod.

use std::collections::BTreeMap;

use serde_json::Value;
use testkit::apiserver::SimApiServer;
use testkit::apiserver::config::{Config, ImageConfig, NamespaceConfig, NodeConfig};

use crate::util::*;

const SCENARIOS: [&str; 4] = ["k3s-docker", "runtime-switch", "two-containerds", "dood"];
const IMAGE: &str = concat!("ghcr.io/imgdup/kubectl-imgdup:", env!("CARGO_PKG_VERSION"));

fn cluster(dir: &std::path::Path) -> SimApiServer {
    for s in SCENARIOS {
        Scenario::up(s);
    }
    let cfg = Config {
        kubeconfig: Some(dir.join("kubeconfig")),
        namespaces: vec![NamespaceConfig {
            name: "imgdup".into(),
            labels: BTreeMap::from([(
                "pod-security.kubernetes.io/enforce".into(),
                "privileged".into(),
            )]),
        }],
        nodes: SCENARIOS
            .iter()
            .map(|s| NodeConfig {
                name: (*s).into(),
                lab: Some((*s).into()),
                ..Default::default()
            })
            .collect(),
        images: BTreeMap::from([(IMAGE.to_string(), ImageConfig::Binary(bin()))]),
        ..Default::default()
    };
    SimApiServer::start(cfg).expect("the simulated API server starts")
}

fn our_pods(server: &SimApiServer) -> usize {
    server
        .sim
        .pods()
        .iter()
        .filter(|p| {
            p.metadata.labels.as_ref().is_some_and(|l| {
                l.get("app.kubernetes.io/managed-by").map(String::as_str) == Some("kubectl-imgdup")
            })
        })
        .count()
}

#[test]
fn four_lab_nodes_give_four_verdicts_and_leave_no_pod() {
    let dir = tempfile::tempdir().unwrap();
    let server = cluster(dir.path());
    // A CI runner on the dood node that mounts the host's docker.sock (DooD).
    let runner = r#"{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "runner-0", "namespace": "imgdup"},
        "spec": {"nodeName": "dood", "containers": [{"name": "runner", "image": "gitlab/gitlab-runner:latest"}],
                 "volumes": [{"name": "docker", "hostPath": {"path": "/var/run/docker.sock"}}]}}"#;
    let mut kubectl = std::process::Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(&server.kubeconfig)
        .args(["create", "-f", "-"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    kubectl
        .stdin
        .take()
        .unwrap()
        .write_all(runner.as_bytes())
        .unwrap();
    assert!(
        kubectl.wait().unwrap().success(),
        "kubectl create the DooD runner"
    );
    let out = std::process::Command::new(bin())
        .args(["--kubeconfig"])
        .arg(&server.kubeconfig)
        .args(["-n", "imgdup", "-o", "json", "--timeout", "30s"])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let report: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&out)));
    assert_eq!(report["kind"], "ClusterReport");
    let verdicts: BTreeMap<String, String> = report["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["node"].as_str().unwrap().to_string(),
                format!(
                    "{} {}",
                    n["verdict"].as_str().unwrap(),
                    n["reason"].as_str().unwrap_or("")
                ),
            )
        })
        .collect();
    assert_eq!(
        verdicts,
        BTreeMap::from([
            ("dood".to_string(), "split ".to_string()),
            ("k3s-docker".to_string(), "alias ".to_string()),
            ("runtime-switch".to_string(), "duplicate ".to_string()),
            ("two-containerds".to_string(), "duplicate ".to_string()),
        ])
    );
    let dood = report["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["node"] == "dood")
        .unwrap();
    assert_eq!(
        dood["pods"],
        serde_json::json!([{"namespace": "imgdup", "name": "runner-0", "finding": "dood"}])
    );
    // Per node: create, log, delete; the rest is shared by the whole run.
    let calls = &report["apiCalls"];
    eprintln!("API calls: {calls}");
    for verb in ["create", "log"] {
        assert_eq!(calls[verb], 4, "{calls}");
    }
    assert!(calls["delete"].as_u64().unwrap() <= 5, "{calls}");
    assert_eq!(our_pods(&server), 0, "every agent pod is deleted");
    server.stop();
}

#[test]
fn a_node_stuck_pending_is_unknown_and_the_others_still_report() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = Config {
        kubeconfig: Some(dir.path().join("kubeconfig")),
        images: BTreeMap::from([(IMAGE.to_string(), ImageConfig::Binary(bin()))]),
        ..Default::default()
    };
    Scenario::up("dood");
    cfg.nodes.push(NodeConfig {
        name: "dood".into(),
        lab: Some("dood".into()),
        ..Default::default()
    });
    let mut stuck = NodeConfig {
        name: "stuck".into(),
        lab: Some("dood".into()),
        ..Default::default()
    };
    stuck.faults.pending = true;
    cfg.nodes.push(stuck);
    let server = SimApiServer::start(cfg).unwrap();
    let out = std::process::Command::new(bin())
        .arg("--kubeconfig")
        .arg(&server.kubeconfig)
        .args(["-o", "json", "--pending-timeout", "2s"])
        .output()
        .unwrap();
    assert_exit(&out, 4);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let by_node = |name: &str| {
        report["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["node"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(by_node("stuck")["verdict"], "unknown");
    assert_eq!(by_node("stuck")["reason"], "PodPending: Unschedulable");
    assert_eq!(by_node("dood")["verdict"], "split");
    assert_eq!(our_pods(&server), 0);
    server.stop();
}

#[test]
fn ctrl_c_mid_run_deletes_every_pod_and_exits_130() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = Config {
        kubeconfig: Some(dir.path().join("kubeconfig")),
        nodes: (0..3)
            .map(|i| NodeConfig {
                name: format!("slow-{i}"),
                fake: Some(testkit::apiserver::config::FakeSpec {
                    seconds: 60.0,
                    exit_code: 0,
                    output: String::new(),
                }),
                ..Default::default()
            })
            .collect(),
        images: BTreeMap::from([(IMAGE.to_string(), ImageConfig::Binary(bin()))]),
        ..Default::default()
    };
    let server = SimApiServer::start(cfg).unwrap();
    let mut child = std::process::Command::new(bin())
        .arg("--kubeconfig")
        .arg(&server.kubeconfig)
        .args(["-o", "json"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while our_pods(&server) < 3 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "the agent pods never appeared"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert_eq!(
        our_pods(&server),
        0,
        "the sweep deleted every pod of the run"
    );
    server.stop();
}
