//! The checked-in completion scripts match the binary (scripts/gen-completions).

use crate::util::*;

#[test]
fn checked_in_completions_are_fresh() {
    testkit::fresh::assert_completions_fresh("crictl-which", |shell| {
        let mut c = cmd();
        c.args(["--completions", shell]);
        c
    });
}
