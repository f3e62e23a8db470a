//! `kubectl imgdup` over a cluster: the simulated API server, with the four
//! lab scenarios as nodes and the real agent running in each pod.

use std::collections::BTreeMap;

use serde_json::Value;
use testkit::apiserver::SimApiServer;
use testkit::apiserver::config::{Config, ImageConfig, NamespaceConfig, NodeConfig};

use crate::util::sim::our_pods;
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

#[test]
fn four_lab_nodes_give_four_verdicts_and_leave_no_pod() {
    let dir = tempfile::tempdir().unwrap();
    let server = cluster(dir.path());
    // A CI runner on the dood node that mounts the host's docker.sock (DooD).
    let runner = r#"{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "runner-0", "namespace": "imgdup"},
        "spec": {"nodeName": "dood", "containers": [{"name": "runner", "image": "gitlab/gitlab-runner:latest"}],
                 "volumes": [{"name": "docker", "hostPath": {"path": "/var/run/docker.sock"}}]}}"#;
    crate::util::sim::kubectl_create(&server, runner);
    let (out, _) =
        crate::util::sim::run(&server, &["-n", "imgdup", "-o", "json", "--timeout", "30s"]);
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
    let (out, _) = crate::util::sim::run(&server, &["-o", "json", "--pending-timeout", "2s"]);
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
fn which_shows_a_lab_nodes_chain_read_on_that_node() {
    let dir = tempfile::tempdir().unwrap();
    let lab = Scenario::up("k3s-docker");
    let mut cfg = crate::util::sim::config(dir.path());
    cfg.nodes = vec![NodeConfig {
        name: "worker-1".into(),
        lab: Some("k3s-docker".into()),
        ..Default::default()
    }];
    let server = SimApiServer::start(cfg).unwrap();
    let (out, _) = crate::util::sim::run(&server, &["which", "worker-1", "-o", "json"]);
    assert_exit(&out, 0);
    let chain: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(chain["kind"], "Chain");
    assert_eq!(
        chain["runtimeEndpoint"]["url"],
        "unix:///run/k3s/cri-dockerd/cri-dockerd.sock"
    );
    let kinds: Vec<&str> = chain["hops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["cri-dockerd", "dockerd", "containerd"]);
    assert_eq!(chain["hops"][1]["root"], "/var/lib/docker");
    // Read on the node itself: the API answers of that node's daemons. (Its
    // pids need /proc/PID/fd, which the pod cannot read without
    // CAP_SYS_PTRACE, deliberately not granted: `pid` stays null there.)
    assert_eq!(chain["hops"][1]["driver"], "overlay2");
    assert!(lab.pid("PID_DOCKERD") > 0);
    assert_eq!(our_pods(&server), 0);

    let (text, _) = crate::util::sim::run(&server, &["which", "worker-1"]);
    assert_exit(&text, 0);
    assert!(
        stdout(&text).contains("STORE  /var/lib/docker/overlay2"),
        "{}",
        stdout(&text)
    );
    let (missing, _) = crate::util::sim::run(&server, &["which", "worker-9"]);
    assert_exit(&missing, 1);
    assert!(String::from_utf8_lossy(&missing.stderr).contains("node \"worker-9\" not found"));
    server.stop();
}
