//! The checked-in generated files (completions/, man/) equal what the
//! binaries print now: `scripts/gen-docs` was run after the CLI changed.

use crate::cmd::{TestCommand, assert_exit};

/// Asserts the checked-in `completions/<name>.<ext>` equal what the binary
/// prints for each shell (`print` makes the command for one shell).
#[track_caller]
pub fn assert_completions_fresh(name: &str, print: impl Fn(&str) -> TestCommand) {
    let dir = crate::lab::repo_root().join("completions");
    for (shell, ext) in [
        ("bash", "bash"),
        ("zsh", "zsh"),
        ("fish", "fish"),
        ("powershell", "ps1"),
    ] {
        let out = print(shell).run();
        assert_exit(&out, 0);
        let path = dir.join(format!("{name}.{ext}"));
        let checked_in = std::fs::read(&path).unwrap_or_default();
        assert!(
            checked_in == out.stdout,
            "{} is stale: run scripts/gen-docs",
            path.display()
        );
    }
}

/// Asserts the checked-in man pages `man/<name>*.1` are exactly the pages in
/// `generated` (a directory the binary just wrote them to): same files, same
/// bytes. A page for a removed subcommand, or a missing one, is stale too.
#[track_caller]
pub fn assert_man_fresh(name: &str, generated: &std::path::Path) {
    let pages = |dir: &std::path::Path| -> Vec<(String, Vec<u8>)> {
        let mut pages: Vec<_> = std::fs::read_dir(dir)
            .map(|d| d.flatten().collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|f| f.starts_with(name) && f.ends_with(".1"))
            .map(|f| {
                let bytes = std::fs::read(dir.join(&f)).unwrap();
                (f, bytes)
            })
            .collect();
        pages.sort();
        pages
    };
    let fresh = pages(generated);
    assert!(!fresh.is_empty(), "no man page for {name} was generated");
    let checked_in = pages(&crate::lab::repo_root().join("man"));
    let names = |p: &[(String, Vec<u8>)]| p.iter().map(|(f, _)| f.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(&checked_in),
        names(&fresh),
        "man/: the pages of {name} are stale: run scripts/gen-docs"
    );
    for ((file, old), (_, new)) in checked_in.iter().zip(&fresh) {
        assert!(old == new, "man/{file} is stale: run scripts/gen-docs");
    }
}
