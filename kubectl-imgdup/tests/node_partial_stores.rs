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
