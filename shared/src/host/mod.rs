//! Reading the node safely (in: `--host-root`; out: bounded file reads, processes, parsed configs, du).
//!
//! Everything here is read-only, capped in size and relative to the host
//! root, so a scan inside a pod sees the node the way a scan on it does.

pub mod bolt;
pub mod capped_read;
pub mod cmdline;
pub mod crictl_yaml;
pub mod daemon_config;
pub mod defaults;
pub mod dir_handle;
pub mod du;
mod peer_cred;
pub mod process;
pub mod root;
pub mod view;
pub mod yaml_depth;
