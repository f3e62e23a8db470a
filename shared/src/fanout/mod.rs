//! The cluster side: one short-lived agent pod per node (plan), workloads
//! that explain `split` and `dind` verdicts (findings).
//!
//! Built only with the `cluster` feature: crictl-which needs none of it.

pub mod cluster_report;
pub mod pod;
pub mod preflight;
pub mod run;
pub mod workload;
