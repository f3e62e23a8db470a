//! What we can read of one node: its files (under the host root), its
//! processes, and how long a runtime may take to answer.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::chain::endpoint::{self, CrictlInputs, EndpointError, Resolution};
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

/// What a command line says about the node: the flags `crictl-which` and
/// `kubectl imgdup node --local` (serve, prune --local, agent) share.
#[derive(Debug, Clone, Default)]
pub struct HostFlags {
    /// The directory that stands for the node's `/`.
    pub host_root: PathBuf,
    /// procfs to scan [default: `<host_root>/proc`].
    pub proc_dir: Option<PathBuf>,
    /// crictl's `-r`, `-i`, config file and timeout, as given.
    pub runtime_endpoint: Option<String>,
    pub image_endpoint: Option<String>,
    pub crictl_config: Option<PathBuf>,
    pub timeout: Option<Duration>,
    /// Never dial a socket.
    pub offline: bool,
}

/// A node opened from its flags: the view, and crictl's endpoint as
/// resolved on it (the view's timeout is the resolution's).
pub struct OpenedHost {
    pub view: HostView,
    pub inputs: CrictlInputs,
    pub resolution: Resolution,
}

/// Why a node cannot be read at all; each names the path and the flag.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("--host-root {}: no such directory", path.display())]
    HostRoot {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Endpoint(#[from] EndpointError),
    #[error("cannot read processes from {}; pass --proc", path.display())]
    Procs {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl HostView {
    /// Opens the node the flags describe, in the order crictl fails: the
    /// host root, then crictl's config and endpoints (which give the
    /// timeout), then the processes.
    pub fn open(flags: HostFlags) -> Result<OpenedHost, OpenError> {
        let root =
            std::fs::canonicalize(&flags.host_root).map_err(|source| OpenError::HostRoot {
                path: flags.host_root.clone(),
                source,
            })?;
        let host = HostRoot::new(root);
        let proc_dir = flags.proc_dir.unwrap_or_else(|| host.root().join("proc"));
        let inputs = CrictlInputs {
            runtime_flag: flags.runtime_endpoint,
            image_flag: flags.image_endpoint,
            config_flag: flags.crictl_config,
            timeout_flag: flags.timeout,
            crictl_dir: endpoint::find_crictl_dir(&host),
            ..Default::default()
        }
        .with_process_env();
        let resolution = endpoint::resolve(&inputs, &host)?;
        let procs = ProcessTable::scan(&proc_dir).map_err(|source| OpenError::Procs {
            path: proc_dir,
            source,
        })?;
        let view = HostView {
            host,
            procs,
            timeout: resolution.timeout,
            offline: flags.offline,
        };
        Ok(OpenedHost {
            view,
            inputs,
            resolution,
        })
    }

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
