//! The lab's real cluster (`lab cluster up`): etcd, kube-apiserver and
//! kube-controller-manager on this host and a real kubelet in each lab node,
//! for tests that run the plugin through real kubectl.
//!
//! It lives in a lab dir of its own (`<lab dir>-cluster`): its kubelets add
//! the pause and busybox images to their nodes' stores, which the node tests
//! of the plain lab must not see. `scripts/test` brings it down at the end.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use crate::cmd::TestCommand;
use crate::lab::Lab;

/// The running cluster: its lab and admin kubeconfig.
#[derive(Debug, Clone)]
pub struct RealCluster {
    pub lab: Lab,
    pub kubeconfig: PathBuf,
}

/// The lab the cluster uses: this process's lab dir plus `-cluster`.
pub fn cluster_lab() -> Lab {
    let mut dir = Lab::from_env().dir().as_os_str().to_owned();
    dir.push("-cluster");
    Lab::at(dir)
}

impl RealCluster {
    /// Brings the cluster up once per test process (`lab cluster up` is
    /// idempotent and starts the scenarios it needs).
    pub fn up() -> &'static Self {
        static UP: OnceLock<RealCluster> = OnceLock::new();
        UP.get_or_init(|| {
            let lab = cluster_lab();
            let out = lab
                .command()
                .args(["cluster", "up"])
                .output()
                .expect("cannot run testkit/lab/lab cluster up");
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "lab cluster up failed (logs in {}/cluster/logs):\n{text}\n{}",
                lab.dir().display(),
                String::from_utf8_lossy(&out.stderr)
            );
            let kubeconfig = text
                .lines()
                .find_map(|l| l.strip_prefix("KUBECONFIG="))
                .map(PathBuf::from)
                .unwrap_or_else(|| panic!("lab cluster up printed no KUBECONFIG= line:\n{text}"));
            RealCluster { lab, kubeconfig }
        })
    }

    /// Real kubectl against the cluster, with `path_first` ahead on PATH
    /// (where kubectl finds the plugin).
    pub fn kubectl(&self, path_first: &Path, args: &[&str]) -> Output {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut paths = vec![path_first.to_path_buf()];
        paths.extend(std::env::split_paths(&path));
        TestCommand::new("kubectl")
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env("PATH", std::env::join_paths(paths).expect("PATH"))
            .run()
            .into()
    }

    /// Runs a program inside one of the cluster's nodes (`lab exec`).
    pub fn exec(&self, node: &str, program: &Path, args: &[&str]) -> Output {
        TestCommand::new(program)
            .args(args)
            .in_scenario(&self.lab, node)
            .run()
            .into()
    }

    /// The apiserver's audit log: one JSON event per line, people only
    /// (no kubelet, controller or service account).
    pub fn audit_log(&self) -> PathBuf {
        self.lab.dir().join("cluster/logs/audit.log")
    }

    /// A kubeconfig for user `name` in `groups`: a client certificate the
    /// cluster's CA signs (`lab cluster user`); RBAC decides the rest.
    pub fn user(&self, name: &str, groups: &[&str]) -> PathBuf {
        let out = self.lab_cluster(&[&["user", name], groups].concat());
        let text = String::from_utf8_lossy(&out.stdout);
        text.lines()
            .find_map(|l| l.strip_prefix("KUBECONFIG="))
            .map(PathBuf::from)
            .unwrap_or_else(|| panic!("lab cluster user printed no KUBECONFIG= line:\n{text}"))
    }

    /// SIGKILLs a node's kubelet, as a crash would (`lab cluster kill-kubelet`).
    pub fn kill_kubelet(&self, node: &str) {
        self.lab_cluster(&["kill-kubelet", node]);
    }

    /// Starts the kubelets that are not running, and waits for their nodes
    /// to be Ready (`lab cluster up NODE`).
    pub fn restart_kubelet(&self, node: &str) {
        self.lab_cluster(&["up", node]);
    }

    fn lab_cluster(&self, args: &[&str]) -> Output {
        self.lab.run(&[&["cluster"], args].concat())
    }

    /// Imports a `docker save` archive into every node's kubelet runtime.
    pub fn load_image(&self, tar: &Path) {
        self.lab_cluster(&["load-image", &tar.to_string_lossy()]);
    }
}
