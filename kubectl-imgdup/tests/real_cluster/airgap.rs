//! Air-gapped mode on real kubelets, `--agent-binary PATH --image SHELL`:
//! the pod runs the nodes' busybox, this build is streamed into it over the
//! real `pods/exec` (kube-rs, websocket; on the cri-dockerd node the
//! apiserver proxies to the kubelet's streaming server), and run there.

use super::*;

/// What must not differ between the image mode and the uploaded agent.
fn essence(n: &Value) -> Value {
    let ids = |key: &str| -> Vec<Value> {
        n[key]
            .as_array()
            .map(|a| a.iter().map(|x| x["id"].clone()).collect())
            .unwrap_or_default()
    };
    serde_json::json!({
        "node": n["node"], "verdict": n["verdict"], "reason": n["reason"],
        "reclaimableBytes": n["reclaimableBytes"],
        "stores": ids("stores"), "images": ids("images"),
    })
}

fn essences(out: &Output) -> Vec<Value> {
    json(out)["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(essence)
        .collect()
}

#[test]
fn the_uploaded_agent_gives_the_image_modes_reports_on_every_runtime() {
    let lab = lab();
    let image_mode = lab.imgdup(None, &["-n", "imgdup", "-o", "json"]);
    assert_exit(&image_mode, 0);
    let mark = lab.audit_mark();
    let uploaded = lab.imgdup(None, &airgapped(&["-n", "imgdup", "-o", "json"]));
    assert_exit(&uploaded, 0);
    assert_eq!(essences(&uploaded), essences(&image_mode));
    // Per node: one exec for the upload and one for the agent.
    let requests = lab.requests_since(&mark, "imgdup-lab-admin");
    let execs = requests.iter().filter(|r| r.ends_with("pods/exec")).count();
    assert_eq!(execs, 2 * NODES.len(), "{requests:?}");
    assert_eq!(lab.our_pods(), 0, "the shell pods are deleted too");
}

/// A node whose `kubernetes.io/arch` differs from the binary's ELF machine
/// gets a named reason and no pod; the other nodes are scanned.
#[test]
fn a_node_of_another_architecture_gets_a_clear_reason_and_no_pod() {
    let lab = lab();
    lab.apply(
        r#"{"apiVersion": "v1", "kind": "Node", "metadata": {"name": "arm-1",
            "labels": {"kubernetes.io/arch": "arm64", "kubernetes.io/os": "linux"}}}"#,
    );
    let mark = lab.audit_mark();
    let out = lab.imgdup(
        None,
        &airgapped(&["arm-1", "dood", "-n", "imgdup", "-o", "json"]),
    );
    let requests = lab.requests_since(&mark, "imgdup-lab-admin");
    lab.delete(&["node", "arm-1"]);
    assert_exit(&out, 4);
    let verdicts = crate::util::sim::verdicts(&out);
    assert_eq!(
        verdicts["arm-1"],
        "unknown ArchMismatch: the node is linux/arm64, --agent-binary is linux/amd64 (ELF x86-64)"
    );
    assert_eq!(verdicts["dood"], "split");
    let creates = requests.iter().filter(|r| *r == "create pods").count();
    assert_eq!(creates, 1, "only dood's pod: {requests:?}");
    assert_eq!(lab.our_pods(), 0);
}

/// Without `pods/exec` (deploy/rbac.yaml's optional airgap Role), the run
/// stops in preflight and creates nothing.
#[test]
fn without_pods_exec_the_run_stops_in_preflight_and_creates_nothing() {
    let lab = lab();
    let user = lab.user("imgdup-carol", &["imgdup-ops-carol"]);
    lab.apply(&super::security::rbac_for(
        "imgdup-ops-carol",
        Some("pods/exec"),
    ));
    let mark = lab.audit_mark();
    let out = lab.imgdup(Some(&user), &airgapped(&["-n", "imgdup"]));
    assert_exit(&out, 1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("create pods/exec"), "{err}");
    let requests = lab.requests_since(&mark, "imgdup-carol");
    assert!(!requests.iter().any(|r| r == "create pods"), "{requests:?}");
    assert_eq!(lab.our_pods(), 0);
}
