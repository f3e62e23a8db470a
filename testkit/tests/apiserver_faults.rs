//! Fault injection and failure states: pods stuck Pending, image pulls that
//! fail, 429 with Retry-After, 500s, latency, dropped watches, a too-old
//! resourceVersion, a node deleted mid-run, NotReady and OutOfcpu nodes,
//! activeDeadlineSeconds.

mod apiserver_support;

use std::time::{Duration, Instant};

use apiserver_support::{Cluster, http, http_full, pod};
use serde_json::{Value, json};

fn condition<'a>(p: &'a Value, t: &str) -> &'a Value {
    p["status"]["conditions"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["type"] == t))
        .unwrap_or(&Value::Null)
}

#[test]
fn stuck_pending_is_unschedulable_with_an_event() {
    let c = Cluster::from_yaml(
        "nodes: [{name: stuck, fake: {seconds: 1}, faults: {pending: true}}, {name: ok, fake: {seconds: 1}}]",
    );
    c.create_ok(&pod("p", "stuck", "busybox", &["true"], json!({})));
    let p = c.wait_pod("default", "p", Duration::from_secs(5), |p| {
        condition(p, "PodScheduled")["reason"] == "Unschedulable"
    });
    assert_eq!(p["status"]["phase"], "Pending");
    assert_eq!(condition(&p, "PodScheduled")["status"], "False");
    // The event is recorded just after the condition: wait for it too.
    let started = Instant::now();
    let mut ev = c.events("default", "p");
    while ev.is_empty() && started.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
        ev = c.events("default", "p");
    }
    assert!(
        ev.iter()
            .any(|(r, m)| r == "FailedScheduling" && m.starts_with("0/2 nodes are available")),
        "{ev:?}"
    );
    let fs = c.kubectl_ok(&[
        "get",
        "events",
        "--field-selector",
        "involvedObject.name=p,involvedObject.kind=Pod",
        "-o",
        "jsonpath={.items[*].reason}",
    ]);
    assert_eq!(fs, "FailedScheduling");
    // Without nodeName there is no scheduler: the same state.
    c.create_ok(&pod("unbound", "", "busybox", &["true"], json!({})));
    let p = c.wait_pod("default", "unbound", Duration::from_secs(5), |p| {
        condition(p, "PodScheduled")["reason"] == "Unschedulable"
    });
    assert_eq!(p["status"]["phase"], "Pending");
    // An unscheduled pod is deleted at once.
    c.kubectl_ok(&["delete", "pod", "p", "unbound"]);
    assert!(c.sim().pods().is_empty());
    c.finish(&[]);
}

#[test]
fn unmapped_image_gives_image_pull_backoff() {
    let c = Cluster::from_yaml(
        "imagePullBackoffSeconds: 0.2\nnodes: [{name: n1, fake: {seconds: 1}}, {name: bad-registry, fake: {seconds: 1}, faults: {imagePull: true}}]",
    );
    c.create_ok(&pod(
        "p",
        "n1",
        "example.com/not/there:1",
        &["true"],
        json!({}),
    ));
    let waiting = |p: &Value| {
        p["status"]["containerStatuses"][0]["state"]["waiting"]["reason"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let p = c.wait_pod("default", "p", Duration::from_secs(5), |p| {
        waiting(p) == "ImagePullBackOff"
    });
    assert_eq!(p["status"]["phase"], "Pending");
    // The kubelet records its BackOff events just after the status that
    // says ImagePullBackOff, as a real kubelet does: wait for the last one.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let reasons: Vec<String> = loop {
        let reasons: Vec<String> = c
            .events("default", "p")
            .into_iter()
            .map(|(r, m)| format!("{r}: {m}"))
            .collect();
        if reasons
            .iter()
            .any(|r| r == "Failed: Error: ImagePullBackOff")
            || std::time::Instant::now() > deadline
        {
            break reasons;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(
        reasons.iter().any(|r| r.starts_with(
            "Failed: Failed to pull image \"example.com/not/there:1\": rpc error: code = NotFound"
        )),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r == "Failed: Error: ErrImagePull"),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r == "BackOff: Back-off pulling image \"example.com/not/there:1\""),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r == "Failed: Error: ImagePullBackOff"),
        "{reasons:?}"
    );
    let table = c.kubectl_ok(&["get", "pod", "p"]);
    assert!(table.contains("ImagePullBackOff"), "{table}");
    let logs = c.kubectl(&["logs", "p"]);
    assert!(
        String::from_utf8_lossy(&logs.stderr)
            .contains("container \"main\" in pod \"p\" is waiting to start: image can't be pulled"),
        "{:?}",
        logs
    );
    // A mapped image on a node whose pulls fail.
    c.create_ok(&pod("q", "bad-registry", "busybox", &["true"], json!({})));
    let q = c.wait_pod("default", "q", Duration::from_secs(5), |p| {
        waiting(p) == "ImagePullBackOff"
    });
    assert!(
        q["status"]["containerStatuses"][0]["state"]["waiting"]["message"]
            .as_str()
            .unwrap()
            .contains("i/o timeout"),
        "{q}"
    );
    c.finish(&[]);
}

#[test]
fn too_many_requests_carries_retry_after_and_500s_follow_the_rate() {
    let c = Cluster::from_yaml(
        r#"
nodes: [{name: n1, fake: {seconds: 1}}]
faults:
  - {endpoint: list, resource: pods, code: 429, retryAfterSeconds: 3, times: 1}
  - {endpoint: get, resource: nodes, code: 500, rate: 0.5}
  - {endpoint: list, resource: namespaces, latencySeconds: 0.3}
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
    let (_, e) = http(&c.url, "GET", "/api/v1/nodes/n1", None);
    if e["kind"] == "Status" {
        assert_eq!(e["reason"], "InternalError");
    }
    let t = Instant::now();
    assert_eq!(http(&c.url, "GET", "/api/v1/namespaces", None).0, 200);
    assert!(
        t.elapsed() >= Duration::from_millis(300),
        "latency {:?}",
        t.elapsed()
    );
    // Faults can be changed at runtime; kubectl then sees the 429 too.
    let (code, _) = http(
        &c.url,
        "PUT",
        "/debug/faults",
        Some(
            &json!([{"endpoint": "list", "resource": "nodes", "code": 503, "retryAfterSeconds": 1}]),
        ),
    );
    assert_eq!(code, 200);
    let out = c.kubectl(&["get", "nodes", "--request-timeout=3s"]);
    assert!(!out.status.success());
    let req = c.get_json("/debug/requests");
    assert!(
        req["requests"]["list nodes"].as_u64().unwrap() >= 2,
        "kubectl retries 503 with Retry-After: {req}"
    );
    c.finish(&[]);
}

fn watch_lines(url: &str, path: &str) -> Vec<Value> {
    let (code, body, _) = http_full(url, "GET", path, None);
    assert_eq!(code, 200, "{body}");
    body.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("one JSON event per line"))
        .collect()
}

#[test]
fn dropped_watch_ends_the_stream_and_old_versions_get_410() {
    let c = Cluster::from_yaml(
        "nodes: [{name: n1, fake: {seconds: 0.1}}]\nfaults: [{endpoint: watch, resource: pods, dropAfterEvents: 2}]",
    );
    for i in 0..3 {
        c.create_ok(&pod(
            &format!("p{i}"),
            "n1",
            "busybox",
            &["true"],
            json!({}),
        ));
    }
    for i in 0..3 {
        c.wait_phase(
            "default",
            &format!("p{i}"),
            "Succeeded",
            Duration::from_secs(5),
        );
    }
    // The stream ends after 2 events although more are available.
    let t = Instant::now();
    let ev = watch_lines(
        &c.url,
        "/api/v1/namespaces/default/pods?watch=1&resourceVersion=1&timeoutSeconds=30",
    );
    assert_eq!(ev.len(), 2, "{ev:?}");
    assert!(t.elapsed() < Duration::from_secs(10));
    assert_eq!(ev[0]["type"], "ADDED");
    // Without the fault, a watch from rv 1 replays the history, then times out.
    http(&c.url, "PUT", "/debug/faults", Some(&json!([])));
    let ev = watch_lines(
        &c.url,
        "/api/v1/namespaces/default/pods?watch=true&resourceVersion=1&timeoutSeconds=1",
    );
    let types: Vec<&str> = ev.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types.iter().filter(|t| **t == "ADDED").count(),
        3,
        "{types:?}"
    );
    assert!(types.contains(&"MODIFIED"), "{types:?}");
    // A label/field selected watch with bookmarks.
    let ev = watch_lines(
        &c.url,
        "/api/v1/pods?watch=1&fieldSelector=metadata.name%3Dp1&labelSelector=test%3Dapiserver&timeoutSeconds=1&allowWatchBookmarks=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan",
    );
    assert_eq!(ev[0]["type"], "ADDED");
    assert_eq!(ev[0]["object"]["metadata"]["name"], "p1");
    assert_eq!(ev[1]["type"], "BOOKMARK");
    assert_eq!(
        ev[1]["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"],
        "true"
    );
    // Compacted history: one ERROR event, a 410 Expired Status.
    let (_, compact) = http(&c.url, "POST", "/debug/compact", None);
    let now: u64 = compact["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let ev = watch_lines(
        &c.url,
        "/api/v1/namespaces/default/pods?watch=1&resourceVersion=1",
    );
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
    assert_eq!(
        st["message"],
        format!("too old resource version: 1 ({now})")
    );
    c.finish(&[]);
}

#[test]
fn deleted_node_mid_run_fails_and_collects_its_pods() {
    let c = Cluster::from_yaml(
        "podGcSeconds: 0.3\nnodes:\n  - {name: doomed, fake: {seconds: 30}, faults: {deleteAfterSeconds: 0.3}}\n  - {name: other, fake: {seconds: 0.2}}\n",
    );
    c.create_ok(&pod(
        "victim",
        "doomed",
        "busybox",
        &["sleep", "30"],
        json!({}),
    ));
    c.wait_phase("default", "victim", "Running", Duration::from_secs(5));
    let failed = c.wait_pod("default", "victim", Duration::from_secs(5), |p| {
        p["status"]["phase"] == "Failed"
    });
    assert_eq!(
        condition(&failed, "DisruptionTarget")["reason"],
        "DeletionByPodGC"
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while c.pod("default", "victim").is_some() {
        assert!(Instant::now() < deadline, "PodGC did not delete the pod");
        std::thread::sleep(Duration::from_millis(50));
    }
    let nodes = c.kubectl_ok(&["get", "nodes", "-o", "name"]);
    assert_eq!(nodes.trim(), "node/other");
    // A pod for a node that does not exist is collected too.
    c.create_ok(&pod(
        "lost",
        "no-such-node",
        "busybox",
        &["true"],
        json!({}),
    ));
    std::thread::sleep(Duration::from_millis(800));
    assert!(c.pod("default", "lost").is_none());
    // And the API can delete a node.
    c.kubectl_ok(&["delete", "node", "other"]);
    assert_eq!(c.kubectl_ok(&["get", "nodes", "-o", "name"]).trim(), "");
    c.finish(&[]);
}

#[test]
fn not_ready_and_out_of_cpu_nodes() {
    let c = Cluster::from_yaml(
        "nodes: [{name: down, fake: {seconds: 1}, ready: false}, {name: full, fake: {seconds: 1}, faults: {outOfCpu: true}}]",
    );
    c.create_ok(&pod("a", "down", "busybox", &["true"], json!({})));
    c.create_ok(&pod("b", "full", "busybox", &["true"], json!({})));
    let b = c.wait_phase("default", "b", "Failed", Duration::from_secs(5));
    assert_eq!(b["status"]["reason"], "OutOfcpu");
    assert!(
        b["status"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Pod was rejected: Node didn't have enough resource: cpu")
    );
    std::thread::sleep(Duration::from_millis(300));
    let a = c.pod("default", "a").unwrap();
    assert_eq!(a["status"]["phase"], "Pending");
    assert!(a["status"]["startTime"].is_null(), "no kubelet admitted it");
    // No kubelet finishes a graceful delete: the pod stays Terminating.
    c.kubectl_ok(&["delete", "pod", "a", "--wait=false"]);
    std::thread::sleep(Duration::from_millis(300));
    assert!(!c.pod("default", "a").unwrap()["metadata"]["deletionTimestamp"].is_null());
    assert!(c.kubectl_ok(&["get", "pod", "a"]).contains("Terminating"));
    c.finish(&[]);
}

#[test]
fn active_deadline_kills_a_running_process() {
    let root = tempfile::tempdir().unwrap();
    let c = Cluster::start(
        serde_yaml::from_str(&format!(
            "nodes: [{{name: d, dir: {}}}]",
            root.path().display()
        ))
        .unwrap(),
    );
    let marker = "deadline-marker-51c";
    c.create_ok(&pod(
        "slow",
        "d",
        "busybox",
        &["sh", "-c", &format!("echo start; sleep 60 # {marker}")],
        json!({"activeDeadlineSeconds": 1, "terminationGracePeriodSeconds": 1}),
    ));
    let p = c.wait_phase("default", "slow", "Failed", Duration::from_secs(10));
    assert_eq!(p["status"]["reason"], "DeadlineExceeded");
    assert_eq!(
        p["status"]["message"],
        "Pod was active on the node longer than the specified deadline"
    );
    let term = &p["status"]["containerStatuses"][0]["state"]["terminated"];
    assert_eq!(
        term["exitCode"], 137,
        "sh as pid 1 ignores SIGTERM, so SIGKILL after the grace period: {p}"
    );
    apiserver_support::assert_no_process(&[marker]);
    assert!(
        c.events("default", "slow")
            .iter()
            .any(|(r, _)| r == "DeadlineExceeded")
    );
    assert_eq!(c.kubectl_ok(&["logs", "slow"]), "start\n");
    c.finish(&[marker]);
}
