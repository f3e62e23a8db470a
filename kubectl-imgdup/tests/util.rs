//! The harness: run kubectl-imgdup inside a lab node and read its documents.

use std::path::PathBuf;

use serde_json::Value;
pub use testkit::cmd::{TestCommand, assert_exit, stdout};
pub use testkit::lab::Scenario;

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_kubectl-imgdup"))
}

/// kubectl-imgdup, with the clean crictl environment of every test command.
pub fn cmd() -> TestCommand {
    TestCommand::new(bin())
}

/// `kubectl imgdup node --local -o json ARGS` inside the scenario.
pub fn node_report(lab: &Scenario, args: &[&str]) -> Value {
    lab.command(bin())
        .args(["node", "--local", "-o", "json", "--node-name", &lab.name])
        .args(args)
        .run()
        .assert_exit(0)
        .json()
}

/// A command's stdout as JSON, or a failure that shows what it printed.
pub fn json(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", stdout(out)))
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

/// The static release build of kubectl-imgdup (scripts/build-static: its own
/// target dir, so the first run compiles and later runs only relink).
pub fn static_binary() -> PathBuf {
    let out = TestCommand::new(testkit::lab::repo_root().join("scripts/build-static"))
        .timeout(std::time::Duration::from_secs(3600))
        .run();
    assert_exit(&out, 0);
    let dir = stdout(&out).lines().last().unwrap_or_default().to_string();
    PathBuf::from(dir).join("kubectl-imgdup")
}

/// What the two reports must agree on: the node's verdict and reclaimable
/// bytes, and per image its verdict, stores and reclaimable bytes.
pub fn figures(report: &Value) -> Value {
    let mut images: Vec<Value> = report["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let mut stores: Vec<&str> = i["stores"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap())
                .collect();
            stores.sort();
            serde_json::json!({"id": i["id"], "verdict": i["verdict"],
                "stores": stores, "reclaimableBytes": i["reclaimableBytes"]})
        })
        .collect();
    images.sort_by_key(|i| i["id"].to_string());
    let mut stores: Vec<Value> = report["stores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| serde_json::json!({"id": s["id"], "live": s["live"], "active": s["active"]}))
        .collect();
    stores.sort_by_key(|s| s["id"].to_string());
    serde_json::json!({"node": report["node"], "verdict": report["verdict"],
        "reclaimableBytes": report["reclaimableBytes"], "stores": stores, "images": images})
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

/// Real kubectl with `input` on its stdin (`create -f -`, `apply -f -`).
pub fn kubectl_stdin(
    kubeconfig: &std::path::Path,
    args: &[&str],
    input: &str,
) -> std::process::Output {
    TestCommand::new("kubectl")
        .args(args)
        .env("KUBECONFIG", kubeconfig)
        .stdin(input)
        .run()
        .into()
}

/// Helpers for runs against the simulated API server, whose nodes are all
/// fake: an agent pod "runs" for a set time and its log is a set text.
pub mod sim {
    use std::collections::BTreeMap;
    use std::path::Path;
    use std::process::Output;
    use std::time::Duration;

    use serde_json::Value;
    use testkit::apiserver::SimApiServer;
    use testkit::apiserver::config::{Config, FakeSpec, NodeConfig};

    /// A cluster config (no node yet) whose kubeconfig goes in `dir`.
    pub fn config(dir: &Path) -> Config {
        Config {
            kubeconfig: Some(dir.join("kubeconfig")),
            ..Default::default()
        }
    }

    /// What a healthy agent prints: a valid NodeReport, verdict ok.
    pub fn ok_output() -> String {
        serde_json::to_string(&imgdup::model::node_report::NodeReport::new(
            "{node}".into(),
            None,
        ))
        .unwrap()
    }

    /// A fake node whose agent "runs" for `seconds` and prints `output`.
    pub fn fake_node(name: &str, seconds: f64, exit_code: i32, output: &str) -> NodeConfig {
        NodeConfig {
            name: name.into(),
            fake: FakeSpec {
                seconds,
                exit_code,
                output: output.into(),
            },
            ..Default::default()
        }
    }

    /// Pods labelled as ours that the server still holds.
    pub fn our_pods(server: &SimApiServer) -> usize {
        server
            .pods()
            .iter()
            .filter(|p| {
                p.metadata.labels.as_ref().is_some_and(|l| {
                    l.get("app.kubernetes.io/managed-by").map(String::as_str)
                        == Some("kubectl-imgdup")
                })
            })
            .count()
    }

    /// `kubectl create -f -` of one JSON object, through the real kubectl
    /// (`--validate=false`: the simulator serves no OpenAPI documents).
    pub fn kubectl_create(server: &SimApiServer, object: &str) {
        let out = super::kubectl_stdin(
            &server.kubeconfig,
            &["create", "--validate=false", "-f", "-"],
            object,
        );
        super::assert_exit(&out, 0);
    }

    /// Runs the plugin against `server` and times it.
    pub fn run(server: &SimApiServer, args: &[&str]) -> (Output, Duration) {
        let out = super::cmd()
            .arg("--kubeconfig")
            .arg(&server.kubeconfig)
            .args(args)
            .run();
        (out.output, out.elapsed)
    }

    /// `node -> "verdict reason"` from a ClusterReport on stdout.
    pub fn verdicts(out: &Output) -> BTreeMap<String, String> {
        let report: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", super::stdout(out)));
        report["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| {
                let reason = n["reason"].as_str().unwrap_or("");
                (
                    n["node"].as_str().unwrap().to_string(),
                    format!("{} {reason}", n["verdict"].as_str().unwrap())
                        .trim()
                        .to_string(),
                )
            })
            .collect()
    }

    /// The ClusterReport's `apiCalls`.
    pub fn api_calls(out: &Output) -> Value {
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        report["apiCalls"].clone()
    }
}

/// `kubectl imgdup node --local` on a hand-built host root, with no process
/// visible (`--proc` empty) so the machine's other daemons stay out of it;
/// returns the output and how long it took.
pub fn node_on(
    host: &testkit::host_dir::HostDir,
    args: &[&str],
) -> (std::process::Output, std::time::Duration) {
    let out = cmd()
        .args(["node", "--local", "--node-name", "n1", "--host-root"])
        .arg(host.root())
        .arg("--proc")
        .arg(host.empty_proc())
        .args(args)
        .run();
    (out.output, out.elapsed)
}

/// Allocated bytes under a lab node's path, measured from outside the node
/// with GNU `du -sxB1`.
pub fn du_bytes(lab: &Scenario, host_path: &str) -> u64 {
    let local = format!("{}{host_path}", lab.get("ROOT"));
    let out = TestCommand::new("du").args(["-sxB1", &local]).run();
    assert_exit(&out, 0);
    stdout(&out)
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("du printed {}", stdout(&out)))
}

/// A `removed[]` entry's measured bytes against its prediction: within 1 %,
/// plus the per-layer directory overhead the judge leaves out (a containerd
/// snapshot's own dir and `work` dir, 8 KiB; Docker's link, lower and work
/// entries, up to 16 KiB over 1 %). Returns the measured bytes.
pub fn assert_measured_as_predicted(removed: &Value, what: &str) -> u64 {
    let predicted = removed["predictedBytes"].as_u64().unwrap();
    let measured = removed["measuredBytes"].as_u64().unwrap();
    eprintln!(
        "{what}: {} predicted {predicted} B, measured {measured} B (du), free space {:+} B",
        removed["store"], removed["freeBytesDelta"]
    );
    assert_close(
        measured,
        predicted as f64,
        1.0,
        16384.0,
        "measured vs predicted",
    );
    measured
}

/// `ctr` of one of the node's containerds (`daemon` as state.env names it:
/// `CONTAINERD` or `K3S_CONTAINERD`; its own ctr generation) in namespace
/// `ns`. It must succeed.
pub fn ctr(lab: &Scenario, daemon: &str, ns: &str, args: &str) -> std::process::Output {
    let out = lab.sh(&format!(
        "{} -a {} -n {ns} {args}",
        lab.get(&format!("CTR_{daemon}")),
        lab.get(&format!("SOCK_{daemon}"))
    ));
    assert_exit(&out, 0);
    out
}

/// Imports the lab's test image `name` (`$LAB/images/<name>.tar`) into
/// `daemon`'s namespace `ns`.
pub fn ctr_import(lab: &Scenario, daemon: &str, ns: &str, name: &str) {
    let tar = lab.lab.dir().join(format!("images/{name}.tar"));
    ctr(lab, daemon, ns, &format!("images import {}", tar.display()));
}
