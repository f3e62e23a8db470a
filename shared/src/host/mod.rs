//! Reading the node safely (in: `--host-root`; out: bounded file reads, processes, parsed configs, du).
//!
//! Everything here is read-only, capped in size and relative to the host
//! root, so a scan inside a pod sees the node the way a scan on it does.

pub(crate) mod bolt;
pub(crate) mod capped_read;
pub(crate) mod cmdline;
pub mod crictl_yaml;
pub(crate) mod daemon_config;
pub(crate) mod defaults;
pub(crate) mod dir_handle;
pub mod du;
mod peer_cred;
pub mod process;
pub mod root;
pub mod view;
pub(crate) mod yaml_depth;
