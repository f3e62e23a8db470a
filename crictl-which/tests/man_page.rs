//! The checked-in man page matches the binary (scripts/gen-docs), and
//! --help ends with examples.

use crate::util::*;

#[test]
fn checked_in_man_page_is_fresh() {
    let out = cmd().arg("--man").run();
    testkit::cmd::assert_exit(&out, 0);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("crictl-which.1"), &out.stdout).unwrap();
    testkit::fresh::assert_man_fresh("crictl-which", dir.path());
    let page = String::from_utf8(out.output.stdout).unwrap();
    assert!(page.starts_with(".ie \\n(.g .ds Aq"), "roff");
    assert!(page.contains("\\-\\-runtime\\-endpoint") && page.contains(".SH EXAMPLES"));
    assert!(!page.contains("\\-\\-man"), "the hidden flags stay hidden");
}

#[test]
fn help_ends_with_examples() {
    for flag in ["--help", "-h"] {
        let out = cmd().arg(flag).run();
        testkit::cmd::assert_exit(&out, 0);
        let text = String::from_utf8(out.output.stdout).unwrap();
        let examples = text.split("Examples:").nth(1).expect("examples");
        let runs = examples
            .lines()
            .filter(|l| l.trim_start().starts_with("crictl-which"))
            .count();
        assert!((2..=4).contains(&runs), "{flag}: {runs} examples\n{text}");
    }
}
