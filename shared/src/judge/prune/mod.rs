//! Giving the disk back. The stages, in the order the data flows:
//! - [`job`]: from a NodeReport to the copies that may go, and the ones
//!   that must stay with their reason;
//! - [`guard`]: the live re-checks just before each removal;
//! - [`execute`]: removals one at a time through each store's own API,
//!   measured before and after, stoppable between two removals;
//! - [`leftover`]: a whole offline store, only when nothing uses it;
//! - [`report`]: the `PruneReport` and its proof.
//!
//! [`script`] is the dry-run: the same plan as commands for a person.

mod containerd;
mod docker;
pub mod execute;
pub mod guard;
pub mod job;
pub mod leftover;
pub(crate) mod measure;
pub mod report;
pub mod script;
mod store_api;

pub use guard::{Sandboxes, sandboxes};
pub use job::{Excludes, PruneJob, Target, job};
pub use report::PruneReport;
