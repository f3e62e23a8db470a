//! imgdup: prove where container images really live on a Kubernetes node.
//!
//! The data flows one way: resolve crictl's endpoint ([`endpoint`]), follow
//! the chain of daemons behind it ([`chain`]), and report it ([`report`]).

pub mod bolt;
pub mod chain;
pub mod claimed_socket;
pub mod cmdline;
pub mod crictl_yaml;
pub mod daemon_config;
pub mod defaults;
pub mod du;
pub mod endpoint;
pub mod evidence;
#[cfg(feature = "cluster")]
pub mod fanout;
pub mod follow;
pub mod host_dir;
pub mod hostroot;
pub mod inventory;
pub mod k3s;
pub mod kubelet;
pub mod node;
pub mod node_file;
pub mod node_report;
pub mod others;
#[cfg(test)]
mod parser_props;
mod peer_cred;
pub mod process;
pub mod prune;
mod reclaim;
pub mod report;
pub mod running_roots;
pub mod runtime;
pub mod scan;
pub mod store;
pub mod verdict;
pub mod which;
pub mod yaml_depth;
