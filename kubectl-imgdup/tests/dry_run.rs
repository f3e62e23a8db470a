//! `kubectl imgdup --dry-run NODE... -o yaml`: the exact pods, no cluster contacted.

use crate::util::*;

#[test]
fn dry_run_prints_one_safe_pod_per_node_without_a_cluster() {
    let out = std::process::Command::new(bin())
        .args([
            "--dry-run",
            "worker-1",
            "worker-2",
            "-n",
            "imgdup",
            "-o",
            "yaml",
        ])
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let text = stdout(&out);
    let pods: Vec<serde_json::Value> = text
        .split("---\n")
        .filter(|d| !d.trim().is_empty())
        .map(|d| serde_yaml::from_str(d).unwrap())
        .collect();
    assert_eq!(pods.len(), 2, "{text}");
    for (pod, node) in pods.iter().zip(["worker-1", "worker-2"]) {
        assert_eq!(pod["kind"], "Pod");
        assert_eq!(pod["metadata"]["namespace"], "imgdup");
        assert_eq!(pod["spec"]["nodeName"], node);
        assert_eq!(pod["spec"]["automountServiceAccountToken"], false);
        assert!(pod["spec"]["activeDeadlineSeconds"].as_i64().unwrap() > 60);
        for volume in pod["spec"]["volumes"].as_array().unwrap() {
            assert!(volume["hostPath"]["path"].is_string(), "{volume}");
        }
        for mount in pod["spec"]["containers"][0]["volumeMounts"]
            .as_array()
            .unwrap()
        {
            assert_eq!(mount["readOnly"], true, "{mount}");
        }
    }
}

#[test]
fn dry_run_needs_node_names() {
    let out = std::process::Command::new(bin())
        .args(["--dry-run"])
        .output()
        .unwrap();
    assert_exit(&out, 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--dry-run needs the NODE names"));
}
