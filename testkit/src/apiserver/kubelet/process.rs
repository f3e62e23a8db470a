//! A running container: the spawned sandbox, its output into the log, and
//! stopping it as the kubelet does (SIGTERM to the container's pid 1, then
//! SIGKILL after the grace period).

use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustix::process::{Pid, Signal, kill_process, kill_process_group};
use tokio::io::AsyncReadExt;
use tokio::task::JoinHandle;

use super::sandbox::Sandbox;
use crate::apiserver::logs::LogBuf;

/// Live sandbox processes (the spawned top process) -> "namespace/pod/container",
/// with the sandbox it runs in (`pods/exec` joins it).
#[derive(Default, Clone)]
pub struct ProcRegistry(Arc<Mutex<BTreeMap<u32, (String, Sandbox)>>>);

impl ProcRegistry {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u32, (String, Sandbox)>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn snapshot(&self) -> BTreeMap<u32, String> {
        self.lock()
            .iter()
            .map(|(pid, (label, _))| (*pid, label.clone()))
            .collect()
    }

    /// The top pid and sandbox of a live container, by its label.
    pub fn find(&self, label: &str) -> Option<(u32, Sandbox)> {
        self.lock()
            .iter()
            .find(|(_, (l, _))| l == label)
            .map(|(pid, (_, sb))| (*pid, sb.clone()))
    }

    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }
}

#[derive(Debug, Clone, Default)]
pub struct Exit {
    pub code: i32,
    pub signal: Option<i32>,
    /// The container never ran (setup or exec failed): the runtime's message.
    pub start_error: Option<String>,
}

pub struct Running {
    child: tokio::process::Child,
    pid: u32,
    log: Arc<LogBuf>,
    readers: Vec<JoinHandle<()>>,
    sandbox: Sandbox,
    registry: ProcRegistry,
}

fn pid(n: u32) -> Option<Pid> {
    Pid::from_raw(n as i32)
}

/// Children of a process (needs CONFIG_PROC_CHILDREN, as the lab does).
pub(crate) fn children(p: u32) -> Vec<u32> {
    let mut out = Vec::new();
    if let Ok(tasks) = std::fs::read_dir(format!("/proc/{p}/task")) {
        for t in tasks.flatten() {
            if let Ok(s) = std::fs::read_to_string(t.path().join("children")) {
                out.extend(s.split_whitespace().filter_map(|x| x.parse::<u32>().ok()));
            }
        }
    }
    out
}

/// `NSpid:` of a process: its pid in each nested pid namespace.
fn nspids(p: u32) -> Vec<u32> {
    std::fs::read_to_string(format!("/proc/{p}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("NSpid:")).map(|l| {
                l[6..]
                    .split_whitespace()
                    .filter_map(|x| x.parse().ok())
                    .collect()
            })
        })
        .unwrap_or_default()
}

/// The container's pid 1 (host pid): the descendant that is pid 1 of a pid
/// namespace of its own.
pub fn container_init(top: u32) -> Option<u32> {
    let top_depth = nspids(top).len();
    let mut todo = vec![top];
    let mut seen = 0;
    while let Some(p) = todo.pop() {
        seen += 1;
        if seen > 64 {
            break;
        }
        let ns = nspids(p);
        if ns.len() > top_depth && ns.last() == Some(&1) {
            return Some(p);
        }
        todo.extend(children(p));
    }
    None
}

impl Running {
    pub fn spawn(
        sandbox: Sandbox,
        log: Arc<LogBuf>,
        registry: ProcRegistry,
        label: String,
    ) -> std::io::Result<Self> {
        std::fs::create_dir_all(sandbox.root())?;
        std::fs::write(sandbox.status_file(), b"")?;
        let mut child = sandbox.command().spawn()?;
        let pid = child.id().unwrap_or_default();
        registry.lock().insert(pid, (label, sandbox.clone()));
        let mut readers = Vec::new();
        for (stream, reader) in [
            (
                0usize,
                child
                    .stdout
                    .take()
                    .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
            ),
            (
                1usize,
                child
                    .stderr
                    .take()
                    .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
            ),
        ] {
            let Some(mut reader) = reader else { continue };
            let log = log.clone();
            readers.push(tokio::spawn(async move {
                let mut buf = vec![0u8; 16 << 10];
                while let Ok(n) = reader.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    log.write(stream, &buf[..n]);
                }
            }));
        }
        Ok(Self {
            child,
            pid,
            log,
            readers,
            sandbox,
            registry,
        })
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Waits for the container to end on its own.
    pub async fn wait(&mut self) -> Exit {
        let status = self.child.wait().await;
        self.finish(status.ok()).await
    }

    /// SIGTERM to the container's pid 1, SIGKILL after `grace`.
    pub async fn terminate(&mut self, grace: Duration) -> Exit {
        if let Ok(Some(st)) = self.child.try_wait() {
            return self.finish(Some(st)).await;
        }
        let mut init = None;
        for _ in 0..50 {
            init = container_init(self.pid);
            if init.is_some() {
                break;
            }
            if let Ok(Some(st)) = self.child.try_wait() {
                return self.finish(Some(st)).await;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if grace > Duration::ZERO
            && let Some(p) = init.and_then(pid)
        {
            let _ = kill_process(p, Signal::TERM);
            if let Ok(st) = tokio::time::timeout(grace, self.child.wait()).await {
                return self.finish(st.ok()).await;
            }
        }
        match init.and_then(pid) {
            Some(p) => {
                let _ = kill_process(p, Signal::KILL);
            }
            None => {
                if let Some(g) = pid(self.pid) {
                    let _ = kill_process_group(g, Signal::KILL);
                }
            }
        }
        let st = match tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await {
            Ok(st) => st.ok(),
            Err(_) => {
                if let Some(g) = pid(self.pid) {
                    let _ = kill_process_group(g, Signal::KILL);
                }
                self.child.wait().await.ok()
            }
        };
        let mut exit = self.finish(st).await;
        // util-linux 2.38's `unshare --fork` exits 1 ("sigprocmask unblock
        // failed") instead of re-raising SIGKILL: report what the container
        // got.
        if exit.start_error.is_none() && (exit.code == 1 || exit.signal == Some(9)) {
            exit.code = 137;
            exit.signal = Some(9);
            self.log
                .drop_last_line(b"unshare: sigprocmask unblock failed: Invalid argument\n");
        }
        exit
    }

    async fn finish(&mut self, status: Option<std::process::ExitStatus>) -> Exit {
        // Leftovers (hostPID containers have no namespace to take them down).
        if let Some(g) = pid(self.pid) {
            let _ = kill_process_group(g, Signal::KILL);
        }
        for r in self.readers.drain(..) {
            let abort = r.abort_handle();
            if tokio::time::timeout(Duration::from_secs(2), r)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
        self.log.close();
        self.registry.lock().remove(&self.pid);
        let (code, signal) = match status {
            Some(s) => match (s.code(), s.signal()) {
                (Some(c), _) => (c, None),
                (None, Some(sig)) => (128 + sig, Some(sig)),
                _ => (255, None),
            },
            None => (255, None),
        };
        let status_text = std::fs::read_to_string(self.sandbox.status_file()).unwrap_or_default();
        cleanup(&self.sandbox.dir);
        let start_error = (!status_text.trim().is_empty()).then(|| status_text.trim().to_string());
        Exit {
            code: if start_error.is_some() { 128 } else { code },
            signal,
            start_error,
        }
    }
}

fn cleanup(dir: &Path) {
    let root: PathBuf = dir.join("root");
    let _ = std::fs::remove_dir(&root);
    let _ = std::fs::remove_file(dir.join("status"));
    let _ = std::fs::remove_dir(dir);
}
