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

    /// Imports a `docker save` archive into every node's kubelet runtime.
    pub fn load_image(&self, tar: &Path) {
        let out = Command::new(lab_script())
            .args(["cluster", "load-image"])
            .arg(tar)
            .env("IMGDUP_LAB_DIR", &self.lab_dir)
            .output()
            .expect("cannot run lab cluster load-image");
        assert!(
            out.status.success(),
            "lab cluster load-image {} failed:\n{}\n{}",
            tar.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
