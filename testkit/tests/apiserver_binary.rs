//! The `imgdup-sim-apiserver` binary: config file and flags, the lines it
//! prints, kubectl through the kubeconfig it writes, and no process left
//! after SIGTERM, nor after SIGKILL (the sandboxes die with their parent).

mod apiserver_support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use apiserver_support::{BUSYBOX, assert_no_process, pod};
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_imgdup-sim-apiserver");

struct Server {
    child: Child,
    url: String,
    kubeconfig: String,
    home: tempfile::TempDir,
}

fn start(dir: &std::path::Path, node_root: &std::path::Path) -> Server {
    let cfg = dir.join("sim.yaml");
    std::fs::write(
        &cfg,
        format!(
            "nodes:\n  - name: dir-1\n    dir: {}\nimages:\n  busybox: {BUSYBOX}\n",
            node_root.display()
        ),
    )
    .unwrap();
    let kubeconfig = dir.join("kc").join("config");
    let mut child = Command::new(BIN)
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--kubeconfig",
            kubeconfig.to_str().unwrap(),
        ])
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
    assert_eq!(second, format!("kubeconfig {}", kubeconfig.display()));
    let text = std::fs::read_to_string(&kubeconfig).unwrap();
    assert!(
        text.contains(&format!("server: {url}"))
            && text.contains("current-context: sim")
            && text.contains("token: sim-token"),
        "{text}"
    );
    Server {
        child,
        url,
        kubeconfig: kubeconfig.display().to_string(),
        home: tempfile::tempdir().unwrap(),
    }
}

impl Server {
    fn kubectl(&self, args: &[&str], stdin: Option<&str>) -> std::process::Output {
        use std::io::Write;
        let mut c = Command::new("kubectl")
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env("HOME", self.home.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(s) = stdin {
            c.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
        }
        drop(c.stdin.take());
        c.wait_with_output().unwrap()
    }

    fn run_marked_pod(&self, marker: &str) {
        // A loop keeps sh (and the marker) as the container's pid 1.
        let p = pod(
            "long",
            "dir-1",
            "busybox",
            &[
                "sh",
                "-c",
                &format!("while true; do sleep 1; done # {marker}"),
            ],
            json!({}),
        );
        let out = self.kubectl(&["create", "-f", "-"], Some(&p.to_string()));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let ps = String::from_utf8_lossy(
                &Command::new("ps")
                    .args(["-eo", "args"])
                    .output()
                    .unwrap()
                    .stdout,
            )
            .into_owned();
            if ps
                .lines()
                .any(|l| l.starts_with("sh -c while true") && l.contains(marker))
            {
                break;
            }
            assert!(Instant::now() < deadline, "the pod's process never started");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn state_dir(&self) -> String {
        apiserver_support::http(&self.url, "GET", "/debug/state", None).1["stateDir"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = Command::new("kill")
                .args(["-TERM", &self.child.id().to_string()])
                .status();
            let _ = self.child.wait();
        }
    }
}

fn wait_exit(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return st;
        }
        assert!(Instant::now() < deadline, "the server did not exit");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn sigterm_stops_the_server_and_its_pods() {
    let dir = tempfile::tempdir().unwrap();
    let root = tempfile::tempdir().unwrap();
    let mut s = start(dir.path(), root.path());
    let nodes = s.kubectl(&["get", "nodes", "-o", "name"], None);
    assert_eq!(String::from_utf8_lossy(&nodes.stdout).trim(), "node/dir-1");
    let marker = "binary-sigterm-marker-0c2";
    s.run_marked_pod(marker);
    let state = s.state_dir();
    assert!(std::path::Path::new(&state).is_dir());
    Command::new("kill")
        .args(["-TERM", &s.child.id().to_string()])
        .status()
        .unwrap();
    let st = wait_exit(&mut s.child, Duration::from_secs(15));
    assert!(st.success(), "{st:?}");
    assert_no_process(&[marker, &state]);
    assert!(
        !std::path::Path::new(&state).exists(),
        "the state dir is removed"
    );
}

#[test]
fn sigkill_of_the_server_takes_its_sandboxes_down() {
    let dir = tempfile::tempdir().unwrap();
    let root = tempfile::tempdir().unwrap();
    let mut s = start(dir.path(), root.path());
    let marker = "binary-sigkill-marker-7e9";
    s.run_marked_pod(marker);
    let state = s.state_dir();
    s.child.kill().unwrap();
    s.child.wait().unwrap();
    assert_no_process(&[marker, &state]);
    let _ = std::fs::remove_dir_all(&state);
}
