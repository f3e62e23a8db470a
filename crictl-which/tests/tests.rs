//! crictl-which's integration tests: one binary, topical modules, one harness.

mod util;

mod bad_sockets;
mod completions;
mod lab_chains;
