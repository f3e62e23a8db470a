//! `kubectl imgdup <TAB>` through real kubectl: kubectl finds
//! `kubectl_complete-imgdup` on PATH, which runs `kubectl-imgdup
//! __complete`; node names, namespaces and labels come from the simulated
//! API server, contexts from the kubeconfig.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use testkit::apiserver::SimApiServer;
use testkit::apiserver::config::{Config, NamespaceConfig};

use crate::util::*;

/// A PATH dir holding the plugin and the repo's completion script, as a
/// user installs them.
fn plugin_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(bin(), dir.path().join("kubectl-imgdup")).unwrap();
    std::os::unix::fs::symlink(
        testkit::lab::repo_root().join("kubectl_complete-imgdup"),
        dir.path().join("kubectl_complete-imgdup"),
    )
    .unwrap();
    dir
}

struct Completion {
    out: Output,
    took: Duration,
}

impl Completion {
    /// The candidates (descriptions dropped), without the directive line.
    fn words(&self) -> Vec<String> {
        stdout(&self.out)
            .lines()
            .filter(|l| !l.starts_with(':'))
            .map(|l| l.split('\t').next().unwrap_or_default().to_string())
            .collect()
    }

    fn directive(&self) -> u32 {
        let text = stdout(&self.out);
        let last = text.lines().last().unwrap_or_default();
        last.strip_prefix(':')
            .and_then(|d| d.parse().ok())
            .unwrap_or_else(|| panic!("no directive line in {text:?}"))
    }
}

/// `kubectl __complete imgdup ARGS...`, as the shell's completion script runs it.
fn kubectl_complete(plugins: &Path, kubeconfig: &Path, args: &[&str]) -> Completion {
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

fn cluster(dir: &Path) -> SimApiServer {
    let cfg: Config = serde_yaml::from_str(
        r#"
nodes:
  - {name: alpha, fake: {seconds: 1}, labels: {tier: web}}
  - {name: beta, fake: {seconds: 1}, arch: arm64, labels: {tier: db}}
"#,
    )
    .unwrap();
    SimApiServer::start(Config {
        kubeconfig: Some(dir.join("kubeconfig")),
        namespaces: vec![NamespaceConfig {
            name: "imgdup".into(),
            ..Default::default()
        }],
        ..cfg
    })
    .unwrap()
}

#[test]
fn kubectl_completes_subcommands_nodes_contexts_namespaces_and_labels() {
    let plugins = plugin_dir();
    let server = cluster(plugins.path());
    let kc = server.kubeconfig.clone();

    // The first word: subcommands (from clap, hidden ones left out) and nodes.
    let first = kubectl_complete(plugins.path(), &kc, &[""]);
    let words = first.words();
    for w in [
        "node",
        "prune",
        "which",
        "cleanup",
        "completion",
        "alpha",
        "beta",
    ] {
        assert!(words.contains(&w.to_string()), "{w} missing: {words:?}");
    }
    assert!(!words.iter().any(|w| w == "agent" || w == "__complete"));
    assert_eq!(first.directive(), 4, "NoFileComp");
    assert!(
        stdout(&first.out).contains("beta\tlinux/arm64"),
        "nodes carry their platform: {}",
        stdout(&first.out)
    );

    // Flags kubectl does not add for plugins.
    let flags = kubectl_complete(plugins.path(), &kc, &["--"]).words();
    for f in ["--context", "--kubeconfig", "--namespace", "--selector"] {
        assert!(flags.contains(&f.to_string()), "{f}: {flags:?}");
    }

    let contexts = kubectl_complete(plugins.path(), &kc, &["--context", ""]);
    assert_eq!(contexts.words(), ["sim"]);
    assert_eq!(contexts.directive(), 4);
    // A --kubeconfig typed on the line wins over $KUBECONFIG.
    let other = plugins.path().join("other-kubeconfig");
    std::fs::write(
        &other,
        "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'http://127.0.0.1:1'}}]\n\
         users: [{name: u, user: {}}]\ncontexts:\n- {name: prod, context: {cluster: c, user: u}}\n\
         - {name: staging, context: {cluster: c, user: u}}\ncurrent-context: prod\n",
    )
    .unwrap();
    let other_arg = other.display().to_string();
    let both = kubectl_complete(
        plugins.path(),
        &kc,
        &["--kubeconfig", &other_arg, "--context", ""],
    );
    assert_eq!(both.words(), ["prod", "staging"]);

    let namespaces = kubectl_complete(plugins.path(), &kc, &["-n", ""]);
    let ns = namespaces.words();
    for n in ["default", "imgdup", "kube-system"] {
        assert!(ns.contains(&n.to_string()), "{n}: {ns:?}");
    }
    assert_eq!(namespaces.directive(), 4);

    // `which NODE`: nodes only, no subcommands.
    let which = kubectl_complete(plugins.path(), &kc, &["which", ""]);
    assert_eq!(which.words(), ["alpha", "beta"]);
    assert_eq!(which.directive(), 4);
    // A node already typed is not offered again; -l narrows the nodes.
    let more = kubectl_complete(plugins.path(), &kc, &["alpha", ""]);
    assert_eq!(more.words(), ["beta"]);
    let web = kubectl_complete(plugins.path(), &kc, &["-l", "tier=web", ""]).words();
    assert!(
        web.contains(&"alpha".to_string()) && !web.contains(&"beta".to_string()),
        "{web:?}"
    );

    // Label keys (NoSpace: the value follows), then values of one key.
    let keys = kubectl_complete(plugins.path(), &kc, &["-l", ""]);
    let k = keys.words();
    for key in ["tier=", "kubernetes.io/arch=", "kubernetes.io/hostname="] {
        assert!(k.contains(&key.to_string()), "{key}: {k:?}");
    }
    assert_eq!(keys.directive(), 2 | 4);
    let values = kubectl_complete(plugins.path(), &kc, &["-l", "tier="]);
    assert_eq!(values.words(), ["tier=db", "tier=web"]);

    let shells = kubectl_complete(plugins.path(), &kc, &["completion", ""]);
    assert!(shells.words().contains(&"zsh".to_string()));
    // --kubeconfig takes a file: the shell completes file names.
    let files = kubectl_complete(plugins.path(), &kc, &["--kubeconfig", ""]);
    assert_eq!((files.words().len(), files.directive()), (0, 0));

    let slowest = [first.took, contexts.took, namespaces.took, which.took]
        .into_iter()
        .max()
        .unwrap();
    assert!(slowest < Duration::from_secs(3), "took {slowest:?}");
    server.stop();
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
