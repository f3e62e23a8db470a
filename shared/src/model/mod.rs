//! The documents every stage hands on (in: nothing; out: the serde types of docs/contract.md §7).
//!
//! Plain data with no I/O, so each stage depends on this folder and never on
//! the stage that produced the value.

pub(crate) mod bytes;
pub mod causes;
pub mod chain;
#[cfg(feature = "cluster")]
pub mod cluster_report;
#[cfg(feature = "cluster")]
pub mod context_report;
pub(crate) mod evidence;
pub mod image_finding;
pub mod node_report;
pub mod store;
#[cfg(feature = "cluster")]
pub mod top_report;
pub mod unknown_reason;
