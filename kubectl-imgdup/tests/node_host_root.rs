//! Symlink tricks in the host root: `/var/lib/docker` (or containerd's
//! root, or a config) pointing outside `--host-root`, at `/`, through `..`,
//! or round in a loop. `node --local` must read nothing outside the root,
//! and answer with a report, never a panic.

use testkit::gen_store::{CONTAINERD_ROOT, DOCKER_ROOT, Options, generate};
use testkit::host_dir::HostDir;

use crate::util::*;

/// A complete node root *outside* the host root under test, and the ids
/// of its images: if any of them shows up, the scan escaped.
fn outside_store() -> (HostDir, Vec<String>) {
    let outside = HostDir::new();
    let opts = Options {
        out: outside.root().to_path_buf(),
        images: 4,
        dup_ratio: 0.5,
        seed: 8,
        layer_bytes: 512,
    };
    generate(&opts).unwrap();
    let host = imgdup::host::root::HostRoot::new(outside.root());
    let (_, inv) =
        imgdup::inventory::docker_files::read_docker_root(&host, "/var/lib/docker").unwrap();
    let ids: Vec<String> = inv.images.iter().map(|i| i.id.clone()).collect();
    assert_eq!(ids.len(), 4);
    (outside, ids)
}

/// Scans `host` and asserts a clean report that mentions none of `ids`.
#[track_caller]
fn assert_nothing_read_from_outside(
    host: &HostDir,
    outside: &HostDir,
    ids: &[String],
) -> serde_json::Value {
    let (out, _) = node_on(host, &["-o", "json"]);
    let text = stdout(&out);
    let err = testkit::cmd::stderr(&out);
    assert!(
        matches!(out.status.code(), Some(0 | 4)),
        "{:?}\n{text}\n{err}",
        out.status
    );
    assert!(!err.contains("panicked"), "{err}");
    let report: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}\n{err}"));
    for id in ids {
        let hex = id.trim_start_matches("sha256:");
        assert!(
            !text.contains(hex),
            "image {id} from outside the root was read:\n{text}"
        );
    }
    let outside_path = outside.root().display().to_string();
    for store in report["stores"].as_array().unwrap() {
        assert_eq!(store["images"], 0, "{store:#}");
        assert!(
            !store["path"].as_str().unwrap().contains(&outside_path),
            "{store:#}"
        );
    }
    report
}

#[test]
fn the_outside_store_is_found_when_it_is_the_root() {
    // The control: the same scan does see these images when allowed to.
    let (outside, ids) = outside_store();
    let (out, _) = node_on(&outside, &["-o", "json"]);
    let text = stdout(&out);
    for id in &ids {
        assert!(text.contains(id.as_str()), "{id} not found:\n{text}");
    }
}

#[test]
fn store_roots_symlinked_outside_at_slash_or_through_dotdot_read_nothing_outside() {
    let (outside, ids) = outside_store();
    let far = outside.root().display().to_string();
    let climb = format!("{}{}", "../".repeat(12), far.trim_start_matches('/'));
    let docker_targets = [
        format!("{far}/{DOCKER_ROOT}"),
        format!("{climb}/{DOCKER_ROOT}"),
        "/".to_string(),
        "/etc".to_string(),
        "../../..".to_string(),
        "/var/lib/docker".to_string(), // itself: a loop
    ];
    for target in docker_targets {
        let host = HostDir::new();
        host.symlink("/var/lib/docker", &target);
        host.symlink(
            &format!("/{CONTAINERD_ROOT}"),
            format!("{far}/{CONTAINERD_ROOT}"),
        );
        let report = assert_nothing_read_from_outside(&host, &outside, &ids);
        // Nothing answers and nothing is on disk: a reason, not `ok`.
        assert_eq!(report["verdict"], "unknown", "{target}: {report:#}");
        assert!(
            report["reason"]
                .as_str()
                .unwrap()
                .starts_with("NoRuntimeFound: ")
        );
        if target == "/var/lib/docker" {
            let warnings = report["chain"]["warnings"].to_string();
            assert!(
                warnings.contains("/var/lib/docker is a symlink loop"),
                "{warnings}"
            );
        }
    }
}

#[test]
fn configs_that_point_outside_are_resolved_inside() {
    let (outside, ids) = outside_store();
    let far = outside.root().display().to_string();
    let host = HostDir::new();
    // daemon.json climbing out with `..`, and a crictl.yaml that is a
    // symlink to the outside node's own crictl.yaml (k3s's socket).
    host.write(
        "/etc/docker/daemon.json",
        &format!(r#"{{"data-root": "/../../../..{far}/{DOCKER_ROOT}"}}"#),
    );
    host.symlink("/etc/crictl.yaml", format!("{far}/etc/crictl.yaml"));
    let report = assert_nothing_read_from_outside(&host, &outside, &ids);
    let config = &report["chain"]["config"];
    assert_eq!(config["loaded"], serde_json::Value::Null, "{config:#}");
    // A crictl.yaml that loops is ignored with a warning, like crictl would.
    let host = HostDir::new();
    host.symlink("/etc/crictl.yaml", "/etc/crictl.yaml");
    let report = assert_nothing_read_from_outside(&host, &outside, &ids);
    let warnings = report["chain"]["warnings"].to_string();
    assert!(warnings.contains("it is a symlink loop"), "{warnings}");
}

/// The node set-up shared with crictl-which (`HostView::open`): a root or
/// procfs that is not there is named with its flag, exit 1, no report.
#[test]
fn a_missing_host_root_or_proc_is_named_with_its_flag() {
    let host = HostDir::new();
    let missing = host.path("/no/such/root");
    let out = cmd()
        .args(["node", "--local", "--host-root"])
        .arg(&missing)
        .run();
    out.assert_exit(1);
    assert_eq!(
        out.stderr().trim(),
        format!(
            "kubectl-imgdup: --host-root {}: no such directory: No such file or directory (os error 2)",
            missing.display()
        )
    );
    let no_proc = host.path("/no/proc");
    let out = cmd()
        .args(["node", "--local", "--host-root"])
        .arg(host.root())
        .arg("--proc")
        .arg(&no_proc)
        .run();
    out.assert_exit(1);
    assert_eq!(
        out.stderr().trim(),
        format!(
            "kubectl-imgdup: cannot read processes from {}; pass --proc: No such file or directory (os error 2)",
            no_proc.display()
        )
    );
    assert!(out.stdout.is_empty(), "{}", out.stdout());
}
