//! The checked-in completion scripts match the binary (scripts/gen-completions).

use crate::util::*;

#[test]
fn checked_in_completions_are_fresh() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../completions");
    for (shell, ext) in [
        ("bash", "bash"),
        ("zsh", "zsh"),
        ("fish", "fish"),
        ("powershell", "ps1"),
    ] {
        let out = std::process::Command::new(bin())
            .args(["completion", shell])
            .output()
            .unwrap();
        assert_exit(&out, 0);
        let path = dir.join(format!("kubectl-imgdup.{ext}"));
        let checked_in = std::fs::read(&path).unwrap_or_default();
        assert!(
            checked_in == out.stdout,
            "{} is stale: run scripts/gen-completions",
            path.display()
        );
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("prune"),
            "{shell}: subcommands are completed"
        );
    }
}
