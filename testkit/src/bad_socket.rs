//! Runtime sockets that exist but do not answer, shared by the tests of
//! both binaries: each must fail fast, naming the socket and the fix.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixListener;
use std::process::Command;

use crate::cmd::TestCommand;
use crate::host_dir::HostDir;

/// Points crictl at `socket` (a host path) with a 1 s timeout.
pub fn point_crictl_at(host: &HostDir, socket: &str) {
    host.write(
        "/etc/crictl.yaml",
        &format!("runtime-endpoint: unix://{socket}\ntimeout: 1\n"),
    );
}

/// A FIFO at `path`, where a node file should be: opening it for a plain
/// read blocks until a writer comes, so every reader must refuse it first.
pub fn fifo(path: &std::path::Path) {
    let made = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(made.success(), "mkfifo {}", path.display());
}

/// A socket file whose listener is gone (a runtime that crashed).
pub fn dead(host: &HostDir, socket: &str) {
    let path = host.path(socket);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    drop(UnixListener::bind(path).unwrap()); // the file stays, nobody listens
}

/// A listener that accepts connections and never answers (a hung daemon).
/// It lives until the test process ends.
pub fn hanging(host: &HostDir, socket: &str) {
    let path = host.path(socket);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let listener = UnixListener::bind(path).unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming() {
            held.push(conn);
        }
    });
}

/// A live listener on a socket of mode 0000, in directories anyone may
/// enter, with a crictl.yaml anyone may read: only the socket says no.
/// Keep the listener alive for the test.
pub fn forbidden(host: &HostDir, socket: &str) -> UnixListener {
    let path = host.path(socket);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let listener = UnixListener::bind(&path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    let mut dir = path.parent();
    while let Some(d) = dir.filter(|d| d.starts_with(host.root())) {
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
        dir = d.parent();
    }
    for entry in walk(host.root()) {
        let mode = if entry.is_dir() { 0o755 } else { 0o644 };
        if entry != path {
            std::fs::set_permissions(&entry, std::fs::Permissions::from_mode(mode)).unwrap();
        }
    }
    listener
}

/// Every path under `root`.
fn walk(root: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let p = entry.path();
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                todo.push(p.clone());
            }
            out.push(p);
        }
    }
    out
}

/// `program` run as nobody, like an operator without sudo (root ignores
/// socket permissions).
pub fn as_nobody(program: &std::path::Path) -> TestCommand {
    let mut c = TestCommand::new("setpriv");
    c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(program);
    c
}
