//! The real crictl is the oracle (issue 13, item 3).
//!
//! For every lab scenario and every case of a matrix of inputs (flags, env,
//! config files, crictl's default sockets alive, dead, symlinked or absent),
//! crictl and crictl-which run side by side in one private mount namespace
//! inside the node: same flags, environment, files and working directory.
//! They must name the same endpoint (crictl's `--debug` names it when it
//! probes its defaults; a given one is told apart by the runtime behind it),
//! reach the same runtime (`crictl version`, `crictl info`'s containerd root
//! and socket) and store (`crictl images -q` against kubectl-imgdup's
//! NodeReport), or fail for the same cause.
//!
//! The namespace is private so the shared node never changes: `/etc` and
//! crictl's own directory get an overlay, `/run` a tmpfs rebuilt from bind
//! mounts (an overlay does not pass connections on to the sockets below it).
//! crictl runs with `--max-retries 0`: retries only change how long a dead
//! given endpoint takes to fail, never which endpoint is chosen.

//!
//! The pieces: `cases` is the matrix, `node` what each scenario offers it,
//! `namespace` the script that sets a case up and runs both programs in it,
//! `compare` the rules that say whether their answers agree.

mod cases;
mod compare;
mod namespace;
mod node;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use crate::util::{Scenario, stderr, stdout};

use self::cases::cases;
use self::compare::check;
use self::node::Node;

/// Every scenario with a CRI endpoint. Add a scenario here and the whole
/// matrix runs on it; cases that need what it lacks (a second CRI daemon, a
/// live socket that is not CRI) are left out for it.
const SCENARIOS: &[&str] = &[
    "k3s-docker",
    "runtime-switch",
    "two-containerds",
    "dood",
    "containerd2",
];

/// Where crictl-which looks for crictl first, so its exe-dir fallback is ours.
const CRICTL: &str = "/usr/local/bin/crictl";
/// One timeout for both programs: small, and only hanging sockets would hit it.
const TIMEOUT: &str = "2s";
/// Cases run at once: each is a few short processes inside a node.
const THREADS: usize = 4;

fn require_crictl() {
    let out = Command::new(CRICTL).arg("--version").output();
    assert!(
        out.as_ref().is_ok_and(|o| o.status.success()),
        "the real crictl is missing at {CRICTL}: it is the oracle of this test. Run `bash scripts/install-deps` (as root), which builds it from sigs.k8s.io/cri-tools"
    );
}

/// A scratch dir for this run's cases, under /tmp: every node shares the
/// host's /tmp (a `TMPDIR` under /run or /var/lib would be the node's own).
fn scratch() -> PathBuf {
    let dir = Path::new("/tmp").join(format!("imgdup-oracle-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn crictl_which_resolves_every_case_as_the_real_crictl_does() {
    require_crictl();
    let started = Instant::now();
    let nodes: Vec<Node> = SCENARIOS
        .iter()
        .map(|s| Node::new(Scenario::up(s)))
        .collect();
    let cases = cases();
    let jobs: Vec<(&Node, usize)> = nodes
        .iter()
        .flat_map(|n| (0..cases.len()).map(move |i| (n, i)))
        .filter(|(n, i)| cases[*i].applies_to(n))
        .collect();
    let root = scratch();
    let next = AtomicUsize::new(0);
    let found = Mutex::new(Vec::new());
    let tally = Mutex::new(std::collections::BTreeMap::<String, usize>::new());
    std::thread::scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| {
                while let Some(&(node, i)) = jobs.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let dir = root.join(&node.lab.name).join(i.to_string());
                    let (report, how) = check(node, &cases[i], &dir);
                    for h in how {
                        *tally.lock().unwrap().entry(h).or_default() += 1;
                    }
                    match report {
                        Some(report) => found.lock().unwrap().push(report),
                        None => {
                            let _ = std::fs::remove_dir_all(&dir);
                        }
                    }
                }
            });
        }
    });
    let found = found.into_inner().unwrap();
    let tally = tally.into_inner().unwrap();
    eprintln!(
        "real crictl oracle: {} cases x {} scenarios = {} runs in {:.1} s; crictl: {tally:?}",
        cases.len(),
        nodes.len(),
        jobs.len(),
        started.elapsed().as_secs_f64()
    );
    for how in ["ok, probed", "ok, given", "failed, probed", "failed"] {
        for what in ["runtime", "image"] {
            let key = format!("{what} {how}");
            assert!(
                tally.get(&key).is_some_and(|n| *n > 0),
                "no run has {key}: {tally:?}"
            );
        }
    }
    assert!(
        found.is_empty(),
        "{} of {} runs differ from crictl:\n\n{}",
        found.len(),
        jobs.len(),
        found.join("\n\n")
    );
    let _ = std::fs::remove_dir_all(&root);
}

/// crictl.yaml texts crictl reads oddly (yaml.v3 node values), each read by
/// `crictl --config F config --list` and by our parser.
const YAML_CORPUS: &[&str] = &[
    "runtime-endpoint: unix:///a\nimage-endpoint: unix:///b\ntimeout: 7\n",
    "runtime-endpoint: ~\nimage-endpoint: null\n",
    "runtime-endpoint:\nimage-endpoint: \"\"\n",
    "runtime-endpoint: 0x10\ndebug: True\n",
    "timeout: 0x10\n",
    "timeout: +5\nmax-retries: -1\n",
    "timeout: 2s\n",
    "debug: yes\n",
    "runtime-endpoint: unix:///a\nruntime-endpoint: unix:///b\n",
    "runtime-endpoint: unix:///a\n---\nruntime-endpoint: unix:///b\n",
    "runtime-endpoint: unix:///a\n---\n[unclosed\n",
    "- runtime-endpoint\n- unix:///s\n",
    "{runtime-endpoint: unix:///f, timeout: 3}\n",
    "runtime-endpoint: !!str 5\nimage-endpoint: !foo x\n",
    "runtime-endpoint: [a, b]\nimage-endpoint: {a: b}\n",
    "runtime_endpoint: unix:///a\n",
    "runtime-endpoint: unix:///a\nbogus\n",
    "just-a-string\n",
    "# only a comment\n",
    "\t\n",
    "",
];

#[test]
fn crictl_yaml_is_read_as_crictl_reads_it() {
    require_crictl();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("crictl.yaml");
    let mut diffs = Vec::new();
    for text in YAML_CORPUS {
        std::fs::write(&file, text).unwrap();
        let out = Command::new(CRICTL)
            .arg("--config")
            .arg(&file)
            .args(["config", "--list"])
            .output()
            .unwrap();
        let theirs: Result<Vec<(String, String)>, String> = if out.status.success() {
            // A table after a clear-screen escape: KEY VALUE, one option a line.
            Ok(stdout(&out)
                .lines()
                .skip(1)
                .map(|l| match l.split_once(char::is_whitespace) {
                    Some((k, v)) => (k.to_string(), v.trim().to_string()),
                    None => (l.to_string(), String::new()),
                })
                .collect())
        } else {
            Err(stderr(&out))
        };
        let ours = imgdup::host::crictl_yaml::parse(text.as_bytes())
            .map(|y| {
                [
                    ("runtime-endpoint", y.runtime_endpoint.trim().to_string()),
                    ("image-endpoint", y.image_endpoint.trim().to_string()),
                    ("timeout", y.timeout_secs.to_string()),
                    ("debug", y.debug.to_string()),
                    ("pull-image-on-create", y.pull_image_on_create.to_string()),
                    ("disable-pull-on-run", y.disable_pull_on_run.to_string()),
                    ("max-retries", y.max_retries.to_string()),
                ]
                .map(|(k, v)| (k.to_string(), v))
                .to_vec()
            })
            .map_err(|e| e.to_string());
        match (&theirs, &ours) {
            (Ok(a), Ok(b)) if a == b => {}
            (Err(_), Err(_)) => {}
            _ => diffs.push(format!(
                "{text:?}:\n  crictl: {theirs:?}\n  ours:   {ours:?}"
            )),
        }
    }
    assert!(
        diffs.is_empty(),
        "crictl.yaml read differently:\n{}",
        diffs.join("\n")
    );
}
