//! kubectl-imgdup's integration tests: one binary, topical modules, one harness.

mod util;

mod cluster;
mod completions;
mod dry_run;
mod node_local;
mod prune_proof;
