//! imgdup: prove where container images really live on a Kubernetes node.
//!
//! The data flows one way: resolve crictl's endpoint ([`endpoint`]), follow
//! the chain of daemons behind it ([`chain`]), and report it ([`report`]).

pub mod cmdline;
pub mod crictl_yaml;
pub mod endpoint;
pub mod evidence;
pub mod hostroot;
pub mod daemon_config;
pub mod process;
pub mod runtime;
pub mod chain;
pub mod defaults;
pub mod follow;
pub mod node;
pub mod others;
pub mod which;
pub mod report;
