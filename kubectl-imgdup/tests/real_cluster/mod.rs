//! `kubectl imgdup` through real kubectl on the lab's real cluster
//! (`lab cluster up`: etcd, kube-apiserver v1.36 with Node+RBAC and
//! PodSecurity, kube-controller-manager, and a real kubelet in each lab node
//! on its own runtime).
//!
//! The agent image is the one `scripts/agent-image` builds FROM scratch from
//! the static binary, imported into every node's kubelet runtime: no
//! registry is involved, as on an air-gapped cluster. The tests share one
//! cluster and change it (users, namespaces, a killed kubelet, extra Node
//! objects), so each holds [`Lab`] for its whole run: they take turns.

mod airgap;
mod completion;
mod errors;
mod faults;
mod prune;
mod scan;
mod security;
mod serve;
mod top;
mod top_daemonset;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use serde_json::Value;
use testkit::real_cluster::RealCluster;

use crate::util::*;

pub const IMAGE: &str = concat!("ghcr.io/imgdup/kubectl-imgdup:", env!("CARGO_PKG_VERSION"));
/// The shell image `lab cluster up` imports into every node (static busybox).
pub const SHELL_IMAGE: &str = "imgdup.test/busybox:1";
pub const NODES: [&str; 5] = [
    "containerd2",
    "dood",
    "k3s-docker",
    "runtime-switch",
    "two-containerds",
];

/// The cluster, with the agent image in every node's runtime, held by one
/// test at a time.
pub struct Lab {
    pub cluster: &'static RealCluster,
    _turn: MutexGuard<'static, ()>,
}

/// Waits for this test's turn on the cluster.
pub fn lab() -> Lab {
    static TURN: Mutex<()> = Mutex::new(());
    let turn = TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    Lab {
        cluster: cluster_with_agent(),
        _turn: turn,
    }
}

/// The cluster with the agent image in every node's runtime (once per run).
fn cluster_with_agent() -> &'static RealCluster {
    static READY: OnceLock<()> = OnceLock::new();
    let cluster = RealCluster::up();
    READY.get_or_init(|| {
        let binary = static_binary();
        // Built by a node's own dockerd, saved, then imported everywhere.
        let script = testkit::lab::repo_root().join("scripts/agent-image");
        let out = cluster.exec(
            "k3s-docker",
            &script,
            &["--binary", binary.to_str().unwrap()],
        );
        assert_exit(&out, 0);
        let tar = cluster.lab.dir().join("agent-image.tar");
        let out = cluster.exec(
            "k3s-docker",
            Path::new("docker"),
            &["save", "-o", tar.to_str().unwrap(), IMAGE],
        );
        assert_exit(&out, 0);
        cluster.load_image(&tar);
    });
    cluster
}

impl Lab {
    /// Real kubectl as the cluster's admin.
    pub fn kubectl(&self, args: &[&str]) -> Output {
        self.cluster.kubectl(Path::new("/nonexistent"), args)
    }

    /// `kubectl imgdup ARGS` through real kubectl, which finds the plugin on
    /// PATH, as `kubeconfig`'s user (the admin's when `None`).
    pub fn imgdup<S: AsRef<OsStr>>(&self, kubeconfig: Option<&Path>, args: &[S]) -> Output {
        self.imgdup_command(kubeconfig, args)
            .output()
            .expect("cannot run kubectl")
    }

    pub fn imgdup_command<S: AsRef<OsStr>>(
        &self,
        kubeconfig: Option<&Path>,
        args: &[S],
    ) -> Command {
        let plugin_dir = bin().parent().unwrap().to_path_buf();
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut paths = vec![plugin_dir];
        paths.extend(std::env::split_paths(&path));
        let mut cmd = Command::new("kubectl");
        cmd.arg("imgdup")
            .args(args)
            .env("KUBECONFIG", kubeconfig.unwrap_or(&self.cluster.kubeconfig))
            .env("PATH", std::env::join_paths(paths).expect("PATH"));
        cmd
    }

    /// `kubectl apply -f -` of YAML or JSON, as the admin.
    pub fn apply(&self, manifest: &str) {
        let out = kubectl_stdin(&self.cluster.kubeconfig, &["apply", "-f", "-"], manifest);
        assert_exit(&out, 0);
    }

    /// Deletes objects, whether or not they exist, without waiting.
    pub fn delete(&self, what: &[&str]) {
        let mut args = vec!["delete", "--ignore-not-found", "--wait=false"];
        args.extend_from_slice(what);
        assert_exit(&self.kubectl(&args), 0);
    }

    /// Agent pods of ours left anywhere in the cluster.
    pub fn our_pods(&self) -> usize {
        let out = self.kubectl(&[
            "get",
            "pods",
            "-A",
            "-l",
            "app.kubernetes.io/managed-by=kubectl-imgdup",
            "-o",
            "json",
        ]);
        assert_exit(&out, 0);
        json(&out)["items"].as_array().unwrap().len()
    }

    /// A kubeconfig for `name`, a member of `groups` only.
    pub fn user(&self, name: &str, groups: &[&str]) -> PathBuf {
        self.cluster.user(name, groups)
    }
}

/// `args` in air-gapped mode: the shell image every node has, and this
/// build's static binary to upload into it.
pub fn airgapped(args: &[&str]) -> Vec<String> {
    let binary = static_binary().display().to_string();
    let mode = ["--image", SHELL_IMAGE, "--agent-binary", &binary];
    args.iter().chain(&mode).map(|a| a.to_string()).collect()
}

/// Polls `done` every 100 ms until it holds, or fails naming `what`.
pub fn wait_for(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Where the audit log ends now; [`Lab::requests_since`] reads from there.
pub struct AuditMark(usize);

impl Lab {
    pub fn audit_mark(&self) -> AuditMark {
        AuditMark(self.audit_events().len())
    }

    /// The requests `user` made since `mark`, one per audit ID, as
    /// `verb resource[/subresource]` (with ` dryRun` for dry runs).
    pub fn requests_since(&self, mark: &AuditMark, user: &str) -> Vec<String> {
        let mut seen = std::collections::BTreeSet::new();
        self.audit_events()
            .into_iter()
            .skip(mark.0)
            .filter(|e| e["user"]["username"] == user)
            .filter(|e| seen.insert(e["auditID"].as_str().unwrap_or_default().to_string()))
            .map(|e| {
                let o = &e["objectRef"];
                let mut what = format!(
                    "{} {}",
                    e["verb"].as_str().unwrap_or("?"),
                    o["resource"].as_str().unwrap_or("-")
                );
                if let Some(sub) = o["subresource"].as_str() {
                    what = format!("{what}/{sub}");
                }
                if e["requestURI"]
                    .as_str()
                    .is_some_and(|u| u.contains("dryRun="))
                {
                    what.push_str(" dryRun");
                }
                what
            })
            .collect()
    }

    fn audit_events(&self) -> Vec<Value> {
        let path = self.cluster.audit_log();
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read the audit log {}: {e}", path.display()));
        // A line being written has no newline yet; it is read next time.
        text.split_inclusive('\n')
            .filter(|l| l.ends_with('\n'))
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("audit line {l}: {e}")))
            .collect()
    }
}
