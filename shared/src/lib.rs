//! imgdup: prove where container images really live on a Kubernetes node.
//!
//! The data flows one way, one folder per stage:
//! - [`host`] reads the node safely: files under the host root, processes, configs, du;
//! - [`runtime`] talks to the CRI, Docker and containerd APIs;
//! - [`chain`] follows crictl's endpoint hop by hop to the store on disk;
//! - [`inventory`] reads what each store holds, live or from its files;
//! - [`judge`] gives verdicts and reclaimable bytes, and prunes;
//! - [`report`] renders the documents of [`model`] for people and machines;
//! - [`scan`] runs those stages for one node;
//! - [`cluster`] (feature `cluster`) runs the scan on every node through agent pods.
//!
//! Errors keep their cause in `source()`; [`model::causes`] writes one as a
//! line that says each cause once.

pub mod chain;
#[cfg(feature = "cluster")]
pub mod cluster;
pub mod host;
pub mod inventory;
pub mod judge;
pub mod model;
pub mod report;
pub(crate) mod runtime;
pub mod scan;

// Property tests of the node-file parsers. They live outside src/ but are
// compiled into the unit-test binary, so the parsers they test stay private.
#[cfg(test)]
#[path = "../tests/parser_props/mod.rs"]
mod parser_props;
