//! deploy/daemonset.yaml on the real cluster, applied with real kubectl: a
//! `serve` pod on every node, its `/metrics` and `/report` read through the
//! API server's pod proxy and checked against `node --local` on that node;
//! deleted, it leaves nothing.
//!
//! The lab runs no kube-scheduler, and DaemonSet pods are bound by the
//! scheduler (the controller only names the node in a nodeAffinity). The
//! test binds each pod to that node through the `bindings` API, exactly as
//! kube-scheduler does; the kubelets then run them.

use std::collections::BTreeMap;

use serde_json::Value;

use super::*;
use crate::serve::{promtool_check_metrics, sample};

const SELECTOR: &str = "app.kubernetes.io/name=imgdup,app.kubernetes.io/component=serve";

pub(super) fn serve_pods(lab: &Lab) -> Vec<Value> {
    let out = lab.kubectl(&["-n", "imgdup", "get", "pods", "-l", SELECTOR, "-o", "json"]);
    assert_exit(&out, 0);
    json(&out)["items"].as_array().unwrap().clone()
}

/// Binds each unscheduled pod to the node its DaemonSet affinity names.
pub(super) fn bind_pending(lab: &Lab, pods: &[Value]) {
    for pod in pods.iter().filter(|p| p["spec"]["nodeName"].is_null()) {
        let terms = &pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
            ["nodeSelectorTerms"];
        let Some(node) = terms[0]["matchFields"][0]["values"][0].as_str() else {
            panic!(
                "no node in the DaemonSet pod's affinity: {:#}",
                pod["spec"]["affinity"]
            );
        };
        let binding = serde_json::json!({
            "apiVersion": "v1", "kind": "Binding",
            "metadata": {"name": pod["metadata"]["name"], "namespace": "imgdup"},
            "target": {"apiVersion": "v1", "kind": "Node", "name": node},
        });
        let out = kubectl_stdin(
            &lab.cluster.kubeconfig,
            &["create", "-f", "-"],
            &binding.to_string(),
        );
        // A pod bound meanwhile (a retry) answers 409; anything else is a failure.
        assert!(
            out.status.success() || stderr_of(&out).contains("already"),
            "{}",
            stderr_of(&out)
        );
    }
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub(super) fn ready(pod: &Value) -> bool {
    pod["status"]["conditions"].as_array().is_some_and(|c| {
        c.iter()
            .any(|c| c["type"] == "Ready" && c["status"] == "True")
    })
}

/// `GET` through the API server's pod proxy, as `kubectl imgdup top` does.
pub(super) fn proxy(lab: &Lab, pod: &str, path: &str) -> std::process::Output {
    lab.kubectl(&[
        "get",
        "--raw",
        &format!("/api/v1/namespaces/imgdup/pods/{pod}:9847/proxy{path}"),
    ])
}

#[test]
fn the_serve_daemonset_exports_each_nodes_node_local_figures_through_the_api_server() {
    let lab = lab();
    let manifest = testkit::lab::repo_root().join("deploy/daemonset.yaml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    assert!(
        text.contains(&format!("image: {IMAGE}\n")),
        "the DaemonSet runs the image the lab loaded"
    );
    let manifest = manifest.to_str().unwrap();
    assert_exit(&lab.kubectl(&["apply", "-f", manifest]), 0);
    let mut pods = Vec::new();
    wait_for(
        Duration::from_secs(240),
        "a ready imgdup-serve pod on every node",
        || {
            pods = serve_pods(&lab);
            bind_pending(&lab, &pods);
            pods.len() == NODES.len() && pods.iter().all(ready)
        },
    );
    let mut reclaimable = BTreeMap::new();
    for pod in &pods {
        let name = pod["metadata"]["name"].as_str().unwrap();
        let node = pod["spec"]["nodeName"].as_str().unwrap();
        // /healthz is up before the first scan ends; /report waits for it (503).
        let mut report = Value::Null;
        wait_for(
            Duration::from_secs(120),
            &format!("{node}'s first scan"),
            || {
                let out = proxy(&lab, name, "/report");
                if out.status.success() {
                    report = json(&out);
                }
                out.status.success()
            },
        );
        let out = lab.cluster.exec(
            node,
            &bin(),
            &["node", "--local", "-o", "json", "--node-name", node],
        );
        assert_exit(&out, 0);
        let local = json(&out);
        assert_eq!(
            serde_json::to_string_pretty(&figures(&report)).unwrap(),
            serde_json::to_string_pretty(&figures(&local)).unwrap(),
            "{node}: the serve pod's /report differs from node --local"
        );
        let out = proxy(&lab, name, "/metrics");
        assert_exit(&out, 0);
        let metrics = stdout(&out);
        let series = format!("imgdup_reclaimable_bytes{{node=\"{node}\"}}");
        let bytes = local["reclaimableBytes"].as_u64().unwrap();
        assert_eq!(
            sample(&metrics, &series),
            Some(bytes as f64),
            "{node}:\n{metrics}"
        );
        promtool_check_metrics(&metrics);
        let out = proxy(&lab, name, "/healthz");
        assert_exit(&out, 0);
        assert_eq!(stdout(&out), "ok\n");
        reclaimable.insert(node.to_string(), bytes);
    }
    eprintln!("reclaimable bytes per node, read through the pod proxy: {reclaimable:?}");
    assert_eq!(
        reclaimable.keys().collect::<Vec<_>>(),
        NODES.iter().collect::<Vec<_>>()
    );
    assert!(reclaimable["runtime-switch"] > 3_000_000, "{reclaimable:?}");
    // Deleted, nothing of it is left: no DaemonSet, no Service, no pod.
    assert_exit(
        &lab.kubectl(&["delete", "-f", manifest, "--wait=true", "--timeout=120s"]),
        0,
    );
    wait_for(Duration::from_secs(120), "the serve pods to go", || {
        serve_pods(&lab).is_empty()
    });
    let out = lab.kubectl(&[
        "-n",
        "imgdup",
        "get",
        "daemonsets,services,pods",
        "-l",
        SELECTOR,
        "-o",
        "name",
    ]);
    assert_exit(&out, 0);
    assert_eq!(stdout(&out), "", "left after delete");
}
