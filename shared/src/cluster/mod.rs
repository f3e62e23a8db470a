//! Scanning a cluster (in: a kube client and node names; out: one NodeReport or an unknown reason per node).
//!
//! The cluster side: one short-lived agent pod per node (plan), workloads
//! that explain `split` and `dind` verdicts (findings).
//!
//! Built only with the `cluster` feature: crictl-which needs none of it.

pub mod calls;
pub mod fanout_config;
pub mod node_health;
pub mod pod;
pub mod pod_status;
pub mod preflight;
pub mod prune_pod;
pub mod retry;
pub mod run;
pub mod serve_proxy;
pub mod targets;
pub mod upload;
pub mod workload;
