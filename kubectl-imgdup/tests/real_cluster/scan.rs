//! The scan on real kubelets: every node's report equals `node --local` run
//! there, `which NODE` reads crictl's chain on the node, and a real DooD
//! pod is named (`cleanup` is in `sim_vs_real.rs`, on both servers).

use std::collections::BTreeMap;

use serde_json::Value;

use super::*;

const KUBERNETES: &str = "v1.36.3";

#[test]
fn real_kubelets_on_every_lab_node_and_a_real_server() {
    let lab = lab();
    let out = lab.kubectl(&["get", "nodes", "-o", "json"]);
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
    let out = lab.kubectl(&["version", "-o", "json"]);
    assert_exit(&out, 0);
    assert_eq!(json(&out)["serverVersion"]["gitVersion"], KUBERNETES);
}

/// Each node's report from its agent pod equals `node --local` run on the
/// node: verdicts, stores and reclaimable bytes. No agent pod is left.
#[test]
fn the_cluster_scan_through_real_kubectl_agrees_with_node_local() {
    let lab = lab();
    let out = lab.imgdup(None, &["-n", "imgdup", "-o", "json", "--timeout", "120s"]);
    assert_exit(&out, 0);
    let report = json(&out);
    assert_eq!(report["kind"], "ClusterReport");
    let nodes = report["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), NODES.len(), "{report:#}");
    let mut verdicts = BTreeMap::new();
    for from_pod in nodes {
        let name = from_pod["node"].as_str().unwrap();
        let out = lab.cluster.exec(
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
        verdicts.insert(name, from_pod["verdict"].as_str().unwrap().to_string());
    }
    let expected = ["duplicate", "split", "alias", "duplicate", "duplicate"];
    assert_eq!(
        verdicts,
        NODES
            .into_iter()
            .zip(expected.map(String::from))
            .collect::<BTreeMap<_, _>>()
    );
    assert_eq!(lab.our_pods(), 0, "every agent pod is deleted");
}

/// `which NODE` runs crictl-which's chain on that node through one agent
/// pod: the k3s-docker node's crictl reaches Docker through cri-dockerd.
#[test]
fn which_shows_the_chain_read_on_the_node() {
    let lab = lab();
    let out = lab.imgdup(None, &["which", "k3s-docker", "-n", "imgdup", "-o", "json"]);
    assert_exit(&out, 0);
    let chain = json(&out);
    let kinds: Vec<&str> = chain["hops"]
        .as_array()
        .unwrap_or_else(|| panic!("no hops in {chain:#}"))
        .iter()
        .map(|h| h["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["cri-dockerd", "dockerd", "containerd"], "{chain:#}");
    // crictl-which run on the node itself (the workspace build puts it
    // beside kubectl-imgdup) sees the same hops.
    let crictl_which = bin().with_file_name("crictl-which");
    assert!(
        crictl_which.exists(),
        "{} is not built (cargo build --workspace)",
        crictl_which.display()
    );
    let local = lab
        .cluster
        .exec("k3s-docker", &crictl_which, &["-o", "json"]);
    assert_exit(&local, 0);
    let hops = |chain: &Value| -> Vec<Value> {
        chain["hops"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                serde_json::json!([
                    h["kind"],
                    h["endpoint"],
                    h["pid"],
                    h["root"],
                    h["namespace"]
                ])
            })
            .collect()
    };
    assert_eq!(
        hops(&chain),
        hops(&json(&local)),
        "the pod's chain is the node's"
    );
    assert_eq!(lab.our_pods(), 0);
}

/// A real pod mounting the host's docker.sock, started by the dood node's
/// kubelet, is named in that node's report as the reason for `split`.
#[test]
fn a_real_dood_pod_is_named_in_its_nodes_report() {
    let lab = lab();
    lab.apply(
        r#"{"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "ci-runner", "namespace": "default"},
            "spec": {"nodeName": "dood", "terminationGracePeriodSeconds": 1,
              "containers": [{"name": "runner", "image": "imgdup.test/busybox:1",
                "imagePullPolicy": "Never",
                "command": ["sh", "-c", "test -S /var/run/docker.sock && exec sleep 3600"],
                "volumeMounts": [{"name": "docker-sock", "mountPath": "/var/run/docker.sock"}]}],
              "volumes": [{"name": "docker-sock",
                "hostPath": {"path": "/var/run/docker.sock", "type": "Socket"}}]}}"#,
    );
    let ready = lab.kubectl(&[
        "wait",
        "--for=condition=Ready",
        "pod/ci-runner",
        "--timeout=90s",
    ]);
    let out = lab.imgdup(None, &["dood", "-n", "imgdup", "-o", "json"]);
    lab.delete(&["pod", "ci-runner", "--grace-period=1"]);
    assert_exit(&ready, 0);
    assert_exit(&out, 0);
    let node = &json(&out)["nodes"][0];
    assert_eq!(node["verdict"], "split", "{node:#}");
    assert_eq!(
        node["pods"],
        serde_json::json!([{"namespace": "default", "name": "ci-runner", "finding": "dood"}])
    );
    assert_eq!(lab.our_pods(), 0);
}
