//! Small helpers for checking what a command printed and how it exited.

use std::process::Output;

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts the exit code, showing both streams when it differs.
#[track_caller]
pub fn assert_exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "exit status\nstdout:\n{}\nstderr:\n{}",
        stdout(out),
        stderr(out)
    );
}

/// Asserts the checked-in `completions/<name>.<ext>` equal what the binary
/// prints for each shell (`print` makes the command for one shell).
#[track_caller]
pub fn assert_completions_fresh(name: &str, print: impl Fn(&str) -> std::process::Command) {
    let dir = crate::lab::repo_root().join("completions");
    for (shell, ext) in [
        ("bash", "bash"),
        ("zsh", "zsh"),
        ("fish", "fish"),
        ("powershell", "ps1"),
    ] {
        let out = print(shell).output().expect("cannot run the binary");
        assert_exit(&out, 0);
        let path = dir.join(format!("{name}.{ext}"));
        let checked_in = std::fs::read(&path).unwrap_or_default();
        assert!(
            checked_in == out.stdout,
            "{} is stale: run scripts/gen-completions",
            path.display()
        );
    }
}
