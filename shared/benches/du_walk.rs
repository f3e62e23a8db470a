//! `du -sxB1 PATH...` over [`imgdup::host::du::DiskUsage`], so that bench/run can
//! time the store-bytes walker against GNU du on the same tree (hyperfine
//! needs a process). Prints the total bytes, each inode counted once.
//!
//! Built by `cargo bench -p imgdup --bench du_walk --no-run`; run by
//! `cargo bench` with no path, it does nothing.

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    // cargo bench passes `--bench` (and filters): only paths are ours.
    let paths: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if paths.is_empty() {
        return ExitCode::SUCCESS;
    }
    let mut du = imgdup::host::du::DiskUsage::new();
    for path in &paths {
        if let Err(e) = du.add(Path::new(path)) {
            eprintln!("du_walk: {e}");
            return ExitCode::FAILURE;
        }
    }
    println!("{}", du.total());
    ExitCode::SUCCESS
}
