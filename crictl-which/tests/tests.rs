//! crictl-which's integration tests: one binary, topical modules, one harness.

mod util;

mod bad_sockets;
mod completions;
mod host_root_escape;
mod lab_chains;
mod man_page;
mod open_errors;
mod real_crictl;
