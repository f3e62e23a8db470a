//! The checked-in man pages match the binary (scripts/gen-docs), and they
//! carry the --help examples.

use crate::util::*;

#[test]
fn checked_in_man_pages_are_fresh() {
    let dir = tempfile::tempdir().unwrap();
    let out = cmd().arg("man").arg(dir.path()).run();
    assert_exit(&out, 0);
    testkit::fresh::assert_man_fresh("kubectl-imgdup", dir.path());
    let man = testkit::lab::repo_root().join("man");
    for page in [
        "kubectl-imgdup.1",
        "kubectl-imgdup-node.1",
        "kubectl-imgdup-prune.1",
    ] {
        let text = std::fs::read_to_string(man.join(page)).unwrap();
        assert!(text.contains(".SH EXAMPLES"), "{page} has no examples");
    }
    let node = std::fs::read_to_string(man.join("kubectl-imgdup-node.1")).unwrap();
    assert!(node.contains("\\-\\-host\\-root"), "options are documented");
    assert!(
        !man.join("kubectl-imgdup-agent.1").exists(),
        "hidden commands get no page"
    );
}

/// Every visible subcommand's --help ends with examples that run this very
/// plugin (2–4 of them), and `-h` shows them too.
#[test]
fn every_subcommand_help_has_examples() {
    let top = cmd().arg("--help").run();
    assert_exit(&top, 0);
    let mut commands = vec![vec![]];
    let help = stdout(&top);
    let listed = help
        .split("Commands:")
        .nth(1)
        .expect("--help lists the commands")
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(|c| vec![c]);
    commands.extend(listed);
    assert!(commands.len() >= 4, "{help}");
    for args in commands {
        for flag in ["--help", "-h"] {
            let out = cmd().args(&args).arg(flag).run();
            assert_exit(&out, 0);
            let text = stdout(&out);
            let examples = text
                .split("Examples:")
                .nth(1)
                .unwrap_or_else(|| panic!("{args:?} {flag}: no examples\n{text}"));
            // Example commands are indented; their comments start with #.
            let runs: Vec<&str> = examples
                .lines()
                .filter(|l| l.starts_with("  ") && !l.trim_start().starts_with('#'))
                .collect();
            assert!(
                runs.iter()
                    .all(|l| l.contains("kubectl imgdup") || l.contains("kubectl-imgdup ")),
                "{args:?}: examples run something else: {runs:?}"
            );
            let runs = runs.len();
            assert!(
                (2..=4).contains(&runs),
                "{args:?}: {runs} examples\n{examples}"
            );
        }
    }
}
