//! kubectl-imgdup's integration tests: one binary, topical modules, one harness.

mod util;

mod agent_image;
mod cluster_errors;
mod cluster_errors_tls;
mod cluster_faults;
mod cluster_scale;
mod completions;
mod contexts;
mod deploy;
mod dry_run;
mod krew;
mod man_pages;
mod node_bad_sockets;
mod node_host_root;
mod node_local;
mod node_partial_stores;
mod offline_containerd;
mod plugin_completion;
mod prune_guards;
mod prune_leftover;
mod prune_proof;
mod real_cluster;
mod serve;
mod sim_vs_real;
