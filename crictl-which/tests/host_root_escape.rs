//! Symlinks in the host root that point outside it (`crictl-which
//! --host-root DIR --offline`): they resolve inside the root, like
//! `openat2(RESOLVE_IN_ROOT)`, so nothing outside is ever read.

use crate::util::*;

fn run(host: &HostDir) -> (std::process::Output, serde_json::Value) {
    let out = cmd()
        .arg("--host-root")
        .arg(host.root())
        .arg("--proc")
        .arg(host.empty_proc())
        .args(["--offline", "-o", "json"])
        .run();
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    let chain = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", stdout(&out), stderr(&out)));
    (out.into(), chain)
}

#[test]
fn a_crictl_yaml_symlinked_outside_is_read_inside_the_root() {
    let outside = HostDir::new();
    outside.write(
        "/etc/crictl.yaml",
        "runtime-endpoint: unix:///outside.sock\n",
    );
    let far = outside.root().display().to_string();
    for target in [
        format!("{far}/etc/crictl.yaml"),
        format!(
            "{}{}/etc/crictl.yaml",
            "../".repeat(12),
            far.trim_start_matches('/')
        ),
    ] {
        let host = HostDir::new();
        host.symlink("/etc/crictl.yaml", &target);
        let (out, chain) = run(&host);
        assert!(
            !stdout(&out).contains("outside.sock"),
            "{target}: {}",
            stdout(&out)
        );
        assert_eq!(chain["config"]["loaded"], serde_json::Value::Null);
        // The same link finds a file at that path *inside* the root.
        host.write(
            &format!("{far}/etc/crictl.yaml"),
            "runtime-endpoint: unix:///inside.sock\n",
        );
        let (_, chain) = run(&host);
        assert_eq!(
            chain["runtimeEndpoint"]["url"], "unix:///inside.sock",
            "{target}"
        );
    }
}

#[test]
fn store_roots_pointing_outside_or_looping_are_not_followed_out() {
    let outside = HostDir::new();
    outside.write(
        "/var/lib/docker/image/overlay2/repositories.json",
        "{\"Repositories\":{}}",
    );
    outside.write(
        "/var/lib/containerd/io.containerd.metadata.v1.bolt/meta.db",
        "",
    );
    let far = outside.root().display().to_string();
    for target in [
        format!("{far}/var/lib"),
        "/".into(),
        "../../../..".into(),
        "/var/lib".into(),
    ] {
        let host = HostDir::new();
        host.symlink("/var/lib", &target);
        let (out, chain) = run(&host);
        let others = chain["others"].to_string();
        assert!(
            !others.contains("/var/lib/docker") && !others.contains("/var/lib/containerd"),
            "{target}: {others}"
        );
        assert!(!stdout(&out).contains(&far), "{target}: {}", stdout(&out));
        if target == "/var/lib" {
            let warnings = chain["warnings"].to_string();
            assert!(warnings.contains("symlink loop"), "{warnings}");
        }
    }
}
