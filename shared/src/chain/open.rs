//! Opening a node from the command line's flags, in the order crictl
//! fails: the host root, then crictl's config and endpoints (which give
//! every call's timeout), then the processes. It lives with the chain
//! because the node's view is not complete without crictl's endpoint.

use std::path::PathBuf;
use std::time::Duration;

use crate::chain::endpoint::{self, CrictlInputs, EndpointError, Resolution};
use crate::host::process::ProcessTable;
use crate::host::root::HostRoot;
use crate::host::view::HostView;

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
}
