//! The small harness every integration test goes through.

use std::path::PathBuf;

pub use testkit::cmd::{TestCommand, assert_exit, stderr, stdout};
pub use testkit::host_dir::HostDir;
pub use testkit::lab::Scenario;

/// The crictl-which binary under test.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_crictl-which"))
}

/// crictl-which, with the clean crictl environment of every test command.
pub fn cmd() -> TestCommand {
    TestCommand::new(bin())
}

/// Runs `crictl-which -o json ARGS` inside a lab scenario and parses the Chain.
pub fn chain_in(scenario: &Scenario, args: &[&str]) -> serde_json::Value {
    scenario
        .command(bin())
        .args(["-o", "json"])
        .args(args)
        .run()
        .assert_exit(0)
        .json()
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
