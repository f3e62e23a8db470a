//! The same runs against the simulated API server and the lab's real
//! cluster, with the same assertions: the simulator's fault and scale tests
//! (`cluster_faults`, `cluster_scale`) are only as good as its likeness to
//! a real kube-apiserver and kubelet, and these tests check that likeness.
//! The simulator's nodes are fake (a timer and a fixed report); the real
//! cluster's are the five lab nodes with real kubelets.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;
use testkit::apiserver::SimApiServer;
use testkit::apiserver::config::NodeConfig;

use crate::real_cluster::{Lab, NODES, lab, wait_for};
use crate::util::sim;
use crate::util::*;

/// Where a run goes: the simulator (with its temp dir) or the real cluster.
enum Target {
    /// The server, and the dir holding its kubeconfig.
    Sim {
        server: SimApiServer,
        _dir: tempfile::TempDir,
    },
    Real(Lab),
}

impl Target {
    fn kubeconfig(&self) -> &Path {
        match self {
            Target::Sim { server, .. } => &server.kubeconfig,
            Target::Real(lab) => &lab.cluster.kubeconfig,
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Target::Sim { .. } => "sim",
            Target::Real(_) => "real",
        }
    }

    /// The plugin itself (not through kubectl, so that signals reach it).
    fn plugin(&self, args: &[&str]) -> TestCommand {
        let mut cmd = cmd();
        cmd.arg("--kubeconfig").arg(self.kubeconfig()).args(args);
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.plugin(args).run().into()
    }

    fn our_pods(&self) -> usize {
        match self {
            Target::Sim { server, .. } => sim::our_pods(server),
            Target::Real(lab) => lab.our_pods(),
        }
    }

    /// `kubectl create -f -` of one object.
    fn create(&self, object: &str) {
        match self {
            Target::Sim { server, .. } => sim::kubectl_create(server, object),
            Target::Real(lab) => lab.apply(object),
        }
    }

    /// `kubectl get pod NAME -n NS` succeeds.
    fn pod_exists(&self, ns: &str, name: &str) -> bool {
        let out = Command::new("kubectl")
            .arg("--kubeconfig")
            .arg(self.kubeconfig())
            .args(["get", "pod", name, "-n", ns, "-o", "name"])
            .output()
            .unwrap();
        out.status.success()
    }

    fn stop(self) {
        if let Target::Sim { server, .. } = self {
            server.stop();
        }
    }
}

/// Runs `test` on the simulator (with `sim_nodes`), then on the real cluster.
fn on_both(sim_nodes: Vec<NodeConfig>, test: impl Fn(&Target)) {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = sim::config(dir.path());
    cfg.nodes = sim_nodes;
    let sim = Target::Sim {
        server: SimApiServer::start(cfg).unwrap(),
        _dir: dir,
    };
    test(&sim);
    sim.stop();
    test(&Target::Real(lab()));
}

/// Fake nodes named like the lab's, whose agents take `seconds`.
fn fake_lab_nodes(seconds: f64) -> Vec<NodeConfig> {
    NODES
        .iter()
        .map(|n| sim::fake_node(n, seconds, 0, &sim::ok_output()))
        .collect()
}

fn signal(pid: u32, sig: &str) {
    let kill = Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
}

#[test]
fn sigint_and_sigterm_mid_run_delete_every_pod_before_exiting() {
    on_both(fake_lab_nodes(60.0), |target| {
        for (sig, code) in [("-INT", 130), ("-TERM", 143)] {
            let mut child = target.plugin(&["-n", "imgdup", "-o", "json"]).spawn();
            wait_for(Duration::from_secs(30), "an agent pod", || {
                target.our_pods() > 0
            });
            let stopped = Instant::now();
            signal(child.id(), sig);
            let status = child.wait().unwrap();
            let what = format!("{} {sig}", target.name());
            assert_eq!(status.code(), Some(code), "{what}");
            assert!(stopped.elapsed() < Duration::from_secs(10), "{what}");
            assert_eq!(target.our_pods(), 0, "{what}: the sweep deleted every pod");
        }
    });
}

#[test]
fn cleanup_deletes_our_pods_in_any_namespace_and_nothing_else() {
    let pod = |name: &str, ns: &str, managed_by: &str| {
        format!(
            r#"{{"apiVersion": "v1", "kind": "Pod",
                "metadata": {{"name": "{name}", "namespace": "{ns}",
                  "labels": {{"app.kubernetes.io/managed-by": "{managed_by}"}}}},
                "spec": {{"nodeName": "runtime-switch", "terminationGracePeriodSeconds": 1,
                  "containers": [{{"name": "c", "image": "imgdup.test/busybox:1",
                    "imagePullPolicy": "Never", "command": ["sleep", "3600"]}}]}}}}"#
        )
    };
    on_both(
        vec![sim::fake_node("runtime-switch", 600.0, 0, "")],
        |target| {
            target.create(&pod("left-behind", "imgdup", "kubectl-imgdup"));
            target.create(&pod("left-elsewhere", "default", "kubectl-imgdup"));
            target.create(&pod("app", "default", "helm"));
            let dry = target.run(&["cleanup", "--dry-run"]);
            let out = target.run(&["cleanup"]);
            let helm_pod_stays = target.pod_exists("default", "app");
            let again = target.run(&["cleanup"]);
            if let Target::Real(lab) = &target {
                lab.delete(&["pod", "app", "--grace-period=1"]);
            }
            let what = target.name();
            assert_exit(&dry, 0);
            assert_eq!(
                stdout(&dry).matches("would be deleted").count(),
                2,
                "{what}: {}",
                stdout(&dry)
            );
            assert_exit(&out, 0);
            let text = stdout(&out);
            assert_eq!(text.matches(" deleted").count(), 2, "{what}: {text}");
            assert!(
                text.contains("left-behind") && text.contains("left-elsewhere"),
                "{what}: {text}"
            );
            assert!(helm_pod_stays, "{what}: the helm pod is untouched");
            assert_exit(&again, 0);
            assert!(
                stdout(&again).contains("no agent pods in any namespace"),
                "{what}"
            );
        },
    );
}

/// A node whose kubelet never acts on the pod: on the real cluster a Node
/// object with no kubelet behind it (no Lease, no conditions), on the
/// simulator a node with the `pending` fault. The name is new in every run:
/// the controller-manager marks a node that never posted a status NotReady
/// 60 s after it first saw that name (then the reason is `NodeLost`, which
/// `real_cluster/faults.rs` covers with a killed kubelet).
#[test]
fn a_node_that_never_starts_its_pod_is_unknown_pod_pending() {
    let ghost_name = format!("ghost-{}", std::process::id());
    let ghost_name = ghost_name.as_str();
    let mut ghost = sim::fake_node(ghost_name, 1.0, 0, &sim::ok_output());
    ghost.faults.pending = true;
    let sim_nodes = vec![ghost, sim::fake_node("dood", 1.0, 0, &sim::ok_output())];
    on_both(sim_nodes, |target| {
        if let Target::Real(_) = target {
            target.create(&format!(
                r#"{{"apiVersion": "v1", "kind": "Node", "metadata": {{"name": "{ghost_name}"}}}}"#
            ));
        }
        let started = Instant::now();
        let out = target.run(&[
            ghost_name,
            "dood",
            "-n",
            "imgdup",
            "-o",
            "json",
            "--pending-timeout",
            "5s",
        ]);
        let took = started.elapsed();
        if let Target::Real(lab) = target {
            lab.delete(&["node", ghost_name]);
        }
        let what = target.name();
        assert_exit(&out, 4);
        let verdicts = sim::verdicts(&out);
        assert_eq!(verdicts[ghost_name], "unknown PodPending", "{what}");
        assert!(
            !verdicts["dood"].starts_with("unknown"),
            "{what}: {verdicts:?}"
        );
        assert!(took < Duration::from_secs(30), "{what}: {took:?}");
        assert_eq!(target.our_pods(), 0, "{what}");
    });
}

/// A clean run of five nodes makes the same requests, verb by verb, on
/// both: the simulator's request budget figures hold for a real server.
#[test]
fn a_clean_run_makes_the_same_requests_on_both() {
    let calls = std::sync::Mutex::new(Vec::new());
    on_both(fake_lab_nodes(0.5), |target| {
        let out = target.run(&["-n", "imgdup", "-o", "json", "-v"]);
        assert_exit(&out, 0);
        let mut api: Value = sim::api_calls(&out);
        api.as_object_mut().unwrap().remove("retries");
        calls.lock().unwrap().push((target.name(), api));
    });
    let calls = calls.into_inner().unwrap();
    assert_eq!(calls[0].1, calls[1].1, "{calls:?}");
}
