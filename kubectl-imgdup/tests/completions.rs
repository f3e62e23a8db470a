//! The checked-in completion scripts match the binary (scripts/gen-completions).

use crate::util::*;

#[test]
fn checked_in_completions_are_fresh() {
    testkit::fresh::assert_completions_fresh("kubectl-imgdup", |shell| {
        let mut c = cmd();
        c.args(["completion", shell]);
        c
    });
    let bash =
        std::fs::read_to_string(testkit::lab::repo_root().join("completions/kubectl-imgdup.bash"))
            .unwrap();
    assert!(
        bash.contains("prune") && bash.contains("--fail-on-duplicates"),
        "subcommands and flags are completed"
    );
}
