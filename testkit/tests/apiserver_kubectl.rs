//! Real kubectl 1.32 against the simulated API server, as
//! `kubectl-imgdup/tests/util.rs` (`kubectl create`) and the
//! `bench/fanout.sh` peer (`kubectl debug node/X`, `wait`, `logs`,
//! `delete`) use it: discovery fallback, protobuf pod creation, field
//! selectors and logs.

use std::time::Duration;

use crate::apiserver_support::{Cluster, pod};
use serde_json::json;

/// Not on the real cluster: it checks the simulator for the benchmark's thousand nodes, which only it can hold.
#[test]
fn the_fanout_peer_loop_debug_wait_logs_delete() {
    let c = Cluster::from_yaml(
        "fakeNodes: {count: 2, prefix: node-, fake: {seconds: 0.3, output: \"{node}\\n\"}}",
    );
    // kubectl debug posts its pod as protobuf.
    let said = c.kubectl_ok(&[
        "debug",
        "node/node-1",
        "--image=busybox",
        "--",
        "cat",
        "/host/etc/hostname",
    ]);
    let pod = said
        .strip_prefix("Creating debugging pod ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("{said}"))
        .to_string();
    assert!(pod.starts_with("node-debugger-node-1-"), "{said}");
    let created = c.pod("default", &pod).unwrap();
    assert_eq!(created["spec"]["nodeName"], "node-1");
    assert_eq!(
        created["spec"]["containers"][0]["command"],
        json!(["cat", "/host/etc/hostname"])
    );
    c.kubectl_ok(&[
        "wait",
        "--for=jsonpath={.status.phase}=Succeeded",
        "--timeout=20s",
        &format!("pod/{pod}"),
    ]);
    assert_eq!(c.kubectl_ok(&["logs", &pod]), "node-1\n");
    assert_eq!(
        c.kubectl_ok(&["delete", "pod", &pod, "--wait=false"])
            .trim(),
        format!("pod \"{pod}\" deleted")
    );
    c.wait_gone("default", &pod, Duration::from_secs(5));
    // kubectl asked for aggregated discovery, got the legacy documents and
    // walked them; it never needed the OpenAPI documents.
    let req = c.get_json("/debug/requests");
    for k in [
        "get /api",
        "get /apis",
        "get /api/v1",
        "create pods",
        "get nodes",
    ] {
        assert!(req["requests"][k].as_u64().unwrap_or(0) >= 1, "{k}: {req}");
    }
    assert!(
        !req["requests"]
            .as_object()
            .unwrap()
            .keys()
            .any(|k| k.contains("openapi")),
        "{req}"
    );
    c.finish();
}

/// Not on the real cluster: it checks the simulator's side of `util::sim::kubectl_create`.
#[test]
fn kubectl_create_get_and_errors() {
    let c = Cluster::from_yaml("nodes: [{name: n1, fake: {seconds: 0.2}}]");
    let mut helm = pod("helm-owned", "n1", json!({}));
    helm["metadata"]["labels"] = json!({"app.kubernetes.io/managed-by": "Helm"});
    assert_eq!(
        String::from_utf8_lossy(&c.create(&helm).stdout).trim(),
        "pod/helm-owned created"
    );
    c.wait_phase("default", "helm-owned", "Succeeded", Duration::from_secs(5));
    let names = c.kubectl_ok(&[
        "get",
        "pods",
        "-l",
        "app.kubernetes.io/managed-by=Helm",
        "-o",
        "name",
    ]);
    assert_eq!(names.trim(), "pod/helm-owned");
    assert_eq!(
        c.kubectl_ok(&["get", "nodes", "-o", "name"]).trim(),
        "node/n1"
    );
    let again = c.create(&helm);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("AlreadyExists"),
        "{again:?}"
    );
    let gone = c.kubectl(&["get", "pod", "missing"]);
    assert!(
        String::from_utf8_lossy(&gone.stderr)
            .contains("Error from server (NotFound): pods \"missing\" not found"),
        "{gone:?}"
    );
    c.finish();
}
