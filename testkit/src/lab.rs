//! The Rust side of the lab: a [`Lab`] (one lab dir) brings scenarios up
//! (idempotently, through `testkit/lab/lab`); a [`Scenario`] is one running
//! node, its `state.env`, and [`TestCommand`]s run inside it.
//!
//! Tests never skip: when the daemons are missing the harness fails with
//! the command that installs them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use crate::cmd::TestCommand;

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

/// One lab: a directory of scenarios (`IMGDUP_LAB_DIR`) and the lab
/// command that manages them. The plain lab and the real cluster's lab
/// (`<dir>-cluster`) are two of these, so nothing mixes their nodes up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lab {
    dir: PathBuf,
}

impl Lab {
    /// The lab of this test process: `IMGDUP_LAB_DIR`, default /tmp/imgdup-lab.
    pub fn from_env() -> Self {
        let dir = std::env::var_os("IMGDUP_LAB_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/tmp/imgdup-lab"));
        Self { dir }
    }

    /// A lab kept in `dir`.
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The lab command, pointed at this lab.
    pub fn command(&self) -> Command {
        let mut c = Command::new(lab_script());
        c.env("IMGDUP_LAB_DIR", &self.dir);
        c
    }

    /// `lab ARGS`, which must succeed.
    #[track_caller]
    pub fn run(&self, args: &[&str]) -> Output {
        let out = self
            .command()
            .args(args)
            .output()
            .expect("cannot run testkit/lab/lab");
        assert!(
            out.status.success(),
            "lab {} failed (lab dir {}):\n{}\n{}",
            args.join(" "),
            self.dir.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Brings scenario `name` up if it is not up yet (the lab serializes
    /// concurrent callers) and reads its `state.env`.
    pub fn up(&self, name: &str) -> Scenario {
        require_daemons();
        build_standins();
        self.run(&["up", name]);
        let path = self.dir.join(name).join("state.env");
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        Scenario {
            lab: self.clone(),
            name: name.to_string(),
            state: parse_state(&text),
        }
    }

    /// A new instance of `name`, torn down first if an earlier run left one:
    /// for tests that change their node (`two-containerds.proof`).
    pub fn fresh(&self, name: &str) -> Scenario {
        let _ = self.command().args(["down", name]).output();
        self.up(name)
    }
}

/// A running simulated node of a [`Lab`].
#[derive(Debug, Clone)]
pub struct Scenario {
    pub lab: Lab,
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
    /// Scenario `name` of this process's lab, brought up if it is not.
    pub fn up(name: &str) -> Self {
        Lab::from_env().up(name)
    }

    /// A new instance of scenario `name` of this process's lab ([`Lab::fresh`]).
    pub fn fresh(name: &str) -> Self {
        Lab::from_env().fresh(name)
    }

    /// Stops this scenario (for instances a test changed, like `two-containerds.proof`).
    pub fn down(&self) {
        self.lab.run(&["down", &self.name]);
    }

    /// `program` to run inside this scenario's namespaces.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> TestCommand {
        let mut c = TestCommand::new(program);
        c.in_scenario(&self.lab, &self.name);
        c
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
        self.command(program).args(args).run().into()
    }
}

/// Parses `KEY=VALUE` lines; values may be double-quoted.
fn parse_state(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().trim_matches('"').to_string()))
        .collect()
}
