//! Deciding what is stored twice and what may go (in: stores and inventories; out: verdicts, reclaimable bytes, prune plans).
//!
//! [`verdict`] and [`reclaim`] are pure logic; [`prune`] acts on a plan only
//! after its guards hold again against the runtimes.

pub mod prune;
mod reclaim;
pub mod verdict;
