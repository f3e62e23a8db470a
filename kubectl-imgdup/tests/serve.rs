//! `kubectl imgdup serve` in a lab node (real daemons): its metrics and its
//! report equal `node --local`, promtool accepts them, and bad flags name
//! the fix. The HTTP requests run inside the node's network namespace.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::*;
use testkit::cmd::stderr;

/// A `serve` running in a lab node, stopped with SIGTERM when dropped.
pub struct Serve<'a> {
    lab: &'a Scenario,
    port: u16,
    child: Child,
    log: tempfile::NamedTempFile,
}

impl<'a> Serve<'a> {
    pub fn start(lab: &'a Scenario, port: u16, extra: &[&str]) -> Self {
        let log = tempfile::NamedTempFile::new().unwrap();
        let listen = format!("127.0.0.1:{port}");
        let child = lab
            .command(bin())
            .args(["serve", "--listen", &listen, "--node-name", &lab.name])
            .args(extra)
            .command()
            .stdout(Stdio::null())
            .stderr(log.reopen().unwrap())
            .spawn()
            .unwrap();
        let serve = Self {
            lab,
            port,
            child,
            log,
        };
        serve.wait_for_report();
        serve
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap()
    }

    /// `GET path` from inside the node (bash's /dev/tcp, HTTP/1.0): status and body.
    pub fn get(&self, path: &str) -> (u16, String) {
        let script = format!(
            "exec 3<>/dev/tcp/127.0.0.1/{} && printf 'GET {path} HTTP/1.0\\r\\n\\r\\n' >&3 && cat <&3",
            self.port
        );
        let out = self.lab.exec(
            Path::new("/usr/bin/timeout"),
            &["10", "bash", "-c", &script],
        );
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let Some((head, body)) = text.split_once("\r\n\r\n") else {
            return (0, format!("{text}{}", stderr(&out)));
        };
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        (status, body.to_string())
    }

    fn wait_for_report(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if self.get("/report").0 == 200 {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("no /report within 60 s; serve's log:\n{}", self.log());
    }

    /// SIGTERM to serve itself (not to the lab's nsenter); its exit status.
    pub fn stop(mut self) -> (i32, String) {
        let pid = serve_pid(self.port).expect("serve is not running");
        let out = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .output()
            .unwrap();
        assert_exit(&out, 0);
        let status = self.child.wait().unwrap();
        (status.code().unwrap_or(-1), self.log())
    }
}

impl Drop for Serve<'_> {
    fn drop(&mut self) {
        if let Some(pid) = serve_pid(self.port) {
            let _ = Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .output();
        }
        let _ = self.child.wait();
    }
}

/// The pid of our `serve --listen 127.0.0.1:PORT`, read from /proc.
fn serve_pid(port: u16) -> Option<u32> {
    let listen = format!("127.0.0.1:{port}");
    std::fs::read_dir("/proc").unwrap().flatten().find_map(|p| {
        let cmdline = std::fs::read(p.path().join("cmdline")).unwrap_or_default();
        let ours = std::fs::read_link(p.path().join("exe")).is_ok_and(|exe| exe == bin())
            && String::from_utf8_lossy(&cmdline)
                .split('\0')
                .any(|a| a == listen);
        ours.then(|| p.file_name().to_string_lossy().parse().ok())
            .flatten()
    })
}

/// One sample's value: `name{labels} value`, labels given as they print.
pub fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// `promtool check metrics` on `text` (Debian's prometheus package).
pub fn promtool_check_metrics(text: &str) {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool is not installed (scripts/install-deps installs Debian's prometheus)");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_exit(&out, 0);
    assert_eq!(
        stdout(&out) + &stderr(&out),
        "",
        "promtool found problems in:\n{text}"
    );
}

#[test]
fn serve_on_runtime_switch_exports_what_node_local_reports() {
    let lab = Scenario::up("runtime-switch");
    let serve = Serve::start(&lab, 19_847, &["--interval", "1h", "--top-images", "1"]);
    let expected = node_report(&lab, &[]);
    let (status, report) = serve.get("/report");
    assert_eq!(status, 200);
    let report: Value = serde_json::from_str(&report).unwrap();
    assert_eq!(report, expected, "/report is node --local -o json");
    let (status, metrics) = serve.get("/metrics");
    assert_eq!(status, 200);
    let node = &lab.name;
    let reclaimable = expected["reclaimableBytes"].as_u64().unwrap();
    assert!(
        reclaimable > 3_000_000,
        "the lab's app-a:1 duplicate: {reclaimable}"
    );
    let at = |s: &str| sample(&metrics, s).unwrap_or_else(|| panic!("no {s} in:\n{metrics}"));
    assert_eq!(
        at(&format!("imgdup_reclaimable_bytes{{node=\"{node}\"}}")),
        reclaimable as f64
    );
    assert_eq!(
        at(&format!("imgdup_duplicate_images{{node=\"{node}\"}}")),
        1.0
    );
    for s in expected["stores"].as_array().unwrap() {
        let series = format!(
            "imgdup_store_bytes{{active=\"{}\",live=\"{}\",node=\"{node}\",runtime={},store={}}}",
            s["active"], s["live"], s["runtime"], s["id"]
        );
        assert_eq!(at(&series), s["diskBytes"].as_f64().unwrap(), "{series}");
    }
    let docker = store(&expected, "dockerd", "/var/lib/docker");
    let leftover =
        format!("imgdup_leftover_store_bytes{{node=\"{node}\",store=\"dockerd:/var/lib/docker\"}}");
    assert_eq!(at(&leftover), docker["diskBytes"].as_f64().unwrap());
    assert_eq!(
        metrics.matches("imgdup_leftover_store_bytes{").count(),
        1,
        "only the stopped Docker"
    );
    let app_a = image(&expected, "app-a:1");
    let top =
        format!("imgdup_image_reclaimable_bytes{{image=\"imgdup.test/app-a:1\",node=\"{node}\"}}");
    assert_eq!(at(&top), app_a["reclaimableBytes"].as_f64().unwrap());
    assert_eq!(
        at("imgdup_scan_duration_seconds_count"),
        1.0,
        "one scan per hour"
    );
    assert!(at("imgdup_last_scan_timestamp_seconds") > 1.7e9);
    assert_eq!(at("imgdup_scan_errors_total{reason=\"no-runtime\"}"), 0.0);
    promtool_check_metrics(&metrics);
    assert_eq!(serve.get("/healthz"), (200, "ok\n".into()));
    assert_eq!(serve.get("/nothing").0, 404);
    // Light on the node: every thread at nice 19 and in the idle I/O class.
    let pid = serve_pid(19_847).unwrap();
    let tasks: Vec<_> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .flatten()
        .collect();
    assert!(
        tasks.len() <= 4,
        "{} threads: main, scan, rayon's one, one blocking",
        tasks.len()
    );
    for task in &tasks {
        let stat = std::fs::read_to_string(task.path().join("stat")).unwrap();
        let fields: Vec<&str> = stat.rsplit_once(") ").unwrap().1.split(' ').collect();
        assert_eq!(fields[16], "19", "nice of thread {:?}", task.file_name());
        let tid = task.file_name().to_string_lossy().into_owned();
        let out = Command::new("ionice").args(["-p", &tid]).output().unwrap();
        assert_eq!(stdout(&out).trim(), "idle", "I/O class of thread {tid}");
    }
    let (code, log) = serve.stop();
    assert_eq!(code, 0, "{log}");
    assert!(
        log.contains("nice 19, I/O class idle, 1 scan thread"),
        "{log}"
    );
    assert!(
        log.contains("SIGTERM; shutting down") && log.ends_with("serve: stopped\n"),
        "{log}"
    );
}

#[test]
fn serve_rescans_on_its_interval_with_no_image_labels_by_default() {
    // k3s-docker: an alias, nothing reclaimable; the 1 s interval rescans.
    let lab = Scenario::up("k3s-docker");
    let serve = Serve::start(&lab, 19_848, &["--interval", "1s"]);
    std::thread::sleep(Duration::from_millis(2500));
    let (_, metrics) = serve.get("/metrics");
    let scans = sample(&metrics, "imgdup_scan_duration_seconds_count").unwrap();
    assert!(
        scans >= 2.0,
        "{scans} scans in 2.5 s at 1 s ±10 %:\n{}",
        serve.log()
    );
    assert_eq!(
        sample(&metrics, "imgdup_reclaimable_bytes{node=\"k3s-docker\"}"),
        Some(0.0)
    );
    assert!(
        !metrics.contains("imgdup_leftover_store_bytes{"),
        "{metrics}"
    );
    assert!(
        !metrics.contains("imgdup_image_reclaimable_bytes"),
        "no image label by default"
    );
    promtool_check_metrics(&metrics);
    // A client that connects and sends nothing is cut after the 10 s header
    // timeout, not held forever.
    let script = "exec 3<>/dev/tcp/127.0.0.1/19848 && s=$(date +%s%N) && cat <&3 && echo $((($(date +%s%N) - s) / 1000000))";
    let out = lab.exec(Path::new("/usr/bin/timeout"), &["30", "bash", "-c", script]);
    assert_exit(&out, 0);
    let held: u64 = stdout(&out).trim().parse().unwrap();
    assert!(
        (9_500..15_000).contains(&held),
        "a silent connection was held {held} ms"
    );
}

#[test]
fn serve_with_a_bad_listen_address_or_interval_names_the_flag_and_the_fix() {
    let run = |args: &[&str]| cmd().arg("serve").args(args).run();
    let out = run(&["--listen", "9847"]);
    assert_exit(&out, 1);
    assert!(
        stderr(&out)
            .contains("--listen 9847: not an address to listen on; give HOST:PORT or :PORT"),
        "{}",
        stderr(&out)
    );
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let out = run(&["--listen", &addr]);
    assert_exit(&out, 1);
    let port = addr.rsplit(':').next().unwrap();
    let want = format!("--listen {addr}: cannot listen on {addr}: ");
    assert!(stderr(&out).contains(&want), "{}", stderr(&out));
    assert!(stderr(&out).contains(&format!("another process listens on port {port}; stop it or pick a free port with --listen :PORT")), "{}", stderr(&out));
    let out = run(&["--listen", "10.255.255.1:9847"]);
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("no interface of this host has that address"),
        "{}",
        stderr(&out)
    );
    let out = run(&["--interval", "0s"]);
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("--interval 0s: too short"),
        "{}",
        stderr(&out)
    );
}

/// deploy/prometheus-rules.yaml is valid, and its alerts fire after their
/// hour and not before (deploy/prometheus-rules.test.yaml), by promtool.
#[test]
fn the_prometheus_rules_pass_promtool_check_and_its_rule_tests() {
    let deploy = testkit::lab::repo_root().join("deploy");
    let out = Command::new("promtool")
        .args(["check", "rules", "prometheus-rules.yaml"])
        .current_dir(&deploy)
        .output()
        .expect("promtool is not installed (scripts/install-deps installs Debian's prometheus)");
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("SUCCESS: 3 rules found"),
        "{}",
        stdout(&out)
    );
    let out = Command::new("promtool")
        .args(["test", "rules", "prometheus-rules.test.yaml"])
        .current_dir(&deploy)
        .output()
        .unwrap();
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("SUCCESS"), "{}", stdout(&out));
}
