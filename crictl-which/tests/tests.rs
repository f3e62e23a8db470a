//! crictl-which's integration tests: one binary, topical modules, one harness.

mod util;

mod bad_sockets;
mod lab_chains;
