//! The Rust side of the lab: bring a scenario up (idempotently, through
//! `testkit/lab/lab`), read its `state.env`, and run commands inside it.
//!
//! Tests never skip: when the daemons are missing the harness fails with
//! the command that installs them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The repository root (testkit's parent directory).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("testkit lives in the repo")
        .to_path_buf()
}

/// The lab command.
pub fn lab_script() -> PathBuf {
    repo_root().join("testkit/lab/lab")
}

/// Where the lab keeps its scenarios (`IMGDUP_LAB_DIR`, default /tmp/imgdup-lab).
pub fn lab_dir() -> PathBuf {
    std::env::var_os("IMGDUP_LAB_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp/imgdup-lab"))
}

/// A running simulated node.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub state: HashMap<String, String>,
}

/// Builds the k3s stand-in once per test process (the lab runs it).
fn build_standins() {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "-q", "-p", "testkit", "--bin", "k3s"])
            .current_dir(repo_root())
            .status()
            .expect("cannot run cargo to build the lab's k3s stand-in");
        assert!(status.success(), "building the k3s stand-in failed");
    });
}

/// The real programs the lab runs: Debian's daemons, and the Go builds that
/// `scripts/install-go` links into /usr/local/bin (`IMGDUP_GO_BIN_DIR`).
fn require_daemons() {
    let on_path = |bin: &str| {
        std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).any(|d| d.join(bin).is_file()))
            .unwrap_or(false)
    };
    for bin in ["dockerd", "docker", "unshare", "nsenter"] {
        assert!(
            on_path(bin),
            "`{bin}` is not installed: the lab needs real daemons. Run `bash scripts/install-deps` (as root), or `bash .ci/run`"
        );
    }
    let go_bin = std::env::var_os("IMGDUP_GO_BIN_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/local/bin"));
    for path in [
        PathBuf::from("/usr/bin/containerd"),
        PathBuf::from("/usr/bin/ctr"),
        go_bin.join("containerd"),
        go_bin.join("cri-dockerd"),
        go_bin.join("crictl"),
    ] {
        assert!(
            path.is_file(),
            "{} is missing: the lab runs Debian's containerd 1.6 and the real containerd 2.x, cri-dockerd and crictl. Run `bash scripts/install-deps` (as root)",
            path.display()
        );
    }
}

impl Scenario {
    /// Brings `name` up if it is not up yet (the lab serializes concurrent callers).
    pub fn up(name: &str) -> Self {
        require_daemons();
        build_standins();
        let out = Command::new(lab_script())
            .args(["up", name])
            .output()
            .expect("cannot run testkit/lab/lab");
        assert!(
            out.status.success(),
            "lab up {name} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let path = lab_dir().join(name).join("state.env");
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        Self {
            name: name.to_string(),
            state: parse_state(&text),
        }
    }

    /// A new instance, torn down first if an earlier run left one: for tests
    /// that change their node (`two-containerds.proof`).
    pub fn fresh(name: &str) -> Self {
        let _ = Command::new(lab_script()).args(["down", name]).output();
        Self::up(name)
    }

    /// Stops this scenario (for instances a test changed, like `two-containerds.proof`).
    pub fn down(&self) {
        let out = Command::new(lab_script())
            .args(["down", &self.name])
            .output()
            .expect("cannot run lab down");
        assert!(
            out.status.success(),
            "lab down {} failed: {}",
            self.name,
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Runs a shell command line inside the scenario.
    pub fn sh(&self, script: &str) -> Output {
        self.exec(Path::new("/bin/sh"), &["-c", script])
    }

    /// A value from `state.env`.
    pub fn get(&self, key: &str) -> &str {
        self.state
            .get(key)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("{}: state.env has no {key}", self.name))
    }

    /// A pid from `state.env`, as seen inside the scenario.
    pub fn pid(&self, key: &str) -> u32 {
        self.get(key)
            .parse()
            .unwrap_or_else(|_| panic!("{}: {key} is not a pid", self.name))
    }

    /// Runs a program inside the scenario's namespaces.
    pub fn exec(&self, program: &Path, args: &[&str]) -> Output {
        Command::new(lab_script())
            .args(["exec", &self.name, "--"])
            .arg(program)
            .args(args)
            .env_remove("CONTAINER_RUNTIME_ENDPOINT")
            .env_remove("IMAGE_SERVICE_ENDPOINT")
            .env_remove("CRI_CONFIG_FILE")
            .output()
            .expect("cannot run lab exec")
    }
}

/// Parses `KEY=VALUE` lines; values may be double-quoted.
pub fn parse_state(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().trim_matches('"').to_string()))
        .collect()
}
