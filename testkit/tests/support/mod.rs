//! A throwaway containerd + dockerd for integration tests, or a dockerd given
//! by `IMGDUP_TEST_DOCKER_SOCK`. Everything started here is stopped by
//! `Drop`, also when a test fails, so no daemon outlives the test.

use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Daemons need a moment; dockerd's first start (overlay2 checks) is slowest.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
const STOP_TIMEOUT: Duration = Duration::from_secs(20);

/// A started process with its log file, for error messages.
pub struct Daemon {
    pub name: &'static str,
    pub child: Child,
    pub log: PathBuf,
}

/// The dockerd under test and whatever was started to provide it.
pub struct Lab {
    /// Socket path of dockerd.
    pub docker_sock: PathBuf,
    /// Started processes, stopped in reverse order.
    daemons: Vec<Daemon>,
    /// Short temp dir (unix socket paths must stay under 108 bytes); dropped
    /// after `Drop::drop` has stopped the daemons that write into it.
    pub dir: tempfile::TempDir,
}

impl Lab {
    /// Uses `IMGDUP_TEST_DOCKER_SOCK` when set, else starts containerd and
    /// dockerd in a temp dir. Missing binaries or no root fail the test with
    /// a hint: a silent skip would hide that nothing was tested.
    pub fn start() -> Lab {
        let dir = tempfile::Builder::new()
            .prefix("cdt")
            .tempdir_in("/tmp")
            .expect("create temp dir under /tmp");
        if let Some(sock) = std::env::var_os("IMGDUP_TEST_DOCKER_SOCK").filter(|s| !s.is_empty()) {
            let mut lab = Lab {
                docker_sock: PathBuf::from(sock),
                daemons: Vec::new(),
                dir,
            };
            lab.wait_for_docker(None);
            eprintln!("lab: using dockerd at {}", lab.docker_sock.display());
            return lab;
        }
        preflight();
        let root = dir.path().to_path_buf();
        let containerd_sock = root.join("containerd.sock");
        let config = root.join("containerd.toml");
        std::fs::write(
            &config,
            format!(
                "version = 2\nroot = \"{r}/containerd/root\"\nstate = \"{r}/containerd/state\"\n\
                 disabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n\
                 [grpc]\n  address = \"{s}\"\n",
                r = root.display(),
                s = containerd_sock.display()
            ),
        )
        .expect("write containerd config");
        let mut lab = Lab {
            docker_sock: root.join("docker.sock"),
            daemons: Vec::new(),
            dir,
        };
        let containerd = lab.spawn(
            "containerd",
            Command::new("containerd").arg("--config").arg(&config),
        );
        wait_until(
            &containerd_sock.display().to_string(),
            || containerd_sock.exists(),
            &mut lab,
            containerd,
        );

        let mut dockerd = Command::new("dockerd");
        dockerd
            .arg(format!("--containerd={}", containerd_sock.display()))
            .arg("--data-root")
            .arg(root.join("docker"))
            .arg("--exec-root")
            .arg(root.join("exec"))
            .arg("-H")
            .arg(format!("unix://{}", lab.docker_sock.display()))
            .arg("--pidfile")
            .arg(root.join("docker.pid"))
            .args(["--iptables=false", "--bridge=none"])
            // A config file of the host must not leak into the lab.
            .arg("--config-file")
            .arg(root.join("daemon.json"));
        std::fs::write(root.join("daemon.json"), "{}").expect("write daemon.json");
        let dockerd = lab.spawn("dockerd", &mut dockerd);
        lab.wait_for_docker(Some(dockerd));
        eprintln!(
            "lab: containerd and dockerd started under {}",
            root.display()
        );
        lab
    }

    /// Starts `cmd` with its output in `<dir>/<name>.log`; returns its index.
    pub fn spawn(&mut self, name: &'static str, cmd: &mut Command) -> usize {
        let log = self.dir.path().join(format!("{name}.log"));
        let out = File::create(&log).expect("create log file");
        let err = out.try_clone().expect("clone log file");
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        self.daemons.push(Daemon { name, child, log });
        self.daemons.len() - 1
    }

    pub fn daemon(&mut self, index: usize) -> &mut Daemon {
        &mut self.daemons[index]
    }

    /// `docker -H unix://<sock> <args>`; panics with stderr on failure.
    pub fn docker(&self, args: &[&str]) -> String {
        let out = Command::new("docker")
            .arg("-H")
            .arg(format!("unix://{}", self.docker_sock.display()))
            .args(args)
            .env("DOCKER_BUILDKIT", "0")
            .output()
            .expect("run docker CLI");
        assert!(
            out.status.success(),
            "docker {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn wait_for_docker(&mut self, started: Option<usize>) {
        let sock = self.docker_sock.clone();
        let probe = || {
            Command::new("docker")
                .arg("-H")
                .arg(format!("unix://{}", sock.display()))
                .arg("version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        match started {
            Some(index) => wait_until("dockerd", probe, self, index),
            None => assert!(
                probe(),
                "IMGDUP_TEST_DOCKER_SOCK={}: dockerd does not answer",
                sock.display()
            ),
        }
    }

    /// Log of a daemon, for assertion messages.
    pub fn log_of(&self, index: usize) -> String {
        std::fs::read_to_string(&self.daemons[index].log).unwrap_or_default()
    }
}

/// Sends SIGTERM (no unsafe code allowed, so through kill(1)), waits, and
/// falls back to SIGKILL.
pub fn stop(daemon: &mut Daemon) -> Option<std::process::ExitStatus> {
    if let Ok(Some(status)) = daemon.child.try_wait() {
        return Some(status);
    }
    let _ = Command::new("kill")
        .args(["-TERM", &daemon.child.id().to_string()])
        .status();
    let deadline = Instant::now() + STOP_TIMEOUT;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = daemon.child.try_wait() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    eprintln!("{} ignored SIGTERM; killing it", daemon.name);
    let _ = daemon.child.kill();
    daemon.child.wait().ok()
}

impl Drop for Lab {
    fn drop(&mut self) {
        while let Some(mut daemon) = self.daemons.pop() {
            stop(&mut daemon);
        }
    }
}

/// Polls `ready` until it holds; fails with the daemon's log when the daemon
/// dies or the time runs out.
fn wait_until(what: &str, mut ready: impl FnMut() -> bool, lab: &mut Lab, index: usize) {
    let deadline = Instant::now() + READY_TIMEOUT;
    while !ready() {
        let exited = lab.daemons[index].child.try_wait().ok().flatten();
        if exited.is_some() || Instant::now() > deadline {
            panic!(
                "{} did not become ready ({what}, exit {exited:?}); log:\n{}",
                lab.daemons[index].name,
                lab.log_of(index)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The test needs root and the daemons; say how to get them.
fn preflight() {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let uid = std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(u32::MAX);
    assert_eq!(
        uid, 0,
        "this test starts containerd and dockerd and must run as root (or set IMGDUP_TEST_DOCKER_SOCK)"
    );
    for bin in ["containerd", "dockerd", "docker", "runc"] {
        assert!(
            which(bin).is_some(),
            "{bin} not found on PATH{}: apt-get install -y containerd docker.io runc busybox-static, \
             or set IMGDUP_TEST_DOCKER_SOCK to a running dockerd",
            if ci {
                " (CI=true: the lab tests are required here)"
            } else {
                ""
            }
        );
    }
}

pub fn which(bin: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(bin))
        .find(|p| Path::new(p).is_file())
}
