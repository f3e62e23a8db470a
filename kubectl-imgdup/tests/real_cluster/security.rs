//! Least privilege on the real server: real PodSecurity admission rejects
//! the agent pod in preflight, and a user holding exactly deploy/rbac.yaml
//! can run the scan, but not without `pods/log`.

use super::*;

#[test]
fn podsecurity_baseline_rejects_the_pod_in_preflight_and_says_what_to_do() {
    let lab = lab();
    lab.apply(
        r#"{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "imgdup-baseline",
            "labels": {"pod-security.kubernetes.io/enforce": "baseline"}}}"#,
    );
    let out = lab.imgdup(None, &["-n", "imgdup-baseline", "-o", "json"]);
    let pods = lab.kubectl(&["get", "pods", "-n", "imgdup-baseline", "-o", "json"]);
    lab.delete(&["namespace", "imgdup-baseline"]);
    assert_exit(&out, 1);
    let err = String::from_utf8_lossy(&out.stderr);
    for needed in [
        "nothing was created",
        // The real admission plugin's own words.
        "violates PodSecurity \"baseline:latest\": hostPath volumes",
        "pod-security.kubernetes.io/enforce=privileged",
        "kubectl label ns imgdup-baseline",
    ] {
        assert!(err.contains(needed), "{needed:?} missing from:\n{err}");
    }
    assert_exit(&pods, 0);
    assert_eq!(
        json(&pods)["items"],
        serde_json::json!([]),
        "the dry run stored nothing"
    );
}

/// deploy/rbac.yaml with its group replaced, so that each test's user gets
/// exactly its rules; `drop` removes one rule (e.g. `pods/log`).
pub fn rbac_for(group: &str, drop: Option<&str>) -> String {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/rbac.yaml"))
        .unwrap();
    let mut docs = Vec::new();
    for doc in serde_yaml::Deserializer::from_str(&text) {
        let mut doc: serde_yaml::Value = serde::Deserialize::deserialize(doc).unwrap();
        if let Some(name) = doc["metadata"]["name"].as_str() {
            doc["metadata"]["name"] = format!("{name}-{group}").into();
        }
        if let Some(role) = doc["roleRef"]["name"].as_str() {
            doc["roleRef"]["name"] = format!("{role}-{group}").into();
        }
        if let Some(subjects) = doc["subjects"].as_sequence_mut() {
            for s in subjects {
                s["name"] = group.into();
            }
        }
        if let (Some(rules), Some(drop)) = (doc["rules"].as_sequence_mut(), drop) {
            rules.retain(|r| {
                !r["resources"]
                    .as_sequence()
                    .unwrap()
                    .iter()
                    .any(|x| x == drop)
            });
        }
        if doc["kind"] == "Namespace" {
            continue;
        }
        docs.push(serde_json::to_string(&doc).unwrap());
    }
    format!(
        r#"{{"apiVersion": "v1", "kind": "List", "items": [{}]}}"#,
        docs.join(",")
    )
}

#[test]
fn a_user_bound_to_deploy_rbac_yaml_scans_and_without_pods_log_stops_in_preflight() {
    let lab = lab();
    let full = lab.user("imgdup-alice", &["imgdup-ops-alice"]);
    let short = lab.user("imgdup-bob", &["imgdup-ops-bob"]);
    lab.apply(&rbac_for("imgdup-ops-alice", None));
    lab.apply(&rbac_for("imgdup-ops-bob", Some("pods/log")));

    let out = lab.imgdup(Some(&full), &["-n", "imgdup", "-o", "json"]);
    assert_exit(&out, 0);
    assert_eq!(json(&out)["nodes"].as_array().unwrap().len(), NODES.len());
    let cleanup = lab.imgdup(Some(&full), &["cleanup", "-n", "imgdup"]);
    assert_exit(&cleanup, 0);
    // cleanup in every namespace needs the optional ClusterRole, which
    // rbac.yaml leaves unbound; the error says so.
    let everywhere = lab.imgdup(Some(&full), &["cleanup"]);
    assert_exit(&everywhere, 1);
    let err = String::from_utf8_lossy(&everywhere.stderr);
    assert!(err.contains("ClusterRole kubectl-imgdup-cleanup"), "{err}");

    let mark = lab.audit_mark();
    let out = lab.imgdup(Some(&short), &["-n", "imgdup", "-o", "json"]);
    assert_exit(&out, 1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("missing permissions (nothing was created)")
            && err.contains("get pods/log in namespace imgdup (Role): read each node's report"),
        "{err}"
    );
    let requests = lab.requests_since(&mark, "imgdup-bob");
    assert!(
        requests
            .iter()
            .all(|r| !r.starts_with("create pods") || r.ends_with("dryRun")),
        "{requests:?}"
    );
    assert!(
        requests
            .iter()
            .any(|r| r == "create selfsubjectaccessreviews"),
        "{requests:?}"
    );
    assert_eq!(lab.our_pods(), 0);
}

/// A ServiceAccount's bearer token in the kubeconfig is never printed: not
/// with `-v`, not on errors. `-v` (and kubectl's `-v=N`) report the
/// requests per node; without it, nothing.
#[test]
fn verbose_output_reports_requests_per_node_and_never_prints_the_token() {
    let lab = lab();
    lab.apply(
        r#"{"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": "imgdup-runner", "namespace": "imgdup"}}"#,
    );
    lab.apply(&rbac_for("system:serviceaccounts:imgdup", None));
    let token = lab.kubectl(&["create", "token", "imgdup-runner", "-n", "imgdup"]);
    assert_exit(&token, 0);
    let token = stdout(&token).trim().to_string();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    let admin = std::fs::read_to_string(&lab.cluster.kubeconfig).unwrap();
    let server_and_ca: Vec<&str> = admin
        .lines()
        .filter(|l| l.contains("server:") || l.contains("certificate-authority-data:"))
        .map(str::trim)
        .collect();
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: lab\n  cluster:\n    {}\n    {}\n\
             users:\n- name: runner\n  user:\n    token: {token}\n\
             contexts:\n- name: runner\n  context: {{cluster: lab, user: runner, namespace: imgdup}}\n\
             current-context: runner\n",
            server_and_ca[0], server_and_ca[1]
        ),
    )
    .unwrap();
    // The token's signature, the part that makes it a secret.
    let secret = token.rsplit('.').next().unwrap();
    for args in [
        &["-v", "-o", "wide"][..],
        &["-v", "-o", "json"],
        &["-v", "which", "dood"],
        &["-v", "no-such-node"],
        &["-v", "-n", "kube-system", "cleanup"],
    ] {
        let out = lab.imgdup(Some(&kubeconfig), args);
        let all = format!("{}{}", stdout(&out), String::from_utf8_lossy(&out.stderr));
        assert!(!all.contains(secret), "{args:?} printed the token:\n{all}");
    }
    for verbose in ["-v", "-v=6"] {
        let out = lab.imgdup(Some(&kubeconfig), &[verbose, "-o", "json"]);
        assert_exit(&out, 0);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("API calls:"), "{verbose}: {err}");
        for node in NODES {
            assert!(
                err.lines().any(|l| l.trim_start().starts_with(node)),
                "{verbose} {node}: {err}"
            );
        }
    }
    let quiet = lab.imgdup(Some(&kubeconfig), &["-o", "json"]);
    assert_exit(&quiet, 0);
    assert!(!String::from_utf8_lossy(&quiet.stderr).contains("API calls:"));
    assert_eq!(lab.our_pods(), 0);
}
