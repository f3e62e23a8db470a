//! `kubectl imgdup` through real kubectl on the lab's real cluster
//! (`lab cluster up`: etcd, kube-apiserver v1.36 with Node+RBAC and
//! PodSecurity, and a real kubelet in each lab node on its own runtime).
//!
//! The agent image is the one `scripts/agent-image` builds FROM scratch from
//! the static binary, imported into every node's kubelet runtime: no
//! registry is involved, as on an air-gapped cluster.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use serde_json::Value;
use testkit::real_cluster::RealCluster;

use crate::util::*;

const IMAGE: &str = concat!("ghcr.io/imgdup/kubectl-imgdup:", env!("CARGO_PKG_VERSION"));
const KUBERNETES: &str = "v1.36.3";

/// The cluster with the agent image in every node's runtime (once per run).
fn cluster_with_agent() -> &'static RealCluster {
    static READY: OnceLock<()> = OnceLock::new();
    let cluster = RealCluster::up();
    READY.get_or_init(|| {
        let binary = static_binary();
        // Built by a node's own dockerd, saved, then imported everywhere.
        let script = testkit::lab::repo_root().join("scripts/agent-image");
        let out = cluster.exec(
            "k3s-docker",
            &script,
            &["--binary", binary.to_str().unwrap()],
        );
        assert_exit(&out, 0);
        let tar = cluster.lab_dir.join("agent-image.tar");
        let out = cluster.exec(
            "k3s-docker",
            Path::new("docker"),
            &["save", "-o", tar.to_str().unwrap(), IMAGE],
        );
        assert_exit(&out, 0);
        cluster.load_image(&tar);
    });
    cluster
}

fn json(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", stdout(out)))
}

/// Agent pods of ours left anywhere in the cluster.
fn our_pods(cluster: &RealCluster) -> usize {
    let out = cluster.kubectl(
        Path::new("/nonexistent"),
        &[
            "get",
            "pods",
            "-A",
            "-l",
            "app.kubernetes.io/managed-by=kubectl-imgdup",
            "-o",
            "json",
        ],
    );
    assert_exit(&out, 0);
    json(&out)["items"].as_array().unwrap().len()
}

#[test]
fn real_kubelets_on_every_lab_node_and_a_real_server() {
    let cluster = RealCluster::up();
    let out = cluster.kubectl(Path::new("/nonexistent"), &["get", "nodes", "-o", "json"]);
    assert_exit(&out, 0);
    let nodes = json(&out);
    let mut seen = BTreeMap::new();
    for node in nodes["items"].as_array().unwrap() {
        let info = &node["status"]["nodeInfo"];
        let ready = node["status"]["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["type"] == "Ready" && c["status"] == "True");
        assert!(ready, "{:#}", node["status"]["conditions"]);
        assert_eq!(info["kubeletVersion"], KUBERNETES);
        seen.insert(
            node["metadata"]["name"].as_str().unwrap().to_string(),
            info["containerRuntimeVersion"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let runtime = |n: &str| seen.get(n).map(String::as_str).unwrap_or("missing");
    assert!(
        runtime("k3s-docker").starts_with("docker://20.10."),
        "{seen:?}"
    );
    assert!(
        runtime("containerd2").starts_with("containerd://2."),
        "{seen:?}"
    );
    for n in ["runtime-switch", "two-containerds", "dood"] {
        assert!(runtime(n).starts_with("containerd://1.6."), "{seen:?}");
    }
    let out = cluster.kubectl(Path::new("/nonexistent"), &["version", "-o", "json"]);
    assert_exit(&out, 0);
    assert_eq!(json(&out)["serverVersion"]["gitVersion"], KUBERNETES);
}

/// Each node's report from its agent pod equals `node --local` run on the
/// node: verdicts, stores and reclaimable bytes. No agent pod is left.
#[test]
fn the_cluster_scan_through_real_kubectl_agrees_with_node_local() {
    let cluster = cluster_with_agent();
    let plugin_dir = bin().parent().unwrap().to_path_buf();
    let out = cluster.kubectl(
        &plugin_dir,
        &["imgdup", "-n", "imgdup", "-o", "json", "--timeout", "120s"],
    );
    assert_exit(&out, 0);
    let report = json(&out);
    assert_eq!(report["kind"], "ClusterReport");
    let nodes = report["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 5, "{report:#}");
    let mut verdicts = BTreeMap::new();
    for from_pod in nodes {
        let name = from_pod["node"].as_str().unwrap();
        let out = cluster.exec(
            name,
            &bin(),
            &["node", "--local", "-o", "json", "--node-name", name],
        );
        assert_exit(&out, 0);
        let local = json(&out);
        assert_eq!(
            serde_json::to_string_pretty(&figures(from_pod)).unwrap(),
            serde_json::to_string_pretty(&figures(&local)).unwrap(),
            "{name}: the agent pod's report differs from node --local"
        );
        verdicts.insert(
            name.to_string(),
            from_pod["verdict"].as_str().unwrap().to_string(),
        );
    }
    let expected = [
        ("containerd2", "duplicate"),
        ("dood", "split"),
        ("k3s-docker", "alias"),
        ("runtime-switch", "duplicate"),
        ("two-containerds", "duplicate"),
    ];
    assert_eq!(
        verdicts,
        expected
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>()
    );
    assert_eq!(our_pods(cluster), 0, "every agent pod is deleted");
}
