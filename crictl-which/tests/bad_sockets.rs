//! Sockets that exist but do not answer: each must fail fast, naming the
//! socket and the fix. No lab needed: a temp host root and a real listener.

use std::time::Duration;

use testkit::bad_socket::{self, point_crictl_at as pointing_at};

use crate::util::*;

#[test]
fn a_socket_file_with_no_listener_is_refused_fast() {
    let host = HostDir::new();
    bad_socket::dead(&host, "/run/dead.sock");
    pointing_at(&host, "/run/dead.sock");
    let out = cmd()
        .arg("--host-root")
        .arg(host.root())
        .args(["--proc", "/proc"])
        .run();
    let took = out.elapsed;
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("nothing listens on /run/dead.sock"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("stale socket"), "{}", stderr(&out));
    assert!(took < Duration::from_secs(2), "took {took:?}");
}

#[test]
fn a_missing_socket_names_the_path() {
    let host = HostDir::new();
    pointing_at(&host, "/run/k3s/containerd/containerd.sock");
    let out = cmd()
        .arg("--host-root")
        .arg(host.root())
        .args(["--proc", "/proc", "-o", "json"])
        .run();
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("socket /run/k3s/containerd/containerd.sock does not exist"),
        "{}",
        stderr(&out)
    );
    let chain: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(chain["runtimeEndpoint"]["source"], "config-file");
}

#[test]
fn a_daemon_that_accepts_but_never_answers_times_out() {
    let host = HostDir::new();
    bad_socket::hanging(&host, "/run/hang.sock");
    pointing_at(&host, "/run/hang.sock");
    let out = cmd()
        .arg("--host-root")
        .arg(host.root())
        .args(["--proc", "/proc", "--timeout", "300ms"])
        .run();
    let took = out.elapsed;
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("no answer from /run/hang.sock within 300ms"),
        "{}",
        stderr(&out)
    );
    assert!(took < Duration::from_secs(3), "took {took:?}");
}

#[test]
fn a_socket_the_caller_may_not_open_says_permission_denied() {
    let host = HostDir::new();
    pointing_at(&host, "/run/secure/c.sock");
    let _listener = bad_socket::forbidden(&host, "/run/secure/c.sock");
    let out = bad_socket::as_nobody(&bin())
        .arg("--host-root")
        .arg(host.root())
        .args(["--proc", "/proc"])
        .run();
    let took = out.elapsed;
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains("permission denied on /run/secure/c.sock") && err.contains("mode 0000"),
        "{err}"
    );
    assert!(err.contains("run as root"), "{err}");
    assert!(took < Duration::from_secs(2), "took {took:?}");
}

#[test]
fn an_explicit_broken_config_fails_like_crictl() {
    let host = HostDir::new();
    host.write("/etc/my.yaml", "runtime-endpoint: [oops\n");
    let out = cmd()
        .arg("--host-root")
        .arg(host.root())
        .args(["--proc", "/proc", "--config", "/etc/my.yaml"])
        .run();
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("crictl config file /etc/my.yaml")
            && stderr(&out).contains("not valid YAML"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_unknown_url_scheme_is_a_clear_error() {
    let host = HostDir::new();
    let out = cmd()
        .arg("--host-root")
        .arg(host.root())
        .args(["--proc", "/proc", "-r", "http://localhost:1234"])
        .run();
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("protocol \"http\" not supported"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn usage_errors_exit_2() {
    let out = cmd().args(["-o", "xml"]).run();
    assert_exit(&out, 2);
    let out = cmd().args(["--host-root", "/does/not/exist"]).run();
    assert_exit(&out, 2);
}
