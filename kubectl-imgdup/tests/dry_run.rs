//! `kubectl imgdup --dry-run NODE... -o yaml`: the exact pods, no cluster contacted;
//! `--agent-binary` and a cluster `prune --remove-leftover-store` refused before any cluster call.

use crate::util::*;

#[test]
fn dry_run_prints_one_safe_pod_per_node_without_a_cluster() {
    let out = cmd()
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
        .run();
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
    let out = cmd().args(["--dry-run"]).run();
    assert_exit(&out, 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--dry-run needs the NODE names"));
}

// --agent-binary (air-gapped mode) is checked before any cluster call.

#[test]
fn a_binary_that_is_not_elf_is_refused_before_any_cluster_call() {
    let out = cmd()
        .args(["--image", "busybox:1.36", "--agent-binary"])
        .arg(testkit::lab::repo_root().join("kubectl_complete-imgdup"))
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .run();
    assert_exit(&out, 1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not an ELF executable"), "{err}");
    // --agent-binary names the shell image with --image.
    let out = cmd()
        .args(["--dry-run", "n1", "--agent-binary"])
        .arg(bin())
        .run();
    assert_exit(&out, 2);
}

#[test]
fn dry_run_prints_the_shell_pod_with_one_writable_empty_dir() {
    let out = cmd()
        .args([
            "--dry-run",
            "worker-1",
            "-o",
            "yaml",
            "--image",
            "busybox:1.36",
        ])
        .arg("--agent-binary")
        .arg(bin())
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .run();
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(text.contains("# air-gapped: once Running,"), "{text}");
    let doc = text.trim_start_matches("---\n");
    let pod: serde_json::Value = serde_yaml::from_str(doc).unwrap();
    let c = &pod["spec"]["containers"][0];
    assert_eq!(c["image"], "busybox:1.36");
    assert_eq!(c["command"][0], "sh");
    assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], true);
    for m in c["volumeMounts"].as_array().unwrap() {
        let writable = m["readOnly"] != true;
        assert_eq!(writable, m["mountPath"] == "/imgdup", "{m}");
    }
    assert!(pod["spec"]["activeDeadlineSeconds"].as_i64().unwrap() > 60);
}

/// The cluster prune cannot prove a leftover store unused from an
/// unprivileged pod: it says so and where to run it, before any request.
#[test]
fn a_cluster_prune_refuses_a_leftover_store_before_contacting_anything() {
    let out = cmd()
        .args([
            "prune",
            "--remove-leftover-store",
            "/var/lib/docker",
            "--yes",
        ])
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .run();
    assert_exit(&out, 1);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("--remove-leftover-store needs --local"),
        "{said}"
    );
    assert!(said.contains("kubectl debug node/NODE"), "{said}");
}
