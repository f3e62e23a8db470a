//! 401 and a user without rights from the real kube-apiserver: one line
//! naming the server and the context, the cause and the fix. (Refused, DNS,
//! timeout, TLS and exec plugins need no server: `cluster_errors.rs`.)

use std::path::Path;

use testkit::cmd::stderr;
use testkit::real_cluster::RealCluster;

use crate::util::*;

fn yaml(path: &Path) -> serde_yaml::Value {
    serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The kubeconfig's server URL and current context.
fn target(kc: &serde_yaml::Value) -> (String, String) {
    let context = kc["current-context"].as_str().unwrap().to_string();
    let server = kc["clusters"][0]["cluster"]["server"].as_str().unwrap();
    (server.trim_end_matches('/').to_string(), context)
}

#[test]
fn a_bogus_token_and_a_user_without_rights_name_the_server_the_context_and_the_fix() {
    let cluster = RealCluster::up();
    let admin = yaml(&cluster.kubeconfig);
    let (server, context) = target(&admin);
    let dir = tempfile::tempdir().unwrap();

    // The admin's cluster, with a token the server never issued.
    let mut bogus = admin.clone();
    bogus["users"][0]["user"] = serde_yaml::from_str("{token: not-a-real-token}").unwrap();
    let path = dir.path().join("bogus");
    std::fs::write(&path, serde_yaml::to_string(&bogus).unwrap()).unwrap();
    for args in [&["cleanup"][..], &["which", "dood"], &[]] {
        let out = cmd().arg("--kubeconfig").arg(&path).args(args).run();
        assert_exit(&out, 1);
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        for part in [
            server.as_str(),
            &format!("context {context:?}"),
            "401 Unauthorized",
            "log in again",
        ] {
            assert!(err.contains(part), "{part:?} missing in {err}");
        }
        eprintln!("{err}");
    }

    // A real user (client certificate) bound to nothing: every rule is
    // listed, under the server and the context it was refused on.
    let kc = cluster.user("imgdup-no-rights", &[]);
    let (server, context) = target(&yaml(&kc));
    let out = cmd().arg("--kubeconfig").arg(&kc).run();
    assert_exit(&out, 1);
    let err = stderr(&out);
    let first = err.lines().next().unwrap_or_default();
    for part in [
        server.as_str(),
        &format!("context {context:?}"),
        "missing permissions",
    ] {
        assert!(first.contains(part), "{part:?} missing in {err}");
    }
    assert!(
        err.contains("list nodes cluster-wide") && err.contains("Grant deploy/rbac.yaml"),
        "{err}"
    );
    eprintln!("{err}");
}
