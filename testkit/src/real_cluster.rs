//! The lab's real cluster (`lab cluster up`): etcd, kube-apiserver and
//! kube-controller-manager on this host and a real kubelet in each lab node,
//! for tests that run the plugin through real kubectl.
//!
//! It lives in a lab dir of its own (`<lab dir>-cluster`): its kubelets add
//! the pause and busybox images to their nodes' stores, which the node tests
//! of the plain lab must not see. `scripts/test` brings it down at the end.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use crate::lab::{lab_dir, lab_script};

/// The running cluster: its lab dir and admin kubeconfig.
#[derive(Debug, Clone)]
pub struct RealCluster {
    pub lab_dir: PathBuf,
    pub kubeconfig: PathBuf,
}

/// The lab dir the cluster uses.
pub fn cluster_lab_dir() -> PathBuf {
    let mut dir = lab_dir().into_os_string();
    dir.push("-cluster");
    PathBuf::from(dir)
}

impl RealCluster {
    /// Brings the cluster up once per test process (`lab cluster up` is
    /// idempotent and starts the scenarios it needs).
    pub fn up() -> &'static Self {
        static UP: OnceLock<RealCluster> = OnceLock::new();
        UP.get_or_init(|| {
            let lab_dir = cluster_lab_dir();
            let out = Command::new(lab_script())
                .args(["cluster", "up"])
                .env("IMGDUP_LAB_DIR", &lab_dir)
                .output()
                .expect("cannot run testkit/lab/lab cluster up");
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "lab cluster up failed (logs in {}/cluster/logs):\n{text}\n{}",
                lab_dir.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            let kubeconfig = text
                .lines()
                .find_map(|l| l.strip_prefix("KUBECONFIG="))
                .map(PathBuf::from)
                .unwrap_or_else(|| panic!("lab cluster up printed no KUBECONFIG= line:\n{text}"));
            RealCluster {
                lab_dir,
                kubeconfig,
            }
        })
    }

    /// Real kubectl against the cluster, with `path_first` ahead on PATH
    /// (where kubectl finds the plugin).
    pub fn kubectl(&self, path_first: &Path, args: &[&str]) -> Output {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut paths = vec![path_first.to_path_buf()];
        paths.extend(std::env::split_paths(&path));
        Command::new("kubectl")
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env("PATH", std::env::join_paths(paths).expect("PATH"))
            .output()
            .expect("cannot run kubectl")
    }

    /// Runs a program inside one of the cluster's nodes (`lab exec`).
    pub fn exec(&self, node: &str, program: &Path, args: &[&str]) -> Output {
        Command::new(lab_script())
            .args(["exec", node, "--"])
            .arg(program)
            .args(args)
            .env("IMGDUP_LAB_DIR", &self.lab_dir)
            .env_remove("CONTAINER_RUNTIME_ENDPOINT")
            .env_remove("IMAGE_SERVICE_ENDPOINT")
            .env_remove("CRI_CONFIG_FILE")
            .output()
            .expect("cannot run lab exec")
    }

    /// The apiserver's audit log: one JSON event per line, people only
    /// (no kubelet, controller or service account).
    pub fn audit_log(&self) -> PathBuf {
        self.lab_dir.join("cluster/logs/audit.log")
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
        let out = Command::new(lab_script())
            .arg("cluster")
            .args(args)
            .env("IMGDUP_LAB_DIR", &self.lab_dir)
            .output()
            .expect("cannot run testkit/lab/lab cluster");
        assert!(
            out.status.success(),
            "lab cluster {} failed:\n{}\n{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Imports a `docker save` archive into every node's kubelet runtime.
    pub fn load_image(&self, tar: &Path) {
        self.lab_cluster(&["load-image", &tar.to_string_lossy()]);
    }
}
