//! Least privilege, proven against the simulated API server: PodSecurity
//! admission, the exact RBAC of deploy/rbac.yaml, and no secret printed.

use std::collections::BTreeMap;

use testkit::apiserver::SimApiServer;
use testkit::apiserver::config::{Config, NamespaceConfig, RbacConfig, RbacRule};

use crate::util::sim::*;
use crate::util::*;

fn namespace(name: &str, enforce: Option<&str>) -> NamespaceConfig {
    NamespaceConfig {
        name: name.into(),
        labels: enforce
            .map(|level| {
                BTreeMap::from([(
                    "pod-security.kubernetes.io/enforce".to_string(),
                    level.to_string(),
                )])
            })
            .unwrap_or_default(),
    }
}

fn two_nodes(dir: &std::path::Path) -> Config {
    let mut cfg = config(dir);
    cfg.nodes = vec![
        fake_node("n0", 0.2, 0, &ok_output()),
        fake_node("n1", 0.2, 0, &ok_output()),
    ];
    cfg
}

#[test]
fn podsecurity_baseline_rejects_the_pod_before_any_is_created_and_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = two_nodes(dir.path());
    cfg.namespaces = vec![
        namespace("locked", Some("baseline")),
        namespace("imgdup", Some("privileged")),
        namespace("unlabelled", None),
    ];
    // The cluster's own default, for namespaces without a label.
    cfg.pod_security_default = "baseline".into();
    let server = SimApiServer::start(cfg).unwrap();
    for ns in ["locked", "unlabelled"] {
        let (out, _) = run(&server, &["-n", ns, "-o", "json"]);
        assert_exit(&out, 1);
        let err = String::from_utf8_lossy(&out.stderr);
        for needed in [
            "nothing was created",
            "violates PodSecurity \"baseline",
            "hostPath",
            "pod-security.kubernetes.io/enforce=privileged",
            &format!("kubectl label ns {ns}"),
        ] {
            assert!(
                err.contains(needed),
                "{ns}: {needed:?} missing from:\n{err}"
            );
        }
        assert!(server.pods().is_empty(), "{ns}: the dry run stored nothing");
        assert!(server.processes().is_empty());
    }
    let (out, _) = run(&server, &["-n", "imgdup", "-o", "json"]);
    assert_exit(&out, 0);
    assert!(verdicts(&out).values().all(|v| v == "ok"));
    assert_eq!(our_pods(&server), 0);
    server.stop();
}

/// The rules deploy/rbac.yaml grants through its bindings, as the simulated
/// server's allow list (ClusterRoles cluster-wide, Roles in their namespace).
fn rbac_yaml_rules() -> Vec<RbacRule> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/rbac.yaml"))
        .unwrap();
    let docs: Vec<serde_yaml::Value> = serde_yaml::Deserializer::from_str(&text)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .collect();
    let bound: Vec<(String, String)> = docs
        .iter()
        .filter(|d| {
            matches!(
                d["kind"].as_str(),
                Some("ClusterRoleBinding" | "RoleBinding")
            )
        })
        .map(|d| {
            (
                d["roleRef"]["kind"].as_str().unwrap().to_string(),
                d["roleRef"]["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let strings = |v: &serde_yaml::Value| -> Vec<String> {
        v.as_sequence()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    };
    let mut rules = Vec::new();
    for doc in &docs {
        let kind = doc["kind"].as_str().unwrap_or_default().to_string();
        let name = doc["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if !bound.contains(&(kind.clone(), name)) {
            continue;
        }
        let namespaces = match kind.as_str() {
            "Role" => vec![doc["metadata"]["namespace"].as_str().unwrap().to_string()],
            _ => Vec::new(),
        };
        for rule in doc["rules"].as_sequence().unwrap() {
            rules.push(RbacRule {
                verbs: strings(&rule["verbs"]),
                resources: strings(&rule["resources"]),
                namespaces: namespaces.clone(),
                names: Vec::new(),
            });
        }
    }
    assert!(rules.len() >= 3, "{rules:?}");
    rules
}

#[test]
fn the_rbac_of_deploy_yaml_suffices_and_a_missing_rule_fails_in_preflight() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = two_nodes(dir.path());
    cfg.namespaces = vec![namespace("imgdup", Some("privileged"))];
    cfg.rbac = RbacConfig {
        default: "deny".into(),
        allow: rbac_yaml_rules(),
        deny: Vec::new(),
    };
    let server = SimApiServer::start(cfg.clone()).unwrap();
    let (out, _) = run(&server, &["-n", "imgdup", "-o", "json"]);
    assert_exit(&out, 0);
    assert!(
        verdicts(&out).values().all(|v| v == "ok"),
        "{}",
        stdout(&out)
    );
    assert_eq!(our_pods(&server), 0);
    server.stop();

    // The same role without pods/log.
    cfg.rbac
        .allow
        .retain(|r| !r.resources.contains(&"pods/log".to_string()));
    let server = SimApiServer::start(cfg).unwrap();
    let (out, _) = run(&server, &["-n", "imgdup", "-o", "json"]);
    assert_exit(&out, 1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("missing permissions (nothing was created)"),
        "{err}"
    );
    assert!(
        err.contains("get pods/log in namespace imgdup (Role)"),
        "{err}"
    );
    assert_eq!(
        server.requests().get("create pods").copied().unwrap_or(0),
        0,
        "no pod was created, not even a dry run: {:?}",
        server.requests()
    );
    server.stop();
}

#[test]
fn verbose_output_reports_requests_per_node_and_never_prints_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = two_nodes(dir.path());
    cfg.token = "s3cr3t-bearer-0123456789abcdef".into();
    cfg.require_token = true;
    let server = SimApiServer::start(cfg).unwrap();
    let kubeconfig = std::fs::read_to_string(&server.kubeconfig).unwrap();
    assert!(
        kubeconfig.contains("s3cr3t-bearer"),
        "the token is in the kubeconfig"
    );
    for args in [
        &["-v", "-o", "wide"][..],
        &["-v", "-o", "json"],
        &["-v", "which", "n0"],
        &["-v", "no-such-node"],
        &["-v", "-n", "kube-system", "cleanup"],
    ] {
        let (out, _) = run(&server, args);
        let all = format!("{}{}", stdout(&out), String::from_utf8_lossy(&out.stderr));
        assert!(
            !all.contains("s3cr3t-bearer"),
            "{args:?} printed the token:\n{all}"
        );
    }
    // `-v` and kubectl's habitual `-v=N` both report; no flag, no report.
    for verbose in ["-v", "-v=6"] {
        let (out, _) = run(&server, &[verbose, "-o", "json"]);
        assert_exit(&out, 0);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("API calls:"), "{verbose}: {err}");
        for node in ["n0", "n1"] {
            assert!(
                err.lines().any(|l| l.trim_start().starts_with(node)),
                "{verbose} {node}: {err}"
            );
        }
    }
    let (quiet, _) = run(&server, &["-o", "json"]);
    assert!(!String::from_utf8_lossy(&quiet.stderr).contains("API calls:"));
    server.stop();
}
