//! The `imgdup-sim-apiserver` binary, as `bench/fanout.sh` runs it: config
//! file and flags, the lines it prints, kubectl through the kubeconfig it
//! writes, the request counters over HTTP, and a clean exit on SIGTERM.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::apiserver_support::http;

const BIN: &str = env!("CARGO_BIN_EXE_imgdup-sim-apiserver");

struct Server {
    child: Child,
    url: String,
    kubeconfig: PathBuf,
}

/// Starts the binary with `args`; reads its two lines.
fn start(config: &Path, args: &[&str]) -> Server {
    let mut child = Command::new(BIN)
        .arg("--config")
        .arg(config)
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start imgdup-sim-apiserver");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let second = lines.next().unwrap().unwrap();
    let url = first
        .strip_prefix("listening on ")
        .expect("listening line")
        .to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{first}");
    let kubeconfig = PathBuf::from(second.strip_prefix("kubeconfig ").expect("kubeconfig line"));
    let text = std::fs::read_to_string(&kubeconfig).unwrap();
    assert!(
        text.contains(&format!("server: {url}")) && text.contains("current-context: sim"),
        "{text}"
    );
    Server {
        child,
        url,
        kubeconfig,
    }
}

impl Server {
    fn kubectl(&self, args: &[&str]) -> String {
        let home = tempfile::tempdir().unwrap();
        let out = Command::new("kubectl")
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env("HOME", home.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn sigterm(&mut self) -> std::process::ExitStatus {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                return st;
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Not on the real cluster: it tests the simulator's own binary.
#[test]
fn flags_counters_and_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("sim.yaml");
    std::fs::write(
        &cfg,
        "listen: 127.0.0.1:1\nfakeNodes: {count: 3, prefix: node-, fake: {seconds: 1}}\n",
    )
    .unwrap();
    let kubeconfig = dir.path().join("kc").join("config");
    let mut s = start(
        &cfg,
        &[
            "--listen",
            "127.0.0.1:0",
            "--kubeconfig",
            kubeconfig.to_str().unwrap(),
        ],
    );
    assert_eq!(s.kubeconfig, kubeconfig, "--kubeconfig wins");
    assert_eq!(
        s.kubectl(&["get", "nodes", "-o", "name"]).lines().count(),
        3
    );
    let (code, counts) = http(&s.url, "GET", "/debug/requests", None);
    assert_eq!(code, 200);
    assert!(
        counts["requests"]["list nodes"].as_u64().unwrap() >= 1,
        "{counts}"
    );
    assert_eq!(http(&s.url, "DELETE", "/debug/requests", None).0, 200);
    let (_, counts) = http(&s.url, "GET", "/debug/requests", None);
    assert_eq!(counts["total"], 0, "{counts}");
    assert!(s.sigterm().success());
    assert!(kubeconfig.is_file(), "a kubeconfig it was given stays");

    // Without --kubeconfig it writes one in a temp dir, removed at exit.
    std::fs::write(&cfg, "nodes: [{name: n1}]\n").unwrap();
    let mut s = start(&cfg, &[]);
    assert_eq!(s.kubectl(&["get", "nodes", "-o", "name"]).trim(), "node/n1");
    assert!(s.sigterm().success());
    assert!(
        !s.kubeconfig.parent().unwrap().exists(),
        "{} is left",
        s.kubeconfig.display()
    );
}

/// Not on the real cluster: it tests the simulator's own binary.
#[test]
fn a_bad_config_is_refused_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("sim.yaml");
    std::fs::write(&cfg, "nodes: [{name: n1, lab: k3s-docker}]\n").unwrap();
    let out = Command::new(BIN).arg("-c").arg(&cfg).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown field `lab`"), "{err}");
}
