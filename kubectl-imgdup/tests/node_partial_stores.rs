//! Half-written offline stores through `kubectl imgdup node --local -o json`:
//! a Docker layer without its `size`, a truncated image config, a missing
//! containerd layer blob. The store says `partial` and names the path; the
//! damaged image is neither a duplicate nor reclaimable; the rest stands.

use std::path::{Path, PathBuf};

use serde_json::Value;
use testkit::gen_store::{CONTAINERD_ROOT, DOCKER_ROOT, Options, generate};
use testkit::host_dir::HostDir;

use crate::util::*;

/// A generated node where every Docker image is also in containerd.
fn node() -> (HostDir, Vec<imgdup::inventory::Image>) {
    let host = HostDir::new();
    let opts = Options {
        out: host.root().to_path_buf(),
        images: 6,
        dup_ratio: 1.0,
        seed: 3,
        layer_bytes: 2048,
    };
    generate(&opts).unwrap();
    let root = imgdup::host::root::HostRoot::new(host.root());
    let (_, inv) =
        imgdup::inventory::docker_files::read_docker_root(&root, "/var/lib/docker").unwrap();
    (host, inv.images)
}

fn layerdb_entry(host: &HostDir, chain: &str) -> PathBuf {
    host.path(&format!(
        "/{DOCKER_ROOT}/image/overlay2/layerdb/sha256/{}",
        chain.trim_start_matches("sha256:")
    ))
}

fn blob(host: &HostDir, digest: &str) -> PathBuf {
    host.path(&format!(
        "/{CONTAINERD_ROOT}/io.containerd.content.v1.content/blobs/sha256/{}",
        digest.trim_start_matches("sha256:")
    ))
}

fn finding<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {:#}", report["images"]))
}

fn host_path(host: &HostDir, local: &Path) -> String {
    format!("/{}", local.strip_prefix(host.root()).unwrap().display())
}

#[test]
fn damaged_copies_are_partial_named_and_never_counted() {
    let (host, images) = node();
    // Every image ends in a layer of its own, so each damage hits one image.
    let (size_gone, config_cut, blob_gone) = (&images[0], &images[1], &images[2]);
    let entry = layerdb_entry(&host, size_gone.chain_ids.last().unwrap());
    std::fs::remove_file(entry.join("size")).unwrap();
    let config = host.path(&format!(
        "/{DOCKER_ROOT}/image/overlay2/imagedb/content/sha256/{}",
        config_cut.id.trim_start_matches("sha256:")
    ));
    let bytes = std::fs::read(&config).unwrap();
    std::fs::write(&config, &bytes[..bytes.len() / 2]).unwrap();
    let lost_blob = blob(&host, blob_gone.diff_ids.last().unwrap());
    std::fs::remove_file(&lost_blob).unwrap();

    let (out, _) = node_on(&host, &["-o", "json"]);
    assert_exit(&out, 0);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let docker = store(&report, "dockerd", "/var/lib/docker");
    let containerd = store(
        &report,
        "containerd",
        "/var/lib/rancher/k3s/agent/containerd",
    );
    for (s, path) in [
        (docker, format!("{}/size", host_path(&host, &entry))),
        (docker, host_path(&host, &config)),
        (containerd, host_path(&host, &lost_blob)),
    ] {
        assert_eq!(s["partial"], true);
        let gaps = s["gaps"].to_string();
        assert!(gaps.contains(&path), "no gap naming {path}: {gaps}");
    }

    // Docker's copy lost a layer: not a duplicate, nothing to reclaim.
    let f = finding(&report, &size_gone.id);
    assert_ne!(f["verdict"], "duplicate", "{f:#}");
    assert_eq!(f["reclaimableBytes"], 0);
    assert_eq!(
        f["incompleteIn"],
        serde_json::json!(["dockerd:/var/lib/docker"])
    );
    // containerd's copy lost a layer blob: the same.
    let f = finding(&report, &blob_gone.id);
    assert_ne!(f["verdict"], "duplicate", "{f:#}");
    assert_eq!(f["reclaimableBytes"], 0);
    assert_eq!(
        f["incompleteIn"],
        serde_json::json!(["containerd:/var/lib/rancher/k3s/agent/containerd"])
    );
    // A truncated config is no Docker image at all: containerd's copy stands alone.
    let f = finding(&report, &config_cut.id);
    assert_eq!(f["stores"].as_array().unwrap().len(), 1, "{f:#}");
    assert_ne!(f["verdict"], "duplicate");
    // The untouched images stay duplicates, each freeing its own layer.
    for image in &images[3..] {
        let f = finding(&report, &image.id);
        assert_eq!(f["verdict"], "duplicate", "{f:#}");
        assert!(f["reclaimableBytes"].as_u64().unwrap() > 0, "{f:#}");
        assert!(f["incompleteIn"].as_array().unwrap().is_empty());
    }
    assert!(report["reclaimableBytes"].as_u64().unwrap() > 0);
    assert_eq!(report["verdict"], "duplicate");
}

/// Issue 18: a store whose files cannot be read at all is a gap naming the
/// path, with the OS's cause said once (the error keeps it in `source`; the
/// gap is the joined chain).
#[test]
fn an_unreadable_content_store_is_a_gap_that_says_its_cause_once() {
    let (host, _) = node();
    let root = "/var/lib/rancher/k3s/agent/containerd";
    let sha256 = format!("{root}/io.containerd.content.v1.content/blobs/sha256");
    let local = host.root().join(sha256.trim_start_matches('/'));
    std::fs::remove_dir_all(&local).unwrap();
    std::fs::write(&local, "").unwrap();
    let (out, _) = node_on(&host, &["-o", "json"]);
    let report: Value = serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", testkit::cmd::stderr(&out)));
    let store = report["stores"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["path"] == root)
        .unwrap_or_else(|| panic!("no {root} store: {:#}", report["stores"]));
    let gaps: Vec<&str> = store["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|g| g.as_str())
        .collect();
    let want = format!(
        "cannot read {sha256} (run as root to read containerd's content store): Not a directory (os error 20)"
    );
    assert!(gaps.contains(&want.as_str()), "{gaps:#?}");
    assert_eq!(
        gaps.join("\n").matches("Not a directory").count(),
        1,
        "{gaps:#?}"
    );
}

/// Issue 18: a config that cannot be read is one warning naming the file,
/// with its cause said once (k3s's config was warned once per chain).
#[test]
fn an_unreadable_config_is_a_warning_that_says_its_cause_once() {
    let (host, _) = node();
    for config in [
        "etc/rancher/k3s/config.yaml",
        "etc/containerd/config.toml",
        "etc/docker/daemon.json",
    ] {
        let local = host.root().join(config);
        let _ = std::fs::remove_file(&local);
        std::fs::create_dir_all(&local).unwrap();
    }
    let (out, _) = node_on(&host, &["-o", "json"]);
    let report: Value = serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", testkit::cmd::stderr(&out)));
    assert_eq!(
        report["chain"]["warnings"],
        serde_json::json!([
            "cannot read /etc/containerd/config.toml: not a regular file (a directory); not read",
            "cannot read /etc/docker/daemon.json: not a regular file (a directory); not read",
            "cannot read /etc/rancher/k3s/config.yaml: not a regular file (a directory); not read",
        ]),
        "each file once, each cause once"
    );
}
