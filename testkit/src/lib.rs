//! Test support for imgdup (never shipped).
//!
//! The lab runs the real runtimes (containerd 1.6 and 2.x, dockerd,
//! cri-dockerd); only k3s itself is a stand-in process, because k3s cannot be
//! built from a Go module. The binaries in `src/bin` are thin wrappers.

pub mod apiserver;
pub mod bad_socket;
pub mod build;
pub mod cmd;
pub mod fresh;
pub mod gen_store;
pub mod host_dir;
pub mod lab;
pub mod real_cluster;
