//! Real kubectl 1.32 against the simulated API server: discovery fallback,
//! nodes with label selectors, pods across namespaces, a watch that shows
//! phase changes, logs, delete (the process dies), auth can-i, and the
//! PodSecurity rejection message.

mod apiserver_support;

use std::time::Duration;

use apiserver_support::{Cluster, pod};
use serde_json::json;

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn get_nodes_with_selectors_and_discovery_fallback() {
    let c = Cluster::from_yaml(
        r#"
nodes:
  - {name: linux-a, fake: {seconds: 1}, labels: {tier: a}}
  - {name: linux-b, fake: {seconds: 1}, unschedulable: true}
  - {name: win-1, fake: {seconds: 1}, os: windows}
  - {name: down-1, fake: {seconds: 1}, ready: false}
"#,
    );
    let all = c.kubectl_ok(&["get", "nodes"]);
    let lines: Vec<&str> = all.lines().collect();
    assert!(
        lines[0].starts_with("NAME") && lines[0].contains("STATUS") && lines[0].contains("VERSION"),
        "{all}"
    );
    assert_eq!(lines.len(), 5, "{all}");
    assert!(all.contains("linux-b   Ready,SchedulingDisabled"), "{all}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("down-1") && l.contains("NotReady")),
        "{all}"
    );
    let linux = c.kubectl_ok(&["get", "nodes", "-l", "kubernetes.io/os=linux", "-o", "name"]);
    assert_eq!(
        linux.lines().collect::<Vec<_>>(),
        ["node/down-1", "node/linux-a", "node/linux-b"]
    );
    let not_linux = c.kubectl_ok(&[
        "get",
        "nodes",
        "-l",
        "kubernetes.io/os!=linux",
        "-o",
        "name",
    ]);
    assert_eq!(not_linux.trim(), "node/win-1");
    let tier = c.kubectl_ok(&["get", "no", "-l", "tier in (a,b)", "-o", "name"]);
    assert_eq!(tier.trim(), "node/linux-a");
    let by_name = c.kubectl_ok(&[
        "get",
        "nodes",
        "--field-selector",
        "metadata.name=win-1",
        "-o",
        "jsonpath={.items[0].status.nodeInfo.operatingSystem}",
    ]);
    assert_eq!(by_name, "windows");
    let wide = c.kubectl_ok(&["get", "node", "linux-a", "-o", "wide"]);
    assert!(
        wide.contains("INTERNAL-IP")
            && wide.contains("CONTAINER-RUNTIME")
            && wide.contains("containerd://"),
        "{wide}"
    );
    let ns = c.kubectl_ok(&["get", "ns"]);
    for n in ["default", "kube-system", "kube-public"] {
        assert!(ns.contains(n), "{ns}");
    }
    // kubectl asked for aggregated discovery, got the legacy documents and
    // walked them; it never needed /openapi/v2.
    let req = c.get_json("/debug/requests");
    for k in [
        "get /api",
        "get /apis",
        "get /api/v1",
        "list nodes",
        "get nodes",
    ] {
        assert!(req["requests"][k].as_u64().unwrap_or(0) >= 1, "{k}: {req}");
    }
    assert!(req["requests"]["get /openapi/v2"].is_null(), "{req}");
    let version = c.kubectl_ok(&["version", "-o", "json"]);
    assert!(version.contains("\"gitVersion\": \"v1.32.0\""), "{version}");
    c.finish(&[]);
}

#[test]
fn watch_logs_delete_and_all_namespaces() {
    let root = tempfile::tempdir().unwrap();
    let c = Cluster::start(
        serde_yaml::from_str(&format!(
            "namespaces: [{{name: other}}]\nnodes:\n  - {{name: dir-1, dir: {}}}\n  - {{name: fake-1, fake: {{seconds: 30}}}}\n",
            root.path().display()
        ))
        .unwrap(),
    );
    // `timeout 5 kubectl get pods -w`, a pod created meanwhile.
    let cmd = c.kubectl_cmd(&["get", "pods", "-w"]);
    let mut timeout = std::process::Command::new("timeout");
    timeout.arg("5").arg("kubectl").args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            timeout.env(k, v);
        }
    }
    let watch = timeout
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("kubectl get pods -w");
    std::thread::sleep(Duration::from_millis(800));
    let marker = "kubectl-watch-marker-7d1";
    c.create_ok(&pod(
        "short",
        "dir-1",
        "busybox",
        &["sh", "-c", &format!("echo hello {marker}; sleep 1")],
        json!({}),
    ));
    c.wait_phase("default", "short", "Succeeded", Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(500));
    let out = watch.wait_with_output().unwrap();
    let w = stdout(&out);
    let statuses: Vec<&str> = w
        .lines()
        .filter(|l| l.starts_with("short "))
        .filter_map(|l| l.split_whitespace().nth(2))
        .collect();
    assert!(statuses.first() == Some(&"Pending"), "{w}");
    assert!(statuses.contains(&"Running"), "{w}");
    assert_eq!(statuses.last(), Some(&"Completed"), "{w}");
    // logs
    assert_eq!(
        c.kubectl_ok(&["logs", "short"]),
        format!("hello {marker}\n")
    );
    // a second namespace, all namespaces
    let mut other = pod("sleeper", "fake-1", "busybox", &["sleep", "30"], json!({}));
    other["metadata"]["namespace"] = json!("other");
    c.create_ok(&other);
    let all = c.kubectl_ok(&["get", "pods", "-A"]);
    assert!(all.starts_with("NAMESPACE"), "{all}");
    assert!(
        all.lines()
            .any(|l| l.starts_with("default") && l.contains("short")),
        "{all}"
    );
    assert!(
        all.lines()
            .any(|l| l.starts_with("other") && l.contains("sleeper")),
        "{all}"
    );
    assert!(c.kubectl_ok(&["get", "pods"]).contains("short"));
    // delete kills the process and the pod goes
    let long_marker = "kubectl-delete-marker-93b";
    c.create_ok(&pod(
        "long",
        "dir-1",
        "busybox",
        &[
            "sh",
            "-c",
            &format!("trap 'exit 0' TERM; while true; do sleep 0.1; done # {long_marker}"),
        ],
        json!({}),
    ));
    c.wait_phase("default", "long", "Running", Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(300));
    let ps = String::from_utf8_lossy(
        &std::process::Command::new("ps")
            .args(["-eo", "args"])
            .output()
            .unwrap()
            .stdout,
    )
    .into_owned();
    assert!(
        ps.contains(long_marker),
        "the container process should run: {ps}"
    );
    let started = std::time::Instant::now();
    let del = c.kubectl_ok(&["delete", "pod", "long"]);
    assert_eq!(del.trim(), "pod \"long\" deleted");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "delete took {:?}",
        started.elapsed()
    );
    assert!(c.pod("default", "long").is_none());
    apiserver_support::assert_no_process(&[long_marker]);
    let gone = c.kubectl(&["get", "pod", "long"]);
    assert!(
        stderr(&gone).contains("Error from server (NotFound): pods \"long\" not found"),
        "{}",
        stderr(&gone)
    );
    c.finish(&[marker, long_marker]);
}

#[test]
fn auth_can_i_follows_the_rules() {
    let c = Cluster::from_yaml(
        r#"
namespaces: [{name: locked}]
nodes: [{name: n1, fake: {seconds: 1}}]
rbac:
  default: allow
  deny:
    - {verbs: [create], resources: [pods], namespaces: [locked]}
    - {verbs: [get], resources: [pods/log]}
"#,
    );
    assert_eq!(
        c.kubectl_ok(&["auth", "can-i", "create", "pods"]).trim(),
        "yes"
    );
    let no = c.kubectl(&["auth", "can-i", "create", "pods", "-n", "locked"]);
    assert_eq!(
        (no.status.code(), stdout(&no).trim()),
        (Some(1), "no"),
        "{}",
        stderr(&no)
    );
    let no_log = c.kubectl(&["auth", "can-i", "get", "pods", "--subresource=log"]);
    assert_eq!(stdout(&no_log).trim(), "no");
    assert_eq!(
        c.kubectl_ok(&["auth", "can-i", "list", "nodes"]).trim(),
        "yes"
    );
    // The same rules are enforced on the requests themselves.
    let mut p = pod("p", "n1", "busybox", &["true"], json!({}));
    p["metadata"]["namespace"] = json!("locked");
    let out = c.create(&p);
    assert!(
        stderr(&out).contains("pods is forbidden: User \"sim\" cannot create resource \"pods\" in API group \"\" in the namespace \"locked\""),
        "{}",
        stderr(&out)
    );
    c.finish(&[]);
}

#[test]
fn pod_security_rejects_with_the_real_message() {
    let c = Cluster::from_yaml(
        r#"
namespaces:
  - {name: base, labels: {pod-security.kubernetes.io/enforce: baseline}}
  - {name: strict, labels: {pod-security.kubernetes.io/enforce: restricted}}
  - {name: warned, labels: {pod-security.kubernetes.io/warn: baseline}}
nodes: [{name: n1, fake: {seconds: 1}}]
"#,
    );
    let hostpath = json!({"volumes": [{"name": "a", "hostPath": {"path": "/a"}}, {"name": "b", "hostPath": {"path": "/b"}}]});
    let mut p = pod("dbg", "n1", "busybox", &["true"], hostpath.clone());
    p["metadata"]["namespace"] = json!("base");
    let out = c.create(&p);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out).trim(),
        "Error from server (Forbidden): error when creating \"STDIN\": pods \"dbg\" is forbidden: violates PodSecurity \"baseline:latest\": hostPath volumes (volumes \"a\", \"b\")"
    );
    p["metadata"]["namespace"] = json!("strict");
    let out = c.create(&p);
    let e = stderr(&out);
    assert!(e.contains("violates PodSecurity \"restricted:latest\": allowPrivilegeEscalation != false (container \"main\" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities"), "{e}");
    assert!(
        e.contains(
            "restricted volume types (volumes \"a\", \"b\" use restricted volume type \"hostPath\")"
        ),
        "{e}"
    );
    // warn mode admits, with kubectl printing the warning
    p["metadata"]["namespace"] = json!("warned");
    let out = c.create(&p);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("Warning: would violate PodSecurity \"baseline:latest\": hostPath volumes (volumes \"a\", \"b\")"), "{}", stderr(&out));
    // the default (privileged) namespace admits it
    let mut p = pod("dbg", "n1", "busybox", &["true"], hostpath);
    p["metadata"]["namespace"] = json!("default");
    assert!(c.create(&p).status.success());
    c.finish(&[]);
}
