//! Exit codes (docs/contract.md §6).

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

impl Exit {
    /// The worse of two outcomes, for a run over several contexts: a stop
    /// signal, then a run that could not be made, then what a run found.
    pub fn worst(self, other: Exit) -> Exit {
        let rank = |e: Exit| match e {
            Exit::Ok => 0,
            Exit::Duplicates => 1,
            Exit::Unknown => 2,
            Exit::PruneFailed => 3,
            Exit::Error => 4,
            Exit::Usage => 5,
            Exit::Terminated => 6,
            Exit::Interrupted => 7,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e as u8)
    }
}
