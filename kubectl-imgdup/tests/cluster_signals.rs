//! The plugin stopped mid-run. SIGINT and SIGTERM: every pod is deleted
//! before it exits. SIGKILL: nothing can run, so the pods' own
//! `activeDeadlineSeconds` ends them on the server side, and
//! `kubectl imgdup cleanup` removes what is left.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use testkit::apiserver::SimApiServer;

use crate::util::sim::*;
use crate::util::*;

/// Three nodes whose agents run for `seconds`; the plugin started with `args`,
/// returned once all three pods exist.
fn mid_run(dir: &std::path::Path, seconds: f64, args: &[&str]) -> (SimApiServer, Child) {
    let mut cfg = config(dir);
    cfg.nodes = (0..3)
        .map(|i| fake_node(&format!("slow-{i}"), seconds, 0, &ok_output()))
        .collect();
    let server = SimApiServer::start(cfg).unwrap();
    let child = Command::new(bin())
        .arg("--kubeconfig")
        .arg(&server.kubeconfig)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for(Duration::from_secs(20), "the agent pods to appear", || {
        our_pods(&server) == 3
    });
    (server, child)
}

fn wait_for(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn signal(child: &Child, sig: &str) {
    let kill = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
}

#[test]
fn sigint_and_sigterm_delete_every_pod_before_exiting() {
    for (sig, code) in [("-INT", 130), ("-TERM", 143)] {
        let dir = tempfile::tempdir().unwrap();
        let (server, mut child) = mid_run(dir.path(), 60.0, &["-o", "json"]);
        let stopped = Instant::now();
        signal(&child, sig);
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(code), "{sig}");
        assert!(stopped.elapsed() < Duration::from_secs(10), "{sig}");
        assert_eq!(our_pods(&server), 0, "{sig}: the sweep deleted every pod");
        server.stop();
    }
}

#[test]
fn after_sigkill_the_deadline_ends_the_pods_and_cleanup_removes_them() {
    let dir = tempfile::tempdir().unwrap();
    // A 1 s scan deadline: activeDeadlineSeconds is 1 + 60.
    let (server, mut child) = mid_run(dir.path(), 600.0, &["-o", "json", "--timeout", "1s"]);
    signal(&child, "-KILL");
    let _ = child.wait();
    assert_eq!(our_pods(&server), 3, "SIGKILL leaves the pods");
    for pod in server.pods() {
        assert_eq!(pod.spec.unwrap().active_deadline_seconds, Some(61));
    }
    // Server side, without the plugin: the kubelet ends them at the deadline.
    wait_for(Duration::from_secs(90), "DeadlineExceeded", || {
        let pods = server.pods();
        pods.len() == 3
            && pods.iter().all(|p| {
                p.status.as_ref().and_then(|s| s.reason.as_deref()) == Some("DeadlineExceeded")
            })
    });
    assert!(server.processes().is_empty(), "{:?}", server.processes());

    let (dry, _) = run(&server, &["cleanup", "--dry-run"]);
    assert_exit(&dry, 0);
    assert_eq!(
        stdout(&dry).matches("would be deleted").count(),
        3,
        "{}",
        stdout(&dry)
    );
    assert_eq!(our_pods(&server), 3);
    let (out, _) = run(&server, &["cleanup"]);
    assert_exit(&out, 0);
    assert_eq!(
        stdout(&out).matches(" deleted").count(),
        3,
        "{}",
        stdout(&out)
    );
    assert_eq!(our_pods(&server), 0);
    let (again, _) = run(&server, &["cleanup"]);
    assert_exit(&again, 0);
    assert!(stdout(&again).contains("no agent pods in any namespace"));
    server.stop();
}

#[test]
fn cleanup_only_touches_labelled_pods() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.nodes = vec![fake_node("n0", 600.0, 0, "")];
    let server = SimApiServer::start(cfg).unwrap();
    let other = r#"{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "app", "namespace": "default",
        "labels": {"app.kubernetes.io/managed-by": "helm"}},
        "spec": {"nodeName": "n0", "containers": [{"name": "app", "image": "busybox"}]}}"#;
    crate::util::sim::kubectl_create(&server, other);
    let (out, _) = run(&server, &["cleanup"]);
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("no agent pods"), "{}", stdout(&out));
    assert_eq!(server.pods().len(), 1, "the helm pod is untouched");
    server.stop();
}
