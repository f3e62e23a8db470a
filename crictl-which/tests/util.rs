//! The small harness every integration test goes through.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub use testkit::cmd::{assert_exit, stderr, stdout};
pub use testkit::lab::Scenario;

/// The crictl-which binary under test.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_crictl-which"))
}

/// crictl-which with a clean crictl environment.
pub fn cmd() -> Command {
    let mut c = Command::new(bin());
    c.env_remove("CONTAINER_RUNTIME_ENDPOINT")
        .env_remove("IMAGE_SERVICE_ENDPOINT")
        .env_remove("CRI_CONFIG_FILE");
    c
}

/// Runs a command and says how long it took.
pub fn timed(c: &mut Command) -> (Output, Duration) {
    let started = Instant::now();
    let out = c.output().expect("cannot run crictl-which");
    (out, started.elapsed())
}

/// Runs `crictl-which -o json ARGS` inside a lab scenario and parses the Chain.
pub fn chain_in(scenario: &Scenario, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["-o", "json"];
    all.extend_from_slice(args);
    let out = scenario.exec(&bin(), &all);
    assert_exit(&out, 0);
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", stdout(&out)))
}

/// A throwaway host root: write files at host paths under it.
pub struct HostDir {
    pub dir: tempfile::TempDir,
}

impl HostDir {
    pub fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("cw")
            .tempdir_in("/tmp")
            .unwrap();
        Self { dir }
    }
    pub fn path(&self, host_path: &str) -> PathBuf {
        self.dir.path().join(host_path.trim_start_matches('/'))
    }
    pub fn write(&self, host_path: &str, text: &str) {
        let p = self.path(host_path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    pub fn root(&self) -> &Path {
        self.dir.path()
    }
}

/// The kinds of a chain's hops, in order.
pub fn hop_kinds(chain: &serde_json::Value) -> Vec<String> {
    chain["hops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_str().unwrap().to_string())
        .collect()
}
