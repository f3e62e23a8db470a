//! `kubectl imgdup node --local` against runtime sockets that exist but do
//! not answer (the same three cases as crictl-which's `bad_sockets`): the
//! node is `unknown` with a reason naming the socket and the fix, within
//! the timeout, never a quiet `ok`.

use std::time::Duration;

use testkit::bad_socket::{self, point_crictl_at};
use testkit::cmd::stderr;
use testkit::host_dir::HostDir;

use crate::util::*;

/// The table's `reason:` line, after asserting the node is unknown (exit 4).
#[track_caller]
fn reason(out: &std::process::Output) -> String {
    assert_exit(out, 4);
    let text = stdout(out);
    assert!(text.contains(" unknown "), "{text}");
    let line = text
        .lines()
        .find(|l| l.starts_with("reason: NoRuntimeFound: "));
    line.unwrap_or_else(|| panic!("no reason line in:\n{text}\n{}", stderr(out)))
        .to_string()
}

#[test]
fn a_socket_with_no_listener_names_it_and_the_fix() {
    let host = HostDir::new();
    bad_socket::dead(&host, "/run/dead.sock");
    point_crictl_at(&host, "/run/dead.sock");
    let (out, took) = node_on(&host, &[]);
    let reason = reason(&out);
    assert!(
        reason.contains("unix:///run/dead.sock")
            && reason.contains("nothing listens on /run/dead.sock")
            && reason.contains("start the runtime or remove the file"),
        "{reason}"
    );
    assert!(took < Duration::from_secs(2), "took {took:?}");
}

#[test]
fn a_daemon_that_never_answers_times_out_naming_it() {
    let host = HostDir::new();
    bad_socket::hanging(&host, "/run/hang.sock");
    point_crictl_at(&host, "/run/hang.sock");
    let (out, took) = node_on(&host, &["--timeout", "300ms", "-o", "json"]);
    assert_exit(&out, 4);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["verdict"], "unknown");
    let reason = report["reason"].as_str().unwrap();
    assert!(
        reason.contains("no answer from /run/hang.sock within 300ms"),
        "{reason}"
    );
    // Every dial of the hung socket is bounded: a few timeouts at most.
    assert!(took < Duration::from_secs(3), "took {took:?}");
}

#[test]
fn a_socket_the_caller_may_not_open_says_permission_denied() {
    let host = HostDir::new();
    point_crictl_at(&host, "/run/secure/c.sock");
    host.empty_proc();
    let _listener = bad_socket::forbidden(&host, "/run/secure/c.sock");
    let out = bad_socket::as_nobody(&bin())
        .args(["node", "--local", "--node-name", "n1", "--host-root"])
        .arg(host.root())
        .arg("--proc")
        .arg(host.empty_proc())
        .run();
    let took = out.elapsed;
    let reason = reason(&out);
    assert!(
        reason.contains("permission denied on /run/secure/c.sock")
            && reason.contains("mode 0000")
            && reason.contains("run as root"),
        "{reason}"
    );
    assert!(took < Duration::from_secs(2), "took {took:?}");
}

/// Not root on a real node (the lab's two-containerds: containerd's own
/// sockets, mode 0660 root:root): the reason is the permission, with the
/// socket and the fix, not "set one with -r", which would not help.
#[test]
fn not_root_on_a_real_node_names_the_socket_and_says_run_as_root() {
    let lab = Scenario::up("two-containerds");
    let bin = bin();
    let nobody = ["--reuid=65534", "--regid=65534", "--clear-groups", "--"];
    let as_nobody = |extra: &[&str]| {
        let mut args: Vec<&str> = nobody.to_vec();
        args.push(bin.to_str().unwrap());
        args.extend_from_slice(&["node", "--local", "--node-name", "n1"]);
        args.extend_from_slice(extra);
        lab.exec(std::path::Path::new("setpriv"), &args)
    };
    // crictl's default endpoints, probed.
    let reason = reason(&as_nobody(&[]));
    assert!(
        reason.contains("permission denied on /run/containerd/containerd.sock")
            && reason.contains("mode 0660, owner uid 0 gid 0")
            && reason.contains("run as root")
            && !reason.contains("set one with -r"),
        "{reason}"
    );
    // An endpoint given with -r.
    let reason = self::reason(&as_nobody(&[
        "-r",
        "unix:///run/k3s/containerd/containerd.sock",
    ]));
    assert!(
        reason.contains("unix:///run/k3s/containerd/containerd.sock")
            && reason.contains("permission denied on /run/k3s/containerd/containerd.sock")
            && reason.contains("run as root"),
        "{reason}"
    );
}
