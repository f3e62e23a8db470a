//! `kubectl imgdup <TAB>` through real kubectl against the real server:
//! kubectl finds `kubectl_complete-imgdup` on PATH, which runs
//! `kubectl-imgdup __complete`; nodes, namespaces and labels come from the
//! apiserver, contexts from the kubeconfig.

use crate::plugin_completion::{kubectl_complete, plugin_dir};

use super::*;

#[test]
fn kubectl_completes_subcommands_nodes_contexts_namespaces_and_labels() {
    let lab = lab();
    let plugins = plugin_dir();
    let kc = lab.cluster.kubeconfig.clone();
    let complete = |args: &[&str]| kubectl_complete(plugins.path(), &kc, args);

    // The first word: subcommands (from clap, hidden ones left out) and nodes.
    let first = complete(&[""]);
    let words = first.words();
    for w in ["node", "prune", "which", "cleanup", "completion"]
        .into_iter()
        .chain(NODES)
    {
        assert!(words.contains(&w.to_string()), "{w} missing: {words:?}");
    }
    assert!(!words.iter().any(|w| w == "agent" || w == "__complete"));
    assert_eq!(first.directive(), 4, "NoFileComp");
    assert!(
        stdout(&first.out).contains("dood\tlinux/amd64"),
        "nodes carry their platform: {}",
        stdout(&first.out)
    );

    let flags = complete(&["--"]).words();
    for f in ["--context", "--kubeconfig", "--namespace", "--selector"] {
        assert!(flags.contains(&f.to_string()), "{f}: {flags:?}");
    }
    let contexts = complete(&["--context", ""]);
    assert_eq!(contexts.words(), ["imgdup-lab-admin@imgdup-lab"]);

    let namespaces = complete(&["-n", ""]);
    let ns = namespaces.words();
    for n in ["default", "imgdup", "kube-node-lease", "kube-system"] {
        assert!(ns.contains(&n.to_string()), "{n}: {ns:?}");
    }

    // `which NODE`: nodes only. A node already typed is not offered again;
    // -l narrows the nodes.
    assert_eq!(complete(&["which", ""]).words(), NODES);
    let more = complete(&["dood", ""]).words();
    assert!(!more.contains(&"dood".to_string()) && more.contains(&"containerd2".to_string()));
    let one = complete(&["-l", "imgdup.test/scenario=dood", ""]).words();
    assert!(
        one.contains(&"dood".to_string()) && !one.contains(&"containerd2".to_string()),
        "{one:?}"
    );

    // Label keys (NoSpace: the value follows), then the values of one key,
    // from the labels the real kubelets registered.
    let keys = complete(&["-l", ""]);
    for key in [
        "imgdup.test/scenario=",
        "kubernetes.io/arch=",
        "kubernetes.io/hostname=",
    ] {
        assert!(
            keys.words().contains(&key.to_string()),
            "{key}: {:?}",
            keys.words()
        );
    }
    assert_eq!(keys.directive(), 2 | 4);
    let values = complete(&["-l", "imgdup.test/scenario="]).words();
    let expected: Vec<String> = NODES
        .iter()
        .map(|n| format!("imgdup.test/scenario={n}"))
        .collect();
    assert_eq!(values, expected);

    let slowest = [first.took, contexts.took, namespaces.took]
        .into_iter()
        .max()
        .unwrap();
    assert!(slowest < Duration::from_secs(3), "took {slowest:?}");
}
