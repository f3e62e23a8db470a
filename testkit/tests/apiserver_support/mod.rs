//! Shared by the `apiserver_*` tests: a simulated cluster in-process with a
//! temp kubeconfig, real kubectl against it, and the end-of-test checks
//! (no pod left, no process left).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;
use testkit::apiserver::{Config, SimApiServer};

pub const BUSYBOX: &str = "/usr/bin/busybox";

pub fn repo_root() -> PathBuf {
    testkit::lab::repo_root()
}

pub struct Cluster {
    pub server: Option<SimApiServer>,
    pub dir: tempfile::TempDir,
    pub kubeconfig: PathBuf,
    pub url: String,
    state_dir: PathBuf,
}

impl Cluster {
    pub fn start(mut cfg: Config) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let kubeconfig = dir.path().join("kubeconfig");
        cfg.kubeconfig = Some(kubeconfig.clone());
        cfg.images.entry("busybox".into()).or_insert(
            testkit::apiserver::config::ImageConfig::Binary(BUSYBOX.into()),
        );
        let server = SimApiServer::start(cfg).expect("start the simulated API server");
        let url = server.url.clone();
        let state_dir = server.sim.state_dir.clone();
        Self {
            server: Some(server),
            dir,
            kubeconfig,
            url,
            state_dir,
        }
    }

    pub fn from_yaml(yaml: &str) -> Self {
        Self::start(serde_yaml::from_str(yaml).expect("config yaml"))
    }

    pub fn sim(&self) -> &testkit::apiserver::Sim {
        &self.server.as_ref().expect("running").sim
    }

    /// Real kubectl with this cluster's kubeconfig and a private cache.
    pub fn kubectl(&self, args: &[&str]) -> Output {
        self.kubectl_cmd(args).output().expect("run kubectl")
    }

    pub fn kubectl_cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new("kubectl");
        c.args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env("HOME", self.dir.path())
            .env_remove("KUBECTL_EXTERNAL_DIFF");
        c
    }

    /// kubectl that must succeed; its stdout.
    #[track_caller]
    pub fn kubectl_ok(&self, args: &[&str]) -> String {
        let out = self.kubectl(args);
        assert!(
            out.status.success(),
            "kubectl {args:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `kubectl create -f -` of a JSON manifest.
    pub fn create(&self, manifest: &Value) -> Output {
        use std::io::Write;
        let mut child = self
            .kubectl_cmd(&["create", "-f", "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("kubectl create");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(manifest.to_string().as_bytes())
            .expect("write manifest");
        child.wait_with_output().expect("kubectl create")
    }

    #[track_caller]
    pub fn create_ok(&self, manifest: &Value) {
        let out = self.create(manifest);
        assert!(
            out.status.success(),
            "create failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The pod as JSON (from the server state, not through the API).
    pub fn pod(&self, ns: &str, name: &str) -> Option<Value> {
        self.sim()
            .object(testkit::apiserver::store::Kind::Pod, ns, name)
            .map(|v| (*v).clone())
    }

    /// Waits until `pred(pod)`; panics with the pod after `timeout`.
    #[track_caller]
    pub fn wait_pod(
        &self,
        ns: &str,
        name: &str,
        timeout: Duration,
        pred: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let pod = self.pod(ns, name);
            if let Some(p) = &pod
                && pred(p)
            {
                return p.clone();
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for pod {ns}/{name}: {pod:#?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    #[track_caller]
    pub fn wait_phase(&self, ns: &str, name: &str, phase: &str, timeout: Duration) -> Value {
        self.wait_pod(ns, name, timeout, |p| p["status"]["phase"] == phase)
    }

    /// Events of a pod (reason, message).
    pub fn events(&self, ns: &str, pod: &str) -> Vec<(String, String)> {
        let (items, _) = self
            .sim()
            .store
            .list(testkit::apiserver::store::Kind::Event, Some(ns));
        items
            .iter()
            .filter(|e| e["involvedObject"]["name"] == pod)
            .map(|e| {
                (
                    e["reason"].as_str().unwrap_or_default().into(),
                    e["message"].as_str().unwrap_or_default().into(),
                )
            })
            .collect()
    }

    pub fn get_json(&self, path: &str) -> Value {
        http(&self.url, "GET", path, None).1
    }

    /// Deletes every pod (grace 0), then checks: 0 pods, no process.
    pub fn finish(mut self, markers: &[&str]) {
        let _ = self.kubectl(&[
            "delete",
            "pods",
            "--all",
            "-A",
            "--grace-period=0",
            "--force",
            "--wait=true",
        ]);
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.sim().pods().is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert_eq!(
            self.sim().pods().len(),
            0,
            "pods left: {:?}",
            self.sim()
                .pods()
                .iter()
                .map(|p| p.metadata.name.clone())
                .collect::<Vec<_>>()
        );
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.sim().kubelet.procs.is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(
            self.sim().kubelet.procs.is_empty(),
            "processes left: {:?}",
            self.sim().kubelet.procs.snapshot()
        );
        let state = self.state_dir.display().to_string();
        if let Some(s) = self.server.take() {
            s.stop();
        }
        let mut all: Vec<&str> = markers.to_vec();
        all.push(&state);
        assert_no_process(&all);
    }
}

/// `ps -eo pid,args`: no line may contain a marker.
#[track_caller]
pub fn assert_no_process(markers: &[&str]) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let out = Command::new("ps")
            .args(["-eo", "pid,stat,args"])
            .output()
            .expect("ps");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let left: Vec<&str> = text
            .lines()
            .filter(|l| markers.iter().any(|m| l.contains(m)) && !l.contains(" Z"))
            .collect();
        if left.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "processes left behind:\n{}",
            left.join("\n")
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A raw HTTP/1.1 request (no client library): status, JSON body, headers.
pub fn http_full(
    url: &str,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> (u16, String, Vec<(String, String)>) {
    use std::io::{Read, Write};
    let addr = url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30))).ok();
    let payload = body.map(|b| b.to_string()).unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{payload}",
        payload.len()
    );
    s.write_all(req.as_bytes()).expect("write");
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_string()
    };
    (status, body, headers)
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

pub fn http(url: &str, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
    let (code, body, _) = http_full(url, method, path, body);
    (code, serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// A pod manifest: `spec` is merged into a minimal pod.
pub fn pod(name: &str, node: &str, image: &str, command: &[&str], extra_spec: Value) -> Value {
    let mut p = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"test": "apiserver"}},
        "spec": {
            "nodeName": node,
            "restartPolicy": "Never",
            "automountServiceAccountToken": false,
            "terminationGracePeriodSeconds": 2,
            "containers": [{"name": "main", "image": image, "command": command}],
        },
    });
    if let Value::Object(m) = extra_spec {
        for (k, v) in m {
            p["spec"][k] = v;
        }
    }
    p
}

pub fn path_exists(p: &Path) -> bool {
    p.exists()
}
