//! Following crictl's endpoint to the store (in: the host; out: a [`crate::model::chain::Chain`]).
//!
//! [`open`] opens the node from the command line's flags and resolves
//! crictl's endpoint there, by crictl's own precedence ([`endpoint`]); [`follow`]
//! walks the daemons behind it; [`others`] lists the runtimes off the chain.

pub(crate) mod claimed_socket;
pub mod endpoint;
pub(crate) mod follow;
pub(crate) mod k3s;
pub(crate) mod kubelet;
pub mod open;
pub(crate) mod others;
pub(crate) mod running_roots;
mod setting;
pub mod which;
