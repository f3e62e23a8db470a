//! A node that cannot be opened at all: each error names the path and the
//! flag to fix, with the exit code of its stage (2 for a --host-root that
//! is not there, 1 for the rest), and nothing on stdout.

use crate::util::*;

#[test]
fn a_missing_host_root_is_a_usage_error_naming_it() {
    let host = HostDir::new();
    let missing = host.path("/no/such/root");
    let out = cmd().arg("--host-root").arg(&missing).run();
    out.assert_exit(2);
    assert_eq!(
        out.stderr().trim(),
        format!(
            "crictl-which: --host-root {}: no such directory: No such file or directory (os error 2)",
            missing.display()
        )
    );
    assert!(out.stdout().is_empty(), "{}", out.stdout());
}

#[test]
fn an_unreadable_proc_says_pass_proc() {
    let host = HostDir::new();
    let missing = host.path("/no/proc");
    let out = cmd()
        .arg("--host-root")
        .arg(host.root())
        .arg("--proc")
        .arg(&missing)
        .run();
    out.assert_exit(1);
    assert_eq!(
        out.stderr().trim(),
        format!(
            "crictl-which: cannot read processes from {}; pass --proc: No such file or directory (os error 2)",
            missing.display()
        )
    );
}

#[test]
fn a_broken_crictl_config_fails_before_the_processes_are_read() {
    let host = HostDir::new();
    host.write("/etc/crictl.yaml", "runtime-endpoint: [unterminated\n");
    // The procfs is missing too: crictl's config is the first to fail, as in crictl.
    let out = cmd()
        .args(["-c", "/etc/crictl.yaml", "--host-root"])
        .arg(host.root())
        .arg("--proc")
        .arg(host.path("/no/proc"))
        .run();
    out.assert_exit(1);
    let err = out.stderr();
    assert!(
        err.starts_with("crictl-which: crictl config file /etc/crictl.yaml: ")
            && err.contains("fix the file, or unset CRI_CONFIG_FILE"),
        "{err}"
    );
    assert!(!err.contains("--proc"), "{err}");
}
