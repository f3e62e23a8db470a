//! Another package's binary for a test: a test can only name its own
//! package's binaries (`CARGO_BIN_EXE_*`), so cargo builds the other one
//! into the same target dir and profile, once per test process.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// Builds `package`'s binary `bin` next to `beside` (a binary of the calling
/// test's package, which fixes the target dir and the profile) and returns it.
pub fn sibling_bin(beside: &Path, package: &str, bin: &str) -> PathBuf {
    static BUILT: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
    let path = beside.with_file_name(bin);
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if built.contains(&path) {
        return path;
    }
    let release = beside.parent().and_then(Path::file_name) == Some("release".as_ref());
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .args(["build", "-q", "-p", package, "--bin", bin])
        .current_dir(crate::lab::repo_root());
    if release {
        build.arg("--release");
    }
    let status = build.status().expect("cannot run cargo");
    assert!(status.success(), "building {package}'s {bin} failed");
    assert!(path.is_file(), "{} was not built", path.display());
    built.push(path.clone());
    path
}
