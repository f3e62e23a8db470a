//! What we can read of one node: its files (under the host root), its
//! processes, and how long a runtime may take to answer.

use std::path::Path;
use std::time::Duration;

use crate::host::capped_read::{MAX_LINE, read_capped_lossy};
use crate::host::process::{Process, ProcessTable};
use crate::host::root::HostRoot;

pub struct HostView {
    pub host: HostRoot,
    pub procs: ProcessTable,
    /// Deadline for every dial and API call.
    pub timeout: Duration,
    /// Read files and processes only; never dial a socket.
    pub offline: bool,
}

impl HostView {
    /// The same node with its processes read again (a prune checks the
    /// processes as they are now, not as they were at the scan).
    pub fn rescanned(&self) -> std::io::Result<HostView> {
        Ok(HostView {
            host: self.host.clone(),
            procs: ProcessTable::scan(self.procs.proc_root())?,
            timeout: self.timeout,
            offline: self.offline,
        })
    }

    /// The node's name: its `/etc/hostname` under the host root, else the
    /// kernel's hostname (a pod sharing the host's UTS namespace sees it too).
    pub fn name(&self) -> String {
        let from = |p: &Path| {
            read_capped_lossy(p, MAX_LINE)
                .ok()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        from(&self.host.local("/etc/hostname"))
            .or_else(|| from(Path::new("/proc/sys/kernel/hostname")))
            .unwrap_or_else(|| "unknown".into())
    }

    /// The process listening on a host socket path, if we can see it.
    pub fn listener(&self, socket: &Path) -> Option<&Process> {
        self.procs
            .listener(&self.host, socket)
            .and_then(|l| self.procs.get(l.pid))
    }

    /// The canonical host path, as a display string.
    pub fn canonical(&self, host_path: impl AsRef<Path>) -> String {
        self.host.canonical(host_path).display().to_string()
    }

    /// Whether two endpoint URLs name the same socket on this node.
    pub fn same_socket(&self, a: Option<&str>, b: Option<&str>) -> bool {
        let canon = |u: Option<&str>| {
            u.and_then(crate::host::defaults::unix_path)
                .map(|p| self.canonical(p))
        };
        canon(a) == canon(b)
    }

    /// Whether a host path exists.
    pub fn exists(&self, host_path: impl AsRef<Path>) -> bool {
        self.host.local(host_path).exists()
    }
}
