//! `--remove-leftover-store PATH`: a whole store whose runtime is not
//! running (a runtime-switch leftover) removed at once, and only when
//! nothing on the node can be using it.

use super::report::LeftoverRemoved;
use crate::node::Node;
use crate::node_report::NodeReport;

/// A leftover store that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leftover {
    /// The exact root the user named (host path).
    pub path: String,
    /// The report's stores at that root.
    pub stores: Vec<String>,
    /// Their `diskBytes`.
    pub predicted_bytes: u64,
    /// One line per check that held.
    pub checks: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum LeftoverError {
    #[error("TODO")]
    Todo,
}

/// Runs every check for `path` against the node as it is now.
pub async fn check(
    _node: &Node,
    _report: &NodeReport,
    _path: &str,
) -> Result<Leftover, LeftoverError> {
    Err(LeftoverError::Todo)
}

/// Checks again, then removes the root and measures what came back.
pub async fn remove(
    _node: &Node,
    _report: &NodeReport,
    _path: &str,
) -> Result<LeftoverRemoved, LeftoverError> {
    Err(LeftoverError::Todo)
}
