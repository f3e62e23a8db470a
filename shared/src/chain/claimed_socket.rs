//! The socket a runtime process serves, as its command line and config say.
//! Two uses: the runtimes off crictl's chain (`others`), and the listener of
//! a hop when the kernel hides the proof: inside the agent pod, which drops
//! every capability, `/proc/<pid>/fd` of a root daemon cannot be read, so
//! the socket-inode match of [`crate::host::process::ProcessTable::listener`]
//! finds nobody. Then the one process whose command line names the socket
//! stands in, and the evidence says so.

use std::path::Path;

use crate::host::daemon_config::{self, ContainerdToml, DaemonJson};
use crate::host::defaults as d;
use crate::host::process::Process;
use crate::host::view::HostView;

/// containerd's config file: `-c`/`--config`, else the default.
pub fn containerd_config(p: &Process) -> String {
    p.cmdline
        .value(&["-c", "--config"])
        .unwrap_or_else(|| d::CONTAINERD_CONFIG.into())
}

/// dockerd's daemon.json: `--config-file`, else the default.
pub fn dockerd_config(p: &Process) -> String {
    p.cmdline
        .value(&["--config-file"])
        .unwrap_or_else(|| d::DOCKER_CONFIG.into())
}

/// containerd's socket: `-a`/`--address`, else the config's `[grpc]
/// address`, else the default.
pub fn containerd_socket(p: &Process, toml: Option<&ContainerdToml>) -> String {
    p.cmdline
        .value(&["-a", "--address"])
        .or_else(|| toml.and_then(|t| t.grpc.address.clone()))
        .unwrap_or_else(|| d::CONTAINERD_SOCKET.into())
}

/// dockerd's unix socket: the first `unix://` of `-H`/`--host`, else of
/// daemon.json's `hosts`, else the default.
pub fn dockerd_socket(p: &Process, json: Option<&DaemonJson>) -> String {
    let hosts = p.cmdline.values(&["-H", "--host"]);
    let hosts = if hosts.is_empty() {
        json.map(|j| j.hosts.clone()).unwrap_or_default()
    } else {
        hosts
    };
    hosts
        .iter()
        .find_map(|h| h.strip_prefix("unix://").map(str::to_string))
        .unwrap_or_else(|| d::DOCKER_SOCKET.into())
}

/// cri-dockerd's socket: `--container-runtime-endpoint`, else the default.
pub fn cri_dockerd_socket(p: &Process) -> String {
    p.cmdline
        .value(&["--container-runtime-endpoint"])
        .map(|u| u.strip_prefix("unix://").unwrap_or(&u).to_string())
        .unwrap_or_else(|| d::CRI_DOCKERD_SOCKET.into())
}

/// The socket `p` serves by its command line, for the runtimes that have one.
fn claimed(node: &HostView, p: &Process) -> Option<String> {
    // A config that cannot be read was reported where the chain read it.
    if p.is("containerd") {
        let config = containerd_config(p);
        let toml = daemon_config::read(&node.host, Path::new(&config), ContainerdToml::parse);
        Some(containerd_socket(p, toml.ok().flatten().as_ref()))
    } else if p.is("dockerd") {
        let config = dockerd_config(p);
        let json = daemon_config::read(&node.host, Path::new(&config), DaemonJson::parse);
        Some(dockerd_socket(p, json.ok().flatten().as_ref()))
    } else if p.is("cri-dockerd") {
        Some(cri_dockerd_socket(p))
    } else if p.is("crio") {
        Some(d::CRIO_SOCKET.into())
    } else {
        None
    }
}

/// The one process whose command line names `socket`, when no process's fd
/// table could be matched because this process may not read it. `None`
/// when two claim it, or when the claimant's fds were readable (then the
/// inode match is the truth and it found no listener).
pub fn claimant<'n>(node: &'n HostView, socket: &Path) -> Option<&'n Process> {
    let wanted = node.canonical(socket);
    let mut claims = node
        .procs
        .all()
        .iter()
        .filter(|p| claimed(node, p).is_some_and(|s| node.canonical(s) == wanted));
    let one = claims.next()?;
    (claims.next().is_none() && !node.procs.fds_readable(one.pid)).then_some(one)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::host::cmdline::Cmdline;
    use crate::host::process::ProcessTable;
    use crate::host::root::HostRoot;

    fn process(pid: u32, args: &[&str]) -> Process {
        let cmdline = Cmdline::from_args(args.iter().copied());
        Process {
            pid,
            comm: cmdline.program().to_string(),
            cmdline,
        }
    }

    /// A node whose procfs has a dir per process, with an `fd/` only for the
    /// pids in `readable` (the others stand for a root daemon's fds seen
    /// from a pod without capabilities).
    fn node_with(procs: Vec<Process>, readable: &[u32]) -> (HostView, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        for p in &procs {
            let pid_dir = dir.path().join(p.pid.to_string());
            std::fs::create_dir_all(&pid_dir).unwrap();
            if readable.contains(&p.pid) {
                std::fs::create_dir(pid_dir.join("fd")).unwrap();
            }
        }
        let node = HostView {
            host: HostRoot::new(dir.path().join("root")),
            procs: ProcessTable::from_processes(dir.path(), procs),
            timeout: Duration::from_secs(1),
            offline: true,
        };
        (node, dir)
    }

    #[test]
    fn the_one_process_naming_a_socket_stands_in_when_its_fds_are_hidden() {
        let procs = vec![
            process(
                7,
                &[
                    "/usr/bin/cri-dockerd",
                    "--container-runtime-endpoint=unix:///run/k3s/cri-dockerd/cri-dockerd.sock",
                ],
            ),
            process(
                8,
                &["/usr/bin/dockerd", "-H", "unix:///var/run/docker.sock"],
            ),
            process(9, &["/usr/bin/containerd"]),
        ];
        let (node, _dir) = node_with(procs, &[]);
        let pid = |s: &str| claimant(&node, Path::new(s)).map(|p| p.pid);
        assert_eq!(pid("/run/k3s/cri-dockerd/cri-dockerd.sock"), Some(7));
        assert_eq!(pid("/var/run/docker.sock"), Some(8));
        // containerd's default address.
        assert_eq!(pid("/run/containerd/containerd.sock"), Some(9));
        assert_eq!(pid("/run/other.sock"), None);
    }

    #[test]
    fn no_stand_in_when_the_fds_are_readable_or_two_processes_claim_the_socket() {
        let procs = vec![process(8, &["/usr/bin/dockerd"])];
        let (node, _dir) = node_with(procs, &[8]);
        // Its fds were readable and hold no such socket: it does not listen.
        assert_eq!(claimant(&node, Path::new("/var/run/docker.sock")), None);
        let two = vec![
            process(1, &["/usr/bin/containerd"]),
            process(2, &["/usr/bin/containerd"]),
        ];
        let (node, _dir) = node_with(two, &[]);
        assert_eq!(
            claimant(&node, Path::new("/run/containerd/containerd.sock")),
            None
        );
    }
}
