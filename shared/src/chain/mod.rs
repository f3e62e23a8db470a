//! Following crictl's endpoint to the store (in: the host; out: a [`crate::model::chain::Chain`]).
//!
//! crictl's own precedence picks the endpoint ([`endpoint`]); [`follow`]
//! walks the daemons behind it; [`others`] lists the runtimes off the chain.

pub mod claimed_socket;
pub mod endpoint;
pub mod follow;
pub mod k3s;
pub mod kubelet;
pub mod others;
pub mod running_roots;
mod setting;
pub mod which;
