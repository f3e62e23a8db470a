//! `kubectl imgdup <TAB>` through real kubectl: kubectl finds
//! `kubectl_complete-imgdup` on PATH, which runs `kubectl-imgdup
//! __complete`. Here against an API server that never answers; nodes,
//! namespaces and labels are completed from the lab's real cluster in
//! `real_cluster/completion.rs`, which shares these helpers.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::util::*;

/// A PATH dir holding the plugin and the repo's completion script, as a
/// user installs them.
pub(crate) fn plugin_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(bin(), dir.path().join("kubectl-imgdup")).unwrap();
    std::os::unix::fs::symlink(
        testkit::lab::repo_root().join("kubectl_complete-imgdup"),
        dir.path().join("kubectl_complete-imgdup"),
    )
    .unwrap();
    dir
}

pub(crate) struct Completion {
    pub(crate) out: Output,
    pub(crate) took: Duration,
}

impl Completion {
    /// The candidates (descriptions dropped), without the directive line.
    pub(crate) fn words(&self) -> Vec<String> {
        stdout(&self.out)
            .lines()
            .filter(|l| !l.starts_with(':'))
            .map(|l| l.split('\t').next().unwrap_or_default().to_string())
            .collect()
    }

    pub(crate) fn directive(&self) -> u32 {
        let text = stdout(&self.out);
        let last = text.lines().last().unwrap_or_default();
        last.strip_prefix(':')
            .and_then(|d| d.parse().ok())
            .unwrap_or_else(|| panic!("no directive line in {text:?}"))
    }
}

/// `kubectl __complete imgdup ARGS...`, as the shell's completion script runs it.
pub(crate) fn kubectl_complete(plugins: &Path, kubeconfig: &Path, args: &[&str]) -> Completion {
    let started = Instant::now();
    let out = Command::new("kubectl")
        .arg("__complete")
        .arg("imgdup")
        .args(args)
        .env("PATH", format!("{}:/usr/bin:/bin", plugins.display()))
        .env("KUBECONFIG", kubeconfig)
        .env("HOME", plugins)
        .output()
        .unwrap();
    let took = started.elapsed();
    assert_exit(&out, 0);
    Completion { out, took }
}

/// An API server that accepts connections and never answers.
fn silent_server() -> (u16, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let t = std::thread::spawn(move || {
        let mut held = Vec::new();
        listener.set_nonblocking(true).unwrap();
        let until = Instant::now() + Duration::from_secs(20);
        while Instant::now() < until {
            match listener.accept() {
                Ok((c, _)) => held.push(c),
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    });
    (port, t)
}

/// `kubectl_complete-imgdup ARGS...` alone, as kubectl runs it.
fn complete_script(plugins: &Path, kubeconfig: &Path, args: &[&str]) -> Completion {
    let started = Instant::now();
    let out = Command::new(plugins.join("kubectl_complete-imgdup"))
        .args(args)
        .env("PATH", format!("{}:/usr/bin:/bin", plugins.display()))
        .env("KUBECONFIG", kubeconfig)
        .output()
        .unwrap();
    let took = started.elapsed();
    assert_exit(&out, 0);
    Completion { out, took }
}

#[test]
fn a_silent_api_server_gives_no_candidates_within_the_deadline() {
    let plugins = plugin_dir();
    let (port, _silent) = silent_server();
    let kc: PathBuf = plugins.path().join("kubeconfig");
    std::fs::write(
        &kc,
        format!(
            "apiVersion: v1\nkind: Config\nclusters: [{{name: s, cluster: {{server: 'http://127.0.0.1:{port}'}}}}]\n\
             users: [{{name: u, user: {{token: t}}}}]\ncontexts: [{{name: s, context: {{cluster: s, user: u}}}}]\n\
             current-context: s\n"
        ),
    )
    .unwrap();
    for args in [&["-n", ""][..], &["which", ""], &["-l", ""], &["alpha", ""]] {
        let c = complete_script(plugins.path(), &kc, args);
        assert_eq!(c.words(), Vec::<String>::new(), "{args:?}");
        assert_eq!(c.directive(), if args[0] == "-l" { 6 } else { 4 });
        assert!(
            c.took < Duration::from_millis(1500),
            "{args:?} took {:?}",
            c.took
        );
    }
    // What needs no cluster is still there.
    let c = complete_script(plugins.path(), &kc, &[""]);
    assert!(c.words().contains(&"node".to_string()), "{:?}", c.words());
    assert!(c.took < Duration::from_millis(1500), "took {:?}", c.took);
    // Through kubectl: the same empty answer. kubectl itself first probes
    // GET /version (observed: it waits up to 5 s for it) before running the
    // plugin's completion; ours adds at most its deadline.
    let c = kubectl_complete(plugins.path(), &kc, &["-n", ""]);
    assert_eq!(c.words(), Vec::<String>::new());
    assert_eq!(c.directive(), 4);
    assert!(
        c.took < Duration::from_millis(5000 + 1500),
        "took {:?}",
        c.took
    );
}
