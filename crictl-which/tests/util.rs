//! The small harness every integration test goes through.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub use testkit::cmd::{assert_exit, stderr, stdout};
pub use testkit::host_dir::HostDir;
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

/// The kinds of a chain's hops, in order.
pub fn hop_kinds(chain: &serde_json::Value) -> Vec<String> {
    chain["hops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_str().unwrap().to_string())
        .collect()
}
