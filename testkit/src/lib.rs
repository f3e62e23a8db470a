//! Test support for imgdup (never shipped).
//!
//! The lab needs runtimes that cannot be installed on the test machines (no
//! registry, no internet): a CRI server in front of dockerd, shaped like
//! Mirantis cri-dockerd, so that "two endpoints, one store" cases can be
//! built from a real dockerd. The binaries in `src/bin` are thin wrappers.

pub mod apiserver;
pub mod bad_socket;
pub mod cmd;
pub mod cri_standin;
pub mod gen_store;
pub mod host_dir;
pub mod lab;
