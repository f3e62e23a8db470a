//! `kubectl imgdup top` with deploy/daemonset.yaml installed: every node's
//! report is read from its serve pod through the API server's pod proxy and
//! no agent pod is created; a node whose serve pod is gone falls back to an
//! agent pod, and says so. The rows equal a plain scan's.

use serde_json::Value;

use super::serve::{bind_pending, proxy, ready, serve_pods};
use super::top::{expected_rows, top_rows};
use super::*;

fn sources(top: &Value) -> BTreeMap<String, (String, String)> {
    top["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["node"].as_str().unwrap().to_string(),
                (
                    n["source"].as_str().unwrap().to_string(),
                    n["sourceDetail"].as_str().unwrap_or("-").to_string(),
                ),
            )
        })
        .collect()
}

use std::collections::BTreeMap;

#[test]
fn top_reads_the_serve_pods_through_the_proxy_and_falls_back_to_agent_pods() {
    let lab = lab();
    let manifest = testkit::lab::repo_root().join("deploy/daemonset.yaml");
    let manifest = manifest.to_str().unwrap();
    assert_exit(&lab.kubectl(&["apply", "-f", manifest]), 0);
    let mut pods = Vec::new();
    wait_for(
        Duration::from_secs(240),
        "a ready serve pod on every node",
        || {
            pods = serve_pods(&lab);
            bind_pending(&lab, &pods);
            pods.len() == NODES.len() && pods.iter().all(ready)
        },
    );
    for pod in &pods {
        let name = pod["metadata"]["name"].as_str().unwrap();
        wait_for(
            Duration::from_secs(120),
            &format!("{name}'s first scan"),
            || proxy(&lab, name, "/report").status.success(),
        );
    }
    let out = lab.imgdup(None, &["-n", "imgdup", "-o", "json", "--timeout", "120s"]);
    assert_exit(&out, 0);
    let scan = json(&out);

    let started = std::time::Instant::now();
    let out = lab.imgdup(None, &["top", "-n", "imgdup", "-o", "json"]);
    assert_exit(&out, 0);
    eprintln!("top through the serve pods: {:?}", started.elapsed());
    let top = json(&out);
    let from = sources(&top);
    assert!(
        from.values()
            .all(|(s, d)| s == "daemonset" && d.starts_with("pod imgdup/imgdup-serve")),
        "{from:#?}"
    );
    assert_eq!(from.len(), NODES.len());
    assert_eq!(
        top["apiCalls"]["create"], 0,
        "no pod created: {:#}",
        top["apiCalls"]
    );
    assert_eq!(lab.our_pods(), 0);
    assert_eq!(top_rows(&top), expected_rows(&scan), "{top:#}");
    assert_eq!(top["total"]["reclaimableBytes"], scan["reclaimableBytes"]);

    // dood's serve pod deleted: its replacement stays unbound (no
    // scheduler here), so dood falls back to an agent pod, and says why.
    let dood = pods
        .iter()
        .find(|p| p["spec"]["nodeName"] == "dood")
        .unwrap()["metadata"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    assert_exit(
        &lab.kubectl(&["-n", "imgdup", "delete", "pod", &dood, "--wait=true"]),
        0,
    );
    let out = lab.imgdup(
        None,
        &["top", "-n", "imgdup", "-o", "json", "--timeout", "120s"],
    );
    assert_exit(&out, 0);
    let top = json(&out);
    let from = sources(&top);
    assert_eq!(
        from["dood"],
        (
            "agent-pod".to_string(),
            "no Running and Ready imgdup-serve pod on this node".to_string()
        )
    );
    assert_eq!(
        from.values().filter(|(s, _)| s == "daemonset").count(),
        NODES.len() - 1
    );
    assert_eq!(top["apiCalls"]["create"], 1, "{:#}", top["apiCalls"]);
    assert_eq!(top_rows(&top), expected_rows(&scan));
    let out = lab.imgdup(None, &["top", "-n", "imgdup", "-o", "wide"]);
    assert_exit(&out, 0);
    eprintln!("{}", stdout(&out));
    assert_eq!(lab.our_pods(), 0);

    assert_exit(
        &lab.kubectl(&["delete", "-f", manifest, "--wait=true", "--timeout=120s"]),
        0,
    );
    wait_for(Duration::from_secs(120), "the serve pods to go", || {
        serve_pods(&lab).is_empty()
    });
}
