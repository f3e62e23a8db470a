//! Exit codes (SPEC §6).

use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// The scan finished.
    Ok = 0,
    Error = 1,
    Usage = 2,
    /// Duplicates found and `--fail-on-duplicates` was given.
    Duplicates = 3,
    /// Some nodes are `unknown`.
    Unknown = 4,
    /// `prune`: some removals failed (the report names them).
    PruneFailed = 5,
    /// Ctrl-C, after the agent pods were deleted.
    Interrupted = 130,
    /// SIGTERM, after the agent pods were deleted (128 + 15).
    Terminated = 143,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e as u8)
    }
}
