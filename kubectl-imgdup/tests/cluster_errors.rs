//! The errors a first run meets before any pod exists: no kubeconfig, a bad
//! context, a server that refuses, does not resolve, never answers, has a
//! certificate we cannot trust, rejects the credentials, or an exec plugin
//! that fails. Each is one line on stderr naming the server (or the file)
//! and the context, the cause, and what to check; for every command that
//! talks to the cluster, `__complete` included (its stdout stays clean).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use testkit::apiserver::SimApiServer;
use testkit::apiserver::config::FaultRule;
use testkit::cmd::stderr;

use crate::util::sim::*;
use crate::util::*;

/// Every command that talks to the cluster, as a user types it.
const COMMANDS: &[&[&str]] = &[&[], &["which", "n1"], &["cleanup"], &["prune", "--dry-run"]];

/// A kubeconfig with one context `ctx` whose user is `user` (YAML flow map).
pub(crate) fn kubeconfig(dir: &Path, server: &str, cluster_extra: &str, user: &str) -> PathBuf {
    let path = dir.join("kubeconfig");
    std::fs::write(
        &path,
        format!(
            "apiVersion: v1\nkind: Config\n\
             clusters: [{{name: c, cluster: {{server: '{server}'{cluster_extra}}}}}]\n\
             users: [{{name: u, user: {user}}}]\n\
             contexts: [{{name: ctx, context: {{cluster: c, user: u}}}}]\n\
             current-context: ctx\n"
        ),
    )
    .unwrap();
    path
}

pub(crate) fn plugin(kubeconfig: &Path, args: &[&str]) -> (Output, Duration) {
    let out = cmd().arg("--kubeconfig").arg(kubeconfig).args(args).run();
    (out.output, out.elapsed)
}

/// The one line on stderr of a failed run (exit 1), with `parts` in it.
#[track_caller]
pub(crate) fn one_line(out: &Output, parts: &[&str]) -> String {
    assert_exit(out, 1);
    let err = stderr(out);
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "not one line:\n{err}");
    for p in parts {
        assert!(lines[0].contains(p), "{p:?} missing in:\n{err}");
    }
    lines[0].to_string()
}

/// Every cluster command, and `__complete` (nothing but the directive on
/// stdout), say the same thing about `kubeconfig`.
#[track_caller]
pub(crate) fn every_command_says(kubeconfig: &Path, parts: &[&str], within: Duration) -> String {
    let mut first = None;
    for args in COMMANDS {
        let (out, took) = plugin(kubeconfig, args);
        let line = one_line(&out, parts);
        assert!(took < within, "{args:?} took {took:?}");
        first.get_or_insert(line);
    }
    let out = cmd()
        .args(["__complete", "--", "--kubeconfig"])
        .arg(kubeconfig)
        .args(["which", ""])
        .run();
    assert_exit(&out, 0);
    assert_eq!(stdout(&out), ":4\n", "{}", stderr(&out));
    for p in parts {
        assert!(
            stderr(&out).contains(p),
            "__complete: {p:?} missing in {}",
            stderr(&out)
        );
    }
    let line = first.unwrap();
    eprintln!("{line}");
    line
}

pub(crate) fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn a_refused_connection_names_the_server_the_context_and_what_to_check() {
    let dir = tempfile::tempdir().unwrap();
    let server = format!("https://127.0.0.1:{}", closed_port());
    let kc = kubeconfig(dir.path(), &server, "", "{token: t}");
    let line = every_command_says(
        &kc,
        &[
            &server,
            "context \"ctx\"",
            "was refused",
            "right host and port",
        ],
        Duration::from_secs(3),
    );
    // Each cause once: none of kube's nested repetitions.
    assert!(
        !line.contains("ServiceError") && !line.contains("client error"),
        "{line}"
    );
    // Issue 18: the unreachable server's cause is said exactly once, by
    // every command (the preflight's, the scan's, which's, cleanup's, prune's).
    for args in COMMANDS {
        let (out, _) = plugin(&kc, args);
        let err = stderr(&out);
        assert_eq!(err.matches("refused").count(), 1, "{args:?}:\n{err}");
    }
}

#[test]
fn an_unknown_host_is_a_dns_failure_naming_the_host() {
    let dir = tempfile::tempdir().unwrap();
    let server = "https://api.imgdup-test.invalid:6443";
    let kc = kubeconfig(dir.path(), server, "", "{token: t}");
    every_command_says(
        &kc,
        &[
            server,
            "context \"ctx\"",
            "DNS lookup of \"api.imgdup-test.invalid\" failed",
            "DNS or VPN",
        ],
        Duration::from_secs(10),
    );
}

#[test]
fn a_server_that_never_answers_fails_once_at_the_connect_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let server = format!("https://{}", listener.local_addr().unwrap());
    let kc = kubeconfig(dir.path(), &server, "", "{token: t}");
    // Accepted by the kernel's backlog, never answered (no TLS handshake).
    let (out, took) = plugin(&kc, &["--connect-timeout", "1s"]);
    one_line(
        &out,
        &[
            &server,
            "context \"ctx\"",
            "timeout",
            "network path",
            "--connect-timeout",
        ],
    );
    // Preflight does not retry a server that does not answer: one timeout,
    // not five attempts with backoff.
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_secs(3),
        "took {took:?}"
    );
    drop(listener);
}

/// An exec credential plugin that fails as a logged-out cloud CLI does.
fn failing_plugin(dir: &Path) -> PathBuf {
    let script = dir.join("get-token");
    std::fs::write(
        &script,
        "#!/bin/sh\necho 'starting' >&2\necho 'error: token expired, run: cloud login' >&2\nexit 1\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script
}

#[test]
fn a_failing_exec_plugin_is_named_with_its_command_and_stderr_line() {
    let dir = tempfile::tempdir().unwrap();
    let script = failing_plugin(dir.path());
    let server = format!("https://127.0.0.1:{}", closed_port());
    let exec = format!(
        "{{exec: {{apiVersion: client.authentication.k8s.io/v1, command: '{}', args: [--cluster, prod], interactiveMode: Never}}}}",
        script.display()
    );
    let kc = kubeconfig(dir.path(), &server, "", &exec);
    let command = format!("{} --cluster prod", script.display());
    every_command_says(
        &kc,
        &[
            &command,
            "context \"ctx\"",
            &server,
            "exit status: 1",
            "token expired, run: cloud login",
            "run it yourself",
        ],
        Duration::from_secs(5),
    );
    // Interactive mode (the default): the plugin writes to our stderr itself,
    // then our one line names it.
    let exec = format!(
        "{{exec: {{apiVersion: client.authentication.k8s.io/v1, command: '{}', interactiveMode: IfAvailable}}}}",
        script.display()
    );
    let kc = kubeconfig(dir.path(), &server, "", &exec);
    let (out, _) = plugin(&kc, &["cleanup"]);
    assert_exit(&out, 1);
    let err = stderr(&out);
    let last = err.lines().last().unwrap_or_default();
    assert!(err.contains("token expired, run: cloud login"), "{err}");
    assert!(
        last.contains(&script.display().to_string()) && last.contains("its stderr is above"),
        "{err}"
    );
    // A plugin that is not installed.
    let exec = "{exec: {apiVersion: client.authentication.k8s.io/v1, command: imgdup-no-such-plugin, interactiveMode: Never}}";
    let kc = kubeconfig(dir.path(), &server, "", exec);
    every_command_says(
        &kc,
        &[
            "`imgdup-no-such-plugin`",
            "could not be started",
            "context \"ctx\"",
            &server,
            "install it",
        ],
        Duration::from_secs(5),
    );
}

#[test]
fn no_kubeconfig_an_empty_context_and_an_unknown_one_name_the_file_and_the_fix() {
    let home = tempfile::tempdir().unwrap();
    for args in COMMANDS {
        let out = cmd()
            .args(*args)
            .env("HOME", home.path())
            .env_remove("KUBECONFIG")
            .run();
        one_line(
            &out,
            &[
                "no kubeconfig",
                "~/.kube/config does not exist",
                "pass --kubeconfig FILE or set KUBECONFIG",
            ],
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let kc = kubeconfig(dir.path(), "https://127.0.0.1:1", "", "{token: t}");
    let kc_text = kc.display().to_string();
    let (out, _) = plugin(&kc, &["--context", "prod", "cleanup"]);
    one_line(
        &out,
        &[
            "context \"prod\" not found",
            &kc_text,
            "its contexts: ctx",
            "pass --context",
        ],
    );
    let text = std::fs::read_to_string(&kc)
        .unwrap()
        .replace("current-context: ctx", "current-context: ''");
    std::fs::write(&kc, text).unwrap();
    let (out, _) = plugin(&kc, &["which", "n1"]);
    one_line(
        &out,
        &[
            "has no current context",
            &kc_text,
            "kubectl config use-context NAME",
            "its contexts: ctx",
        ],
    );
    let (out, _) = plugin(&dir.path().join("missing"), &[]);
    one_line(
        &out,
        &[
            "cannot read the kubeconfig",
            "missing (--kubeconfig)",
            "No such file",
            "check the path",
        ],
    );
}

/// 401 and 403 as the real kube-apiserver words them, injected by the
/// simulator on the first request (SelfSubjectAccessReview).
#[test]
fn rejected_credentials_and_a_forbidden_review_name_the_server_and_the_fix() {
    for (code, parts) in [
        (401, &["401 Unauthorized", "log in again"][..]),
        (
            403,
            &[
                "403 Forbidden",
                "cannot create resource",
                "deploy/rbac.yaml",
            ][..],
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = config(dir.path());
        cfg.faults = vec![FaultRule {
            code: Some(code),
            resource: Some("selfsubjectaccessreviews".into()),
            ..Default::default()
        }];
        let server = SimApiServer::start(cfg).unwrap();
        let (out, took) = run(&server, &["cleanup"]);
        let mut want = vec![server.url.trim_end_matches('/'), "context \"sim\""];
        want.extend_from_slice(parts);
        eprintln!("{}", one_line(&out, &want));
        assert!(took < Duration::from_secs(3), "{took:?}");
        server.stop();
    }
}

#[test]
fn a_missing_namespace_is_named_once_with_how_to_create_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.nodes = vec![fake_node("n1", 0.1, 0, &ok_output())];
    let server = SimApiServer::start(cfg).unwrap();
    let (out, _) = run(&server, &["-n", "imgdup-missing"]);
    let line = one_line(
        &out,
        &[
            "namespace \"imgdup-missing\" not found",
            "context \"sim\"",
            "kubectl apply -f deploy/rbac.yaml",
            "pass -n",
        ],
    );
    assert_eq!(line.matches("not found").count(), 1, "{line}");
    eprintln!("{line}");
    assert_eq!(our_pods(&server), 0);
    server.stop();
}

/// The source tree on PATH has a *directory* named kubectl-imgdup: the
/// helper must skip it and run the plugin found further on PATH.
#[test]
fn the_completion_helper_skips_a_directory_named_like_the_plugin() {
    let repo = testkit::lab::repo_root();
    assert!(repo.join("kubectl-imgdup").is_dir());
    let bins = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(bin(), bins.path().join("kubectl-imgdup")).unwrap();
    let out = Command::new("sh")
        .args(["-c", "kubectl_complete-imgdup ''"])
        .env(
            "PATH",
            format!("{}:{}:/usr/bin:/bin", repo.display(), bins.path().display()),
        )
        .env("KUBECONFIG", bins.path().join("none"))
        .output()
        .unwrap();
    assert_exit(&out, 0);
    assert!(
        stdout(&out).lines().any(|l| l.starts_with("node\t")),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        !stderr(&out).contains("Permission denied"),
        "{}",
        stderr(&out)
    );
}
