//! The harness: run kubectl-imgdup inside a lab node and read its documents.

use std::path::PathBuf;

use serde_json::Value;
pub use testkit::cmd::{assert_exit, stdout};
pub use testkit::lab::Scenario;

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_kubectl-imgdup"))
}

/// `kubectl imgdup node --local -o json ARGS` inside the scenario.
pub fn node_report(lab: &Scenario, args: &[&str]) -> Value {
    let mut all = vec!["node", "--local", "-o", "json", "--node-name", &lab.name];
    all.extend_from_slice(args);
    let out = lab.exec(&bin(), &all);
    assert_exit(&out, 0);
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", stdout(&out)))
}

/// The report's image whose tags include `tag`.
pub fn image<'a>(report: &'a Value, tag: &str) -> &'a Value {
    report["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| {
            i["tags"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t.as_str().unwrap().ends_with(tag))
        })
        .unwrap_or_else(|| panic!("no image tagged {tag} in {:#}", report["images"]))
}

pub fn store<'a>(report: &'a Value, runtime: &str, path: &str) -> &'a Value {
    report["stores"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["runtime"] == runtime && s["path"] == path)
        .unwrap_or_else(|| panic!("no {runtime} store at {path} in {:#}", report["stores"]))
}

pub const MIB: f64 = 1024.0 * 1024.0;

/// `actual` is within `pct` percent (plus `slack` bytes of filesystem overhead) of `expected`.
#[track_caller]
pub fn assert_close(actual: u64, expected: f64, pct: f64, slack: f64, what: &str) {
    let diff = (actual as f64 - expected).abs();
    assert!(
        diff <= expected * pct / 100.0 + slack,
        "{what}: {actual} bytes, expected {expected} ± {pct}% + {slack}"
    );
}
