//! Processes, and which one listens on a unix socket, read from a procfs.
//!
//! A socket file's own inode says nothing about its owner. The kernel lists
//! bound unix sockets per network namespace in `/proc/<pid>/net/unix`
//! (socket inode + bound path); a process holding that socket has a
//! `/proc/<pid>/fd/N -> socket:[inode]` link. Matching the two names the
//! listener without trusting any pidfile. `--proc` lets a pod point this at
//! the host's procfs.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::host::capped_read::{
    MAX_LINE, MAX_NET_UNIX, MAX_PROC_ARGS, read_capped, read_capped_lossy,
};
use crate::host::cmdline::Cmdline;
use crate::host::root::HostRoot;

/// `__SO_ACCEPTCON` in `/proc/net/unix` flags: the socket is listening.
const SO_ACCEPTCON: u32 = 0x10000;

/// Process names that may own a runtime socket; they are checked first.
pub const RUNTIME_COMMS: [&str; 7] = [
    "containerd",
    "dockerd",
    "cri-dockerd",
    "crio",
    "k3s",
    "rke2",
    "microk8s",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    pub pid: u32,
    /// `/proc/<pid>/comm`: the executable's name (k3s shows `k3s-server`).
    pub comm: String,
    pub cmdline: Cmdline,
}

impl Process {
    /// Whether this process is `name`, allowing the `k3s-server`/`k3s-agent`
    /// (and rke2) titles that k3s gives itself.
    pub fn is(&self, name: &str) -> bool {
        let title = matches!(name, "k3s" | "rke2")
            && self
                .comm
                .strip_prefix(name)
                .is_some_and(|r| r.starts_with('-'));
        self.comm == name || title || self.cmdline.program() == name
    }
}

/// One line of `/proc/<pid>/net/unix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnixSocketEntry {
    pub inode: u64,
    pub listening: bool,
    pub path: String,
}

/// Parses `/proc/net/unix`. Malformed lines are skipped: this is evidence,
/// and one odd line must not hide the others. The kernel prints seven
/// fields (`%pK: %08X %08X %08X %04X %02X %5lu`), then one space and the
/// bound path exactly as bound, spaces included.
pub fn parse_net_unix(text: &str) -> Vec<UnixSocketEntry> {
    text.lines()
        .skip(1)
        .filter_map(parse_net_unix_line)
        .collect()
}

fn parse_net_unix_line(line: &str) -> Option<UnixSocketEntry> {
    let mut rest = line;
    let mut fields = [""; 7];
    for field in &mut fields {
        let start = rest.len() - rest.trim_start_matches([' ', '\t']).len();
        rest = &rest[start..];
        let end = rest.find([' ', '\t']).unwrap_or(rest.len());
        (*field, rest) = rest.split_at(end);
        if field.is_empty() {
            return None;
        }
    }
    let flags = u32::from_str_radix(fields[3], 16).ok()?;
    let inode = fields[6].parse().ok()?;
    let path = rest.strip_prefix(' ').unwrap_or(rest);
    (!path.is_empty()).then(|| UnixSocketEntry {
        inode,
        listening: flags & SO_ACCEPTCON != 0,
        path: path.to_string(),
    })
}

/// Every process visible in one procfs.
#[derive(Debug, Default)]
pub struct ProcessTable {
    proc_root: PathBuf,
    processes: Vec<Process>,
    /// What [`ProcessTable::listener`] has read so far (see [`Sockets`]).
    sockets: Mutex<Sockets>,
}

impl Clone for ProcessTable {
    /// A clone reads the procfs afresh.
    fn clone(&self) -> Self {
        Self::from_processes(self.proc_root.clone(), self.processes.clone())
    }
}

/// The procfs reads behind [`ProcessTable::listener`], kept for the table's
/// life: one chain asks for the listener of five or more sockets, and each
/// lookup used to read every `net/unix` and `fd/` again (and resolve every
/// bound path under the host root: a `readlink` per path component). The
/// first process seen in a network namespace lends it its `net/unix`, as
/// before, in the same order, so the answers are the same.
#[derive(Debug, Default)]
struct Sockets {
    /// pid → its `ns/net` link (empty when unreadable).
    netns: HashMap<u32, String>,
    /// (host root, `ns/net` link) → its listening sockets: (canonical host
    /// path, inode). Paths are resolved under the host root they were asked
    /// with.
    listening: HashMap<(PathBuf, String), Vec<(PathBuf, u64)>>,
    /// pid → the socket inodes its fds hold, in `fd/` order (None: unreadable).
    held: HashMap<u32, Option<Vec<u64>>>,
}

/// The process that owns a listening socket, and how we know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    pub pid: u32,
    pub inode: u64,
}

impl ProcessTable {
    /// Reads every `/proc/<pid>/{comm,cmdline}`. Processes that exit while we
    /// read are skipped.
    pub fn scan(proc_root: impl Into<PathBuf>) -> std::io::Result<Self> {
        let proc_root = proc_root.into();
        let mut processes = Vec::new();
        for entry in std::fs::read_dir(&proc_root)? {
            let Ok(entry) = entry else { continue };
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            let dir = entry.path();
            let Ok(comm) = read_capped_lossy(&dir.join("comm"), MAX_LINE) else {
                continue;
            };
            let cmdline = read_capped(&dir.join("cmdline"), MAX_PROC_ARGS)
                .map(|b| Cmdline::from_proc_bytes(&b))
                .unwrap_or_default();
            processes.push(Process {
                pid,
                comm: comm.trim_end().to_string(),
                cmdline,
            });
        }
        processes.sort_by_key(|p| p.pid);
        Ok(Self::from_processes(proc_root, processes))
    }

    /// A table from known processes, for tests and offline use.
    pub fn from_processes(proc_root: impl Into<PathBuf>, processes: Vec<Process>) -> Self {
        Self {
            proc_root: proc_root.into(),
            processes,
            sockets: Mutex::default(),
        }
    }

    pub fn proc_root(&self) -> &Path {
        &self.proc_root
    }

    pub fn all(&self) -> &[Process] {
        &self.processes
    }

    pub fn get(&self, pid: u32) -> Option<&Process> {
        self.processes.iter().find(|p| p.pid == pid)
    }

    /// Processes whose name is `name` (see [`Process::is`]).
    pub fn named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Process> + 'a {
        self.processes.iter().filter(move |p| p.is(name))
    }

    /// The environment of a process (e.g. `DOCKER_HOST` for cri-dockerd).
    pub fn environ(&self, pid: u32) -> HashMap<String, String> {
        let environ = self.proc_root.join(pid.to_string()).join("environ");
        let bytes = read_capped(&environ, MAX_PROC_ARGS).unwrap_or_default();
        bytes
            .split(|b| *b == 0)
            .filter_map(|kv| {
                let kv = String::from_utf8_lossy(kv);
                let (k, v) = kv.split_once('=')?;
                Some((k.to_string(), v.to_string()))
            })
            .collect()
    }

    /// Whether `/proc/<pid>/fd` can be read here. An agent pod drops every
    /// capability, and the kernel lets a process read another's fd table
    /// only when its capabilities are a superset of the other's (or with
    /// CAP_SYS_PTRACE): a runtime's sockets are then out of sight.
    pub fn fds_readable(&self, pid: u32) -> bool {
        let mut seen = self.sockets.lock().unwrap_or_else(|e| e.into_inner());
        self.held(&mut seen.held, pid).is_some()
    }

    /// The socket inodes `pid` holds, read once per table (see [`Sockets`]).
    fn held<'a>(
        &self,
        held: &'a mut HashMap<u32, Option<Vec<u64>>>,
        pid: u32,
    ) -> &'a Option<Vec<u64>> {
        held.entry(pid)
            .or_insert_with(|| socket_inodes(&self.proc_root.join(pid.to_string())))
    }

    /// Finds the process listening on the unix socket at `socket` (a host
    /// path). Runtime-named processes are tried first, so that with systemd
    /// socket activation dockerd wins over pid 1, which holds the same socket.
    pub fn listener(&self, host: &HostRoot, socket: &Path) -> Option<Listener> {
        let wanted = host.canonical(socket);
        // A poisoned cache only means a lookup panicked; what it holds is sound.
        let mut seen = self.sockets.lock().unwrap_or_else(|e| e.into_inner());
        let Sockets {
            netns,
            listening,
            held,
        } = &mut *seen;
        let (runtimes, rest): (Vec<&Process>, Vec<&Process>) = self
            .processes
            .iter()
            .partition(|p| RUNTIME_COMMS.iter().any(|n| p.is(n)));
        for process in runtimes.into_iter().chain(rest) {
            let dir = self.proc_root.join(process.pid.to_string());
            let ns = netns.entry(process.pid).or_insert_with(|| {
                std::fs::read_link(dir.join("ns/net"))
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            });
            let key = (host.root().to_path_buf(), ns.clone());
            let bound = listening.entry(key).or_insert_with(|| {
                // Lossy: a socket bound at a non-UTF-8 path must not hide the others.
                let text =
                    read_capped_lossy(&dir.join("net/unix"), MAX_NET_UNIX).unwrap_or_default();
                parse_net_unix(&text)
                    .into_iter()
                    .filter(|e| e.listening && !e.path.starts_with('@'))
                    .map(|e| (host.canonical(&e.path), e.inode))
                    .collect()
            });
            let inodes: Vec<u64> = bound
                .iter()
                .filter(|(path, _)| *path == wanted)
                .map(|(_, inode)| *inode)
                .collect();
            if inodes.is_empty() {
                continue;
            }
            let holds = self.held(held, process.pid);
            if let Some(inode) = holds.iter().flatten().find(|i| inodes.contains(i)) {
                return Some(Listener {
                    pid: process.pid,
                    inode: *inode,
                });
            }
        }
        // A socket bound at a temporary name in the same directory and
        // renamed (see `crate::host::peer_cred`): the kernel names the pid. It
        // counts only if that process, in this procfs, holds a listening
        // socket bound in the socket's directory, so a pid of another pid
        // namespace than `--proc`'s is never taken for a local one. Every
        // process was visited above, so its sockets are in the cache.
        let pid = crate::host::peer_cred::listening_pid(&host.local(&wanted))?;
        self.get(pid)?;
        let bound = listening.get(&(host.root().to_path_buf(), netns.get(&pid)?.clone()))?;
        let parent = wanted.parent()?;
        let holds = self.held(held, pid);
        let inode = holds.iter().flatten().find(|i| {
            bound
                .iter()
                .any(|(path, inode)| inode == *i && path.parent() == Some(parent))
        })?;
        Some(Listener { pid, inode: *inode })
    }
}

/// The socket inodes the process at `proc_dir` holds, in `fd/` order;
/// `None` when they cannot be read. Without ptrace access the kernel lists
/// `fd/` but refuses every link in it, so a refused link means unreadable,
/// not "holds no socket"; an fd closed while we read is just skipped.
fn socket_inodes(proc_dir: &Path) -> Option<Vec<u64>> {
    let fds = std::fs::read_dir(proc_dir.join("fd")).ok()?;
    let mut inodes = Vec::new();
    for fd in fds.filter_map(Result::ok) {
        let target = match std::fs::read_link(fd.path()) {
            Ok(target) => target,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(_) => return None,
        };
        if let Some(inode) = target
            .to_str()
            .and_then(|t| t.strip_prefix("socket:["))
            .and_then(|t| t.strip_suffix(']'))
            .and_then(|t| t.parse::<u64>().ok())
        {
            inodes.push(inode);
        }
    }
    Some(inodes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NET_UNIX: &str = "Num       RefCount Protocol Flags    Type St Inode Path
ffff8881: 00000002 00000000 00010000 0001 01 4242 /run/k3s/containerd/containerd.sock
ffff8882: 00000003 00000000 00000000 0001 03 4243 /run/k3s/containerd/containerd.sock
ffff8883: 00000002 00000000 00010000 0001 01 4244 @/containerd-shim/abc.sock
ffff8884: 00000002 00000000 00010000 0001 01  4245 /run/with  two spaces.sock
ffff8885: garbage
ffff8886: 00000002 00000000 00000000 0002 07 4246
";

    #[test]
    fn parses_listening_sockets_and_skips_garbage() {
        let entries = parse_net_unix(NET_UNIX);
        assert_eq!(entries.len(), 4);
        assert_eq!(
            entries[0],
            UnixSocketEntry {
                inode: 4242,
                listening: true,
                path: "/run/k3s/containerd/containerd.sock".into()
            }
        );
        assert!(
            !entries[1].listening,
            "an accepted connection shares the path but is not the listener"
        );
        assert_eq!(entries[3].path, "/run/with  two spaces.sock");
        assert!(parse_net_unix("").is_empty());
    }

    /// A process table holding only the test process, and its pid.
    fn this_process_only() -> (u32, ProcessTable) {
        let me = std::process::id();
        let process = Process {
            pid: me,
            comm: "test".into(),
            cmdline: Cmdline::default(),
        };
        (me, ProcessTable::from_processes("/proc", vec![process]))
    }

    #[test]
    fn finds_this_process_as_the_listener_of_its_own_socket() {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("l.sock");
        let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        let (me, table) = this_process_only();
        let found = table
            .listener(&HostRoot::default(), &sock)
            .expect("listener");
        assert_eq!(found.pid, me);
        assert_eq!(
            table.listener(&HostRoot::default(), &dir.path().join("other.sock")),
            None
        );
    }

    /// cri-dockerd (through the kubelet's `CreateListener`) binds a temporary
    /// name and renames it: `net/unix` keeps the old name, the kernel still
    /// knows the listener.
    #[test]
    fn a_socket_renamed_after_bind_is_found_through_the_kernel() {
        let dir = tempfile::tempdir().unwrap();
        let (tmp, sock) = (dir.path().join("3624763398"), dir.path().join("cri.sock"));
        let _listener = std::os::unix::net::UnixListener::bind(&tmp).unwrap();
        std::fs::rename(&tmp, &sock).unwrap();
        let (me, table) = this_process_only();
        let found = table
            .listener(&HostRoot::default(), &sock)
            .expect("listener");
        assert_eq!(found.pid, me);
        // A pid that the table does not know (another pid namespace) is not taken.
        let empty = ProcessTable::from_processes("/proc", Vec::new());
        assert_eq!(empty.listener(&HostRoot::default(), &sock), None);
    }

    #[test]
    fn repeated_lookups_of_several_sockets_give_the_same_listeners() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.sock"), dir.path().join("b.sock"));
        let _la = std::os::unix::net::UnixListener::bind(&a).unwrap();
        let _lb = std::os::unix::net::UnixListener::bind(&b).unwrap();
        let (me, table) = this_process_only();
        let host = HostRoot::default();
        let first = (table.listener(&host, &a), table.listener(&host, &b));
        let (la, lb) = (first.0.clone().expect("a"), first.1.clone().expect("b"));
        assert_eq!((la.pid, lb.pid), (me, me));
        assert_ne!(la.inode, lb.inode, "each socket is its own inode");
        assert_eq!(
            (table.listener(&host, &a), table.listener(&host, &b)),
            first
        );
        assert_eq!(table.listener(&host, &dir.path().join("c.sock")), None);
        // A clone starts afresh and agrees.
        assert_eq!(table.clone().listener(&host, &b), first.1);
    }

    #[test]
    fn k3s_process_titles_count_as_k3s() {
        let p = |comm: &str| Process {
            pid: 1,
            comm: comm.into(),
            cmdline: Cmdline::default(),
        };
        assert!(p("k3s-server").is("k3s"));
        assert!(p("k3s").is("k3s"));
        assert!(!p("k3sx").is("k3s"));
        assert!(!p("containerd-shim").is("containerd"));
    }
}
