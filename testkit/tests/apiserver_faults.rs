//! The simulator's faults, which `kubectl-imgdup/tests/cluster_faults.rs`
//! and `cluster_scale.rs` rely on: 429 with Retry-After, 500s at a rate,
//! latency, dropped watches, 410 on a re-watch, pods no kubelet acts on,
//! failing image pulls, a node deleted mid-run, activeDeadlineSeconds.

use std::time::{Duration, Instant};

use crate::apiserver_support::{Cluster, http, http_full, pod};
use serde_json::{Value, json};

fn waiting_reason(p: &Value) -> String {
    p["status"]["containerStatuses"][0]["state"]["waiting"]["reason"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Not on the real cluster: a real apiserver sends 429s and 500s only under load it cannot be told to have.
#[test]
fn too_many_requests_carries_retry_after_and_500s_follow_the_rate() {
    let c = Cluster::from_yaml(
        r#"
nodes: [{name: n1, fake: {seconds: 1}}]
faults:
  - {endpoint: list, resource: pods, code: 429, retryAfterSeconds: 3, times: 1}
  - {endpoint: get, resource: nodes, code: 500, rate: 0.5}
  - {endpoint: list, resource: nodes, latencySeconds: 0.3}
"#,
    );
    let (code, body, headers) = http_full(&c.url, "GET", "/api/v1/namespaces/default/pods", None);
    assert_eq!(code, 429, "{body}");
    assert!(
        headers.contains(&("retry-after".into(), "3".into())),
        "{headers:?}"
    );
    let status: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (
            status["kind"].as_str(),
            status["reason"].as_str(),
            status["code"].as_u64()
        ),
        (Some("Status"), Some("TooManyRequests"), Some(429))
    );
    assert_eq!(status["details"]["retryAfterSeconds"], 3);
    assert_eq!(
        http(&c.url, "GET", "/api/v1/namespaces/default/pods", None).0,
        200,
        "times: 1"
    );
    let codes: Vec<u16> = (0..40)
        .map(|_| http(&c.url, "GET", "/api/v1/nodes/n1", None).0)
        .collect();
    let errors = codes.iter().filter(|c| **c == 500).count();
    assert!((8..=32).contains(&errors), "{codes:?}");
    assert!(codes.iter().all(|c| *c == 500 || *c == 200), "{codes:?}");
    let t = Instant::now();
    assert_eq!(http(&c.url, "GET", "/api/v1/nodes", None).0, 200);
    assert!(
        t.elapsed() >= Duration::from_millis(300),
        "latency {:?}",
        t.elapsed()
    );
    // Every request was counted, the failed ones too; /debug is not.
    let req = c.get_json("/debug/requests");
    assert_eq!(req["requests"]["list pods"], 2, "{req}");
    assert_eq!(req["requests"]["get nodes"], 40, "{req}");
    assert_eq!(req["total"], 43, "{req}");
    c.finish();
}

fn watch_lines(url: &str, path: &str) -> Vec<Value> {
    let (code, body, _) = http_full(url, "GET", path, None);
    assert_eq!(code, 200, "{body}");
    body.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("one JSON event per line"))
        .collect()
}

/// Not on the real cluster: its watches end and its history is compacted on etcd's schedule, not on demand.
#[test]
fn dropped_watch_ends_the_stream_and_old_versions_get_410() {
    let c = Cluster::from_yaml(
        "watchHistory: 4\nnodes: [{name: n1, fake: {seconds: 0.1}}]\nfaults: [{endpoint: watch, resource: pods, dropAfterEvents: 2, times: 1}]",
    );
    let start: u64 = c.get_json("/api/v1/namespaces/default/pods")["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    c.create_ok(&pod("p0", "n1", json!({})));
    c.wait_phase("default", "p0", "Succeeded", Duration::from_secs(5));
    // p0: ADDED, admitted, running, succeeded: 4 changes, all in the history.
    let from = |rv: u64| {
        format!("/api/v1/namespaces/default/pods?watch=1&resourceVersion={rv}&timeoutSeconds=1")
    };
    // The fault ends the first watch after 2 events although 4 are there.
    let t = Instant::now();
    let ev = watch_lines(&c.url, &from(start));
    assert_eq!(ev.len(), 2, "{ev:?}");
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    assert_eq!(ev[0]["type"], "ADDED");
    // `times: 1`: the next watch replays them all, then times out.
    let ev = watch_lines(&c.url, &from(start));
    let types: Vec<&str> = ev.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["ADDED", "MODIFIED", "MODIFIED", "MODIFIED"]);
    // A label and field selected watch from now on sees only its pod.
    c.create_ok(&pod("p1", "n1", json!({})));
    c.wait_phase("default", "p1", "Succeeded", Duration::from_secs(5));
    let ev = watch_lines(
        &c.url,
        "/api/v1/pods?watch=1&fieldSelector=metadata.name%3Dp1&labelSelector=test%3Dapiserver&timeoutSeconds=1",
    );
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert_eq!(ev[0]["object"]["metadata"]["name"], "p1");
    // p1's 4 changes pushed p0's out of the 4 kept: one ERROR event, a 410
    // Expired Status.
    let ev = watch_lines(&c.url, &from(start));
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert_eq!(ev[0]["type"], "ERROR");
    let st = &ev[0]["object"];
    assert_eq!(
        (
            st["kind"].as_str(),
            st["code"].as_u64(),
            st["reason"].as_str()
        ),
        (Some("Status"), Some(410), Some("Expired"))
    );
    assert!(
        st["message"]
            .as_str()
            .unwrap()
            .starts_with(&format!("too old resource version: {start} (")),
        "{st}"
    );
    c.finish();
}

/// Not on the real cluster: a real kubelet cannot be told to ignore one pod while it runs the others.
#[test]
fn a_pod_no_kubelet_acts_on_keeps_its_creation_status() {
    let c = Cluster::from_yaml(
        "nodes: [{name: stuck, faults: {pending: true}}, {name: ok, fake: {seconds: 0.2}}]",
    );
    c.create_ok(&pod("p", "stuck", json!({})));
    c.create_ok(&pod("unbound", "", json!({})));
    c.create_ok(&pod("q", "ok", json!({})));
    c.wait_phase("default", "q", "Succeeded", Duration::from_secs(5));
    // As on a real server, where spec.nodeName bypasses the scheduler: no
    // PodScheduled condition, nothing from a kubelet. An unbound pod, with
    // no scheduler running, looks the same.
    for name in ["p", "unbound"] {
        let p = c.pod("default", name).unwrap();
        assert_eq!(p["status"], json!({"phase": "Pending"}), "{p:#}");
    }
    // A graceful delete waits for a kubelet that never comes.
    c.kubectl_ok(&["delete", "pod", "p", "--wait=false"]);
    let p = c.pod("default", "p").expect("still there");
    assert!(p["metadata"]["deletionTimestamp"].is_string(), "{p:#}");
    // An unbound pod goes at once, a forced one too.
    c.kubectl_ok(&["delete", "pod", "unbound", "--wait=false"]);
    assert!(c.pod("default", "unbound").is_none());
    c.kubectl_ok(&["delete", "pod", "p", "--grace-period=0", "--force"]);
    assert!(c.pod("default", "p").is_none());
    c.finish();
}

/// Not on the real cluster: its registry cannot be made unreachable for one node.
#[test]
fn failing_pulls_give_image_pull_backoff() {
    let c = Cluster::from_yaml(
        "imagePullBackoffSeconds: 0.2\nnodes: [{name: bad-registry, faults: {imagePull: true}}]",
    );
    let mut p = pod("p", "bad-registry", json!({}));
    p["spec"]["containers"][0]["image"] = json!("example.com/not/there:1");
    c.create_ok(&p);
    let pulling = c.wait_pod("default", "p", Duration::from_secs(5), |p| {
        !waiting_reason(p).is_empty() && waiting_reason(p) != "ContainerCreating"
    });
    assert_eq!(waiting_reason(&pulling), "ErrImagePull", "{pulling:#}");
    let p = c.wait_pod("default", "p", Duration::from_secs(5), |p| {
        waiting_reason(p) == "ImagePullBackOff"
    });
    assert_eq!(p["status"]["phase"], "Pending");
    let message = p["status"]["containerStatuses"][0]["state"]["waiting"]["message"]
        .as_str()
        .unwrap();
    assert!(
        message.starts_with("Back-off pulling image \"example.com/not/there:1\"")
            && message.contains("lookup example.com: i/o timeout"),
        "{message}"
    );
    let logs = c.kubectl(&["logs", "p"]);
    assert!(
        String::from_utf8_lossy(&logs.stderr)
            .contains("container \"main\" in pod \"p\" is waiting to start: image can't be pulled"),
        "{logs:?}"
    );
    c.finish();
}

fn condition<'a>(p: &'a Value, t: &str) -> &'a Value {
    p["status"]["conditions"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["type"] == t))
        .unwrap_or(&Value::Null)
}

/// Not on the real cluster: deleting one of its Nodes mid-run would break the shared lab cluster.
#[test]
fn a_node_deleted_mid_run_fails_and_collects_its_pods() {
    let c = Cluster::from_yaml(
        "podGcSeconds: 0.3\nnodes:\n  - {name: doomed, fake: {seconds: 30}, faults: {deleteAfterSeconds: 0.3}}\n  - {name: other, fake: {seconds: 0.2}}\n",
    );
    c.create_ok(&pod("victim", "doomed", json!({})));
    c.wait_phase("default", "victim", "Running", Duration::from_secs(5));
    let failed = c.wait_phase("default", "victim", "Failed", Duration::from_secs(5));
    assert_eq!(
        condition(&failed, "DisruptionTarget")["reason"],
        "DeletionByPodGC"
    );
    assert_eq!(failed["status"]["reason"], "NodeLost");
    c.wait_gone("default", "victim", Duration::from_secs(5));
    let nodes = c.kubectl_ok(&["get", "nodes", "-o", "name"]);
    assert_eq!(nodes.trim(), "node/other");
    // A pod for a node that does not exist is collected too.
    c.create_ok(&pod("lost", "no-such-node", json!({})));
    c.wait_gone("default", "lost", Duration::from_secs(5));
    c.finish();
}

/// Not on the real cluster: kept beside the fake nodes' timers it bounds (the real kubelet's deadline is its own).
#[test]
fn active_deadline_ends_a_running_fake_container() {
    let c = Cluster::from_yaml("nodes: [{name: slow, fake: {seconds: 30}}]");
    c.create_ok(&pod("slow", "slow", json!({"activeDeadlineSeconds": 1})));
    c.wait_phase("default", "slow", "Running", Duration::from_secs(5));
    let p = c.wait_phase("default", "slow", "Failed", Duration::from_secs(10));
    assert_eq!(p["status"]["reason"], "DeadlineExceeded");
    assert_eq!(
        p["status"]["message"],
        "Pod was active on the node longer than the specified deadline"
    );
    let term = &p["status"]["containerStatuses"][0]["state"]["terminated"];
    assert_eq!(term["exitCode"], 143, "{p:#}");
    c.finish();
}
