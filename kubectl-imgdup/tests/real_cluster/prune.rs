//! The cluster prune on real kubelets: the prune pods it would run (only
//! the plan's sockets, read-only), nothing removed without `--yes` and a
//! terminal, and with `--yes` the extra copies gone from two nodes with
//! the measured proof, the kept copies untouched, and no pod left.

use serde_json::Value;

use super::*;

/// Puts the removed copies back, so the other tests find the nodes as the
/// lab made them, whatever this test did.
struct Restore<'a>(&'a Lab);

impl Drop for Restore<'_> {
    fn drop(&mut self) {
        let tar = self.0.cluster.lab.dir().join("images/app-a.tar");
        let tar = tar.to_str().unwrap();
        let import = [
            "-a",
            "/run/containerd/containerd.sock",
            "-n",
            "k8s.io",
            "images",
            "import",
            tar,
        ];
        let ctr = self
            .0
            .cluster
            .exec("two-containerds", Path::new("/usr/bin/ctr"), &import);
        let docker = self
            .0
            .cluster
            .exec("containerd2", Path::new("docker"), &["load", "-i", tar]);
        if !std::thread::panicking() {
            assert_exit(&ctr, 0);
            assert_exit(&docker, 0);
        }
    }
}

const NODES_PRUNED: [&str; 2] = ["containerd2", "two-containerds"];

fn prune_args(extra: &[&str]) -> Vec<String> {
    let base = [
        "prune",
        "containerd2",
        "two-containerds",
        "-n",
        "imgdup",
        "--timeout",
        "120s",
    ];
    base.iter().chain(extra).map(|a| a.to_string()).collect()
}

fn copies_of_app_a(lab: &Lab) -> (bool, bool) {
    let ls = [
        "-a",
        "/run/containerd/containerd.sock",
        "-n",
        "k8s.io",
        "images",
        "ls",
        "-q",
    ];
    let ctr = lab
        .cluster
        .exec("two-containerds", Path::new("/usr/bin/ctr"), &ls);
    let docker = lab.cluster.exec(
        "containerd2",
        Path::new("docker"),
        &["images", "-q", "imgdup.test/app-a:1"],
    );
    assert_exit(&ctr, 0);
    assert_exit(&docker, 0);
    (
        stdout(&ctr).lines().any(|l| l == "imgdup.test/app-a:1"),
        !stdout(&docker).trim().is_empty(),
    )
}

#[test]
fn the_cluster_prune_removes_the_extra_copies_and_proves_it() {
    let lab = lab();
    let _restore = Restore(&lab);
    assert_eq!(copies_of_app_a(&lab), (true, true));

    // The prune pods it would run, after a read-only scan.
    let out = lab.imgdup(None, &prune_args(&["--dry-run", "-o", "yaml"]));
    assert_exit(&out, 0);
    let pods: Vec<Value> = serde_yaml::Deserializer::from_str(&stdout(&out))
        .map(|doc| serde::Deserialize::deserialize(doc).unwrap())
        .collect();
    assert_eq!(pods.len(), 2, "{}", stdout(&out));
    for pod in &pods {
        let spec = &pod["spec"];
        let paths: Vec<(&str, &str)> = spec["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                (
                    v["hostPath"]["path"].as_str().unwrap(),
                    v["hostPath"]["type"].as_str().unwrap(),
                )
            })
            .collect();
        assert!(!paths.iter().any(|(p, _)| *p == "/run"), "{paths:?}");
        assert!(paths.iter().any(|(_, t)| *t == "Socket"), "{paths:?}");
        let container = &spec["containers"][0];
        assert_eq!(container["args"][0], "prune-agent");
        for m in container["volumeMounts"].as_array().unwrap() {
            assert_eq!(m["readOnly"], true, "{m}");
        }
        assert_eq!(container["securityContext"]["privileged"], false);
        assert_eq!(
            container["securityContext"]["capabilities"]["drop"][0],
            "ALL"
        );
    }
    assert_eq!(copies_of_app_a(&lab), (true, true));

    // No --yes, no terminal: the plan, and nothing removed.
    let out = lab.imgdup(None, &prune_args(&[]));
    assert_exit(&out, 0);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("nothing removed: stdin is not a terminal")
    );
    assert_eq!(copies_of_app_a(&lab), (true, true));

    let mark = lab.audit_mark();
    let out = lab.imgdup(None, &prune_args(&["--yes", "-o", "json"]));
    assert_exit(&out, 0);
    let report = json(&out);
    assert_eq!(report["kind"], "ClusterPruneReport");
    let nodes = report["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 2, "{report:#}");
    for (node, store) in nodes
        .iter()
        .zip(["dockerd:/var/lib/docker", "containerd:/var/lib/containerd"])
    {
        assert!(NODES_PRUNED.contains(&node["node"].as_str().unwrap()));
        let removed = &node["removed"][0];
        assert_eq!(removed["store"], store, "{node:#}");
        assert_measured_as_predicted(removed, &format!("cluster prune {}", node["node"]));
        let proof = &node["proof"];
        assert_eq!(proof["stillDuplicate"], serde_json::json!([]), "{node:#}");
        let kept = &proof["kept"][0];
        assert_eq!(kept["missingAfter"], serde_json::json!([]), "{node:#}");
        assert_eq!(kept["copyBytesBefore"], kept["copyBytesAfter"], "{node:#}");
        assert!(kept["copyBytesBefore"].as_u64().unwrap() > 0, "{node:#}");
    }
    assert_eq!(copies_of_app_a(&lab), (false, false));
    // A scan, the prune pods, a rescan: two pods each, and none left.
    let requests = lab.requests_since(&mark, "imgdup-lab-admin");
    let creates = requests.iter().filter(|r| *r == "create pods").count();
    assert_eq!(creates, 6, "{requests:?}");
    assert_eq!(lab.our_pods(), 0);
}
