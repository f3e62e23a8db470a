//! Shared by the `apiserver_*` modules: a simulated cluster in-process with a
//! temp kubeconfig, real kubectl against it, raw HTTP requests, and the
//! end-of-test check (no pod left).

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;
use testkit::apiserver::{Config, SimApiServer};

pub struct Cluster {
    pub server: SimApiServer,
    pub dir: tempfile::TempDir,
    pub kubeconfig: PathBuf,
    pub url: String,
}

impl Cluster {
    pub fn start(mut cfg: Config) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let kubeconfig = dir.path().join("kubeconfig");
        cfg.kubeconfig = Some(kubeconfig.clone());
        let server = SimApiServer::start(cfg).expect("start the simulated API server");
        let url = server.url.clone();
        Self {
            server,
            dir,
            kubeconfig,
            url,
        }
    }

    pub fn from_yaml(yaml: &str) -> Self {
        Self::start(Config::from_yaml(yaml).expect("config yaml"))
    }

    /// Real kubectl with this cluster's kubeconfig and a private cache.
    pub fn kubectl(&self, args: &[&str]) -> Output {
        self.kubectl_cmd(args).output().expect("run kubectl")
    }

    pub fn kubectl_cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new("kubectl");
        c.args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env("HOME", self.dir.path());
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

    /// `kubectl create --validate=false -f -` of a JSON manifest (without
    /// `--validate=false`, kubectl would need the OpenAPI documents).
    pub fn create(&self, manifest: &Value) -> Output {
        use std::io::Write;
        let mut child = self
            .kubectl_cmd(&["create", "--validate=false", "-f", "-"])
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

    /// The pod through the API, or None on a 404.
    pub fn pod(&self, ns: &str, name: &str) -> Option<Value> {
        match http(
            &self.url,
            "GET",
            &format!("/api/v1/namespaces/{ns}/pods/{name}"),
            None,
        ) {
            (200, pod) => Some(pod),
            (404, _) => None,
            (code, body) => panic!("GET pod {ns}/{name}: {code} {body}"),
        }
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

    /// Waits until the pod is gone from the API.
    #[track_caller]
    pub fn wait_gone(&self, ns: &str, name: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while let Some(p) = self.pod(ns, name) {
            assert!(
                Instant::now() < deadline,
                "pod {ns}/{name} is still there: {p:#}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn get_json(&self, path: &str) -> Value {
        http(&self.url, "GET", path, None).1
    }

    /// Deletes every pod (grace 0), checks that none is left, and stops.
    pub fn finish(self) {
        let (code, body) = http(
            &self.url,
            "DELETE",
            "/api/v1/namespaces/default/pods?gracePeriodSeconds=0",
            None,
        );
        assert_eq!(code, 200, "{body}");
        let left: Vec<Option<String>> = self
            .server
            .pods()
            .into_iter()
            .map(|p| p.metadata.name)
            .collect();
        assert!(left.is_empty(), "pods left: {left:?}");
        self.server.stop();
    }
}

/// A raw HTTP/1.1 request (no client library): status, body, headers.
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

/// A pod manifest bound to `node`: `extra_spec` is merged into its spec.
pub fn pod(name: &str, node: &str, extra_spec: Value) -> Value {
    let mut p = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"test": "apiserver"}},
        "spec": {
            "nodeName": node,
            "restartPolicy": "Never",
            "containers": [{"name": "main", "image": "busybox", "command": ["true"]}],
        },
    });
    if let Value::Object(m) = extra_spec {
        for (k, v) in m {
            p["spec"][k] = v;
        }
    }
    p
}
