//! containerd inventories: the live API reader against the lab's real
//! containerds, the offline blob reader against the same roots, and the
//! offline reader against generated content stores.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use imgdup::host::root::HostRoot;
use imgdup::inventory::containerd_api::read_containerd_api;
use imgdup::inventory::containerd_blobs::read_containerd_blobs;
use imgdup::inventory::layer_key;
use imgdup::inventory::{Image, InventoryError, StoreInventory, chain_ids};
use sha2::{Digest, Sha256};
use testkit::lab::Scenario;

const MIB: u64 = 1 << 20;
const K3S_SOCK: &str = "/run/k3s/containerd/containerd.sock";
const K3S_ROOT: &str = "/var/lib/rancher/k3s/agent/containerd";
const SYS_SOCK: &str = "/run/containerd/containerd.sock";
const SYS_ROOT: &str = "/var/lib/containerd";
const BLOBS: &str = "io.containerd.content.v1.content/blobs/sha256";

fn host(s: &Scenario) -> HostRoot {
    HostRoot::new(s.get("ROOT"))
}

fn diff_ids(s: &Scenario, name: &str) -> Vec<String> {
    let key = format!("IMAGE_DIFFIDS_{name}");
    s.get(&key).split_whitespace().map(String::from).collect()
}

async fn live(s: &Scenario, socket: &str, root: &str) -> StoreInventory {
    let ns = ["k8s.io".to_string()];
    let timeout = Duration::from_secs(10);
    read_containerd_api(&host(s), Path::new(socket), root, &ns, timeout)
        .await
        .unwrap_or_else(|e| panic!("{}: live read of {socket}: {e}", s.name))
}

fn image<'a>(inv: &'a StoreInventory, id: &str) -> &'a Image {
    let found: Vec<&Image> = inv.images.iter().filter(|i| i.id == id).collect();
    assert_eq!(found.len(), 1, "image {id} once in {:#?}", inv.images);
    found[0]
}

/// Exactly `names` (state.env keys such as `APP_A`), with the ids, DiffIDs,
/// ChainIDs and blobs the lab recorded.
fn assert_images(s: &Scenario, inv: &StoreInventory, root: &str, names: &[&str]) {
    let want: BTreeSet<String> = names
        .iter()
        .map(|n| s.get(&format!("IMAGE_ID_{n}")).to_string())
        .collect();
    let got: BTreeSet<String> = inv.images.iter().map(|i| i.id.clone()).collect();
    assert_eq!(got, want, "{}: image ids", s.name);
    assert_eq!(inv.images.len(), names.len(), "one image per id");
    for name in names {
        let img = image(inv, s.get(&format!("IMAGE_ID_{name}")));
        assert_eq!(img.diff_ids, diff_ids(s, name), "{name} diff ids");
        assert_eq!(img.chain_ids, chain_ids(&img.diff_ids), "{name} chain ids");
        // manifest + config + one uncompressed layer blob per DiffID, plus at
        // most one index: `ctr import` writes an OCI index blob that no image
        // references, and containerd's GC removes it only a moment later; an
        // offline read that runs first (seen under load) finds it on disk.
        let expected = 2 + img.diff_ids.len();
        assert!(
            (expected..=expected + 1).contains(&img.blobs.len()),
            "{name}: {} blobs, want {expected} (+1 index): {:?}",
            img.blobs.len(),
            img.blobs
        );
        assert!(img.blobs.contains(&img.id), "{name}: config among blobs");
        for diff in &img.diff_ids {
            assert!(img.blobs.contains(diff), "{name}: layer blob {diff}");
        }
        for blob in &img.blobs {
            let on_disk = &inv.blobs[blob];
            let hex = blob.strip_prefix("sha256:").unwrap();
            assert_eq!(
                on_disk.path.as_deref(),
                Some(format!("{root}/{BLOBS}/{hex}").as_str())
            );
            assert!(on_disk.disk_bytes > 0, "{blob} occupies blocks");
        }
    }
}

/// Within 1% + 8 KiB of `want` (tar headers, directory blocks).
fn assert_near(what: &str, got: u64, want: u64) {
    let slack = want / 100 + 8 * 1024;
    assert!(
        got.abs_diff(want) <= slack,
        "{what}: {got} bytes, want {want} ± {slack}"
    );
}

/// The 3 MiB layer of app-a: packed blob and unpacked snapshot.
fn assert_app_a_bytes(s: &Scenario, inv: &StoreInventory) {
    let img = image(inv, s.get("IMAGE_ID_APP_A"));
    let top = &img.diff_ids[1];
    assert_near("app-a 3 MiB blob", inv.blobs[top].disk_bytes, 3 * MIB);
    let key = layer_key(Some("k8s.io"), &img.chain_ids[1]);
    let layer = inv
        .layers
        .get(&key)
        .unwrap_or_else(|| panic!("no layer {key}"));
    assert_eq!(layer.path, None, "the snapshot id is not in the API");
    assert_near("app-a 3 MiB snapshot", layer.disk_bytes, 3 * MIB);
    eprintln!(
        "{}: app-a top blob {} B, snapshot usage {} B, base snapshot {} B",
        s.name,
        inv.blobs[top].disk_bytes,
        layer.disk_bytes,
        inv.layers[&layer_key(Some("k8s.io"), &img.chain_ids[0])].disk_bytes
    );
}

fn assert_live(s: &Scenario, inv: &StoreInventory, root: &str, names: &[&str]) {
    assert_images(s, inv, root, names);
    assert!(inv.gaps.is_empty(), "{}: gaps {:?}", s.name, inv.gaps);
    for img in &inv.images {
        assert_eq!(img.namespace.as_deref(), Some("k8s.io"));
        // The CRI plugin's `sha256:<id>` ref is merged, never a tag.
        assert!(
            img.tags.iter().all(|t| !t.starts_with("sha256:")),
            "{:?}",
            img.tags
        );
        for chain in &img.chain_ids {
            assert!(inv.layers.contains_key(&layer_key(Some("k8s.io"), chain)));
        }
    }
    let app_a = image(inv, s.get("IMAGE_ID_APP_A"));
    assert_eq!(app_a.tags, vec!["imgdup.test/app-a:1".to_string()]);
    assert!(
        app_a.repo_digests.is_empty(),
        "ctr import records no repo digest"
    );
    assert_app_a_bytes(s, inv);
}

/// The offline read of the same root: same ids, DiffIDs and blob bytes;
/// no tags, namespaces or layers, and one gap saying so.
fn assert_offline_matches(s: &Scenario, root: &str, live: &StoreInventory, names: &[&str]) {
    let inv = read_containerd_blobs(&host(s), root)
        .unwrap_or_else(|e| panic!("{}: offline read of {root}: {e}", s.name));
    assert_images(s, &inv, root, names);
    for img in &inv.images {
        assert!(img.tags.is_empty() && img.namespace.is_none());
        let live_img = image(live, &img.id);
        let mut want = live_img.blobs.clone();
        let mut got = img.blobs.clone();
        want.sort();
        got.sort();
        assert_eq!(got, want, "{}: same blobs offline", img.id);
    }
    assert!(inv.layers.is_empty() && inv.containers.is_empty());
    assert_eq!(inv.gaps.len(), 1, "{:?}", inv.gaps);
    assert!(inv.gaps[0].contains(root) && inv.gaps[0].contains("meta.db"));
    for (digest, on_disk) in &live.blobs {
        assert_eq!(inv.blobs.get(digest), Some(on_disk), "{digest}");
    }
}

#[tokio::test]
async fn two_containerds_live_and_offline() {
    let s = Scenario::up("two-containerds");
    let k3s = live(&s, K3S_SOCK, K3S_ROOT).await;
    assert_live(&s, &k3s, K3S_ROOT, &["APP_A"]);
    assert_offline_matches(&s, K3S_ROOT, &k3s, &["APP_A"]);

    let sys = live(&s, SYS_SOCK, SYS_ROOT).await;
    assert_live(&s, &sys, SYS_ROOT, &["APP_A", "APP_B"]);
    assert_offline_matches(&s, SYS_ROOT, &sys, &["APP_A", "APP_B"]);
    let base = &diff_ids(&s, "BASE")[0];
    assert!(sys.layers.contains_key(&layer_key(Some("k8s.io"), base)));
}

#[tokio::test]
async fn runtime_switch_live_k3s_and_orphan_root() {
    let s = Scenario::up("runtime-switch");
    let k3s = live(&s, K3S_SOCK, K3S_ROOT).await;
    assert_live(&s, &k3s, K3S_ROOT, &["APP_A", "RUNNER"]);
    assert_offline_matches(&s, K3S_ROOT, &k3s, &["APP_A", "RUNNER"]);
    // Docker 20.10 on overlay2 kept its images out of this containerd: the
    // orphan root holds no blob, which is an empty inventory, not an error.
    let orphan = read_containerd_blobs(&host(&s), SYS_ROOT).expect("orphan root");
    assert!(
        orphan.images.is_empty() && orphan.blobs.is_empty(),
        "{orphan:#?}"
    );
    assert_eq!(orphan.gaps.len(), 1);
}

#[tokio::test]
async fn dead_socket_names_the_socket() {
    let dir = tempfile::tempdir().unwrap();
    let ns = ["k8s.io".to_string()];
    let socket = Path::new("/run/containerd/containerd.sock");
    let err = read_containerd_api(
        &HostRoot::new(dir.path()),
        socket,
        SYS_ROOT,
        &ns,
        Duration::from_secs(1),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, InventoryError::Runtime(_)), "{err:?}");
    assert!(
        err.to_string().contains("/run/containerd/containerd.sock"),
        "{err}"
    );
}

// ---- offline reader on generated content stores ----

/// Writes `bytes` as a blob under `<dir>/var/lib/containerd` and returns its digest.
fn put(dir: &Path, bytes: &[u8]) -> String {
    let hex = format!("{:x}", Sha256::digest(bytes));
    put_as(dir, &hex, bytes);
    format!("sha256:{hex}")
}

fn put_as(dir: &Path, hex: &str, bytes: &[u8]) {
    let blobs = dir.join("var/lib/containerd").join(BLOBS);
    std::fs::create_dir_all(&blobs).unwrap();
    std::fs::write(blobs.join(hex), bytes).unwrap();
}

fn manifest(config: &str, layers: &[&str]) -> Vec<u8> {
    let layers: Vec<_> = layers
        .iter()
        .map(|d| serde_json::json!({"mediaType": "application/vnd.docker.image.rootfs.diff.tar", "digest": d, "size": 1}))
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "digest": config, "size": 1},
        "layers": layers,
    }))
    .unwrap()
}

#[test]
fn offline_reads_generated_blobs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let layer = put(d, &vec![7u8; 20_000]);
    let config = put(
        d,
        serde_json::json!({"os": "linux", "rootfs": {"type": "layers", "diff_ids": [layer]}})
            .to_string()
            .as_bytes(),
    );
    let good = put(d, &manifest(&config, &[&layer]));
    let missing_arm = format!("sha256:{}", "a".repeat(64));
    let index = put(
        d,
        serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [
                {"digest": missing_arm, "platform": {"os": "linux", "architecture": "arm64"}},
                {"digest": good, "platform": {"os": "linux", "architecture": "amd64"}},
            ],
        })
        .to_string()
        .as_bytes(),
    );
    let no_config = format!("sha256:{}", "c".repeat(64));
    let orphan = put(d, &manifest(&no_config, &[&layer]));
    let no_layer = format!("sha256:{}", "d".repeat(64));
    let config2 = put(
        d,
        serde_json::json!({"rootfs": {"diff_ids": [no_layer]}})
            .to_string()
            .as_bytes(),
    );
    let half = put(d, &manifest(&config2, &[&no_layer]));
    let good_text = manifest(&config, &[&layer]);
    put_as(d, &"e".repeat(64), &good_text[..good_text.len() / 2]); // truncated
    put_as(d, &"f".repeat(64), b"{\"schemaVersion\": 2, \xff\xfe}"); // not UTF-8
    put_as(d, &"0".repeat(64), b"{{{ garbage");
    put_as(d, "not-a-digest", b"{}");

    let inv = read_containerd_blobs(&HostRoot::new(d), "/var/lib/containerd").unwrap();
    let ids: Vec<&str> = inv.images.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    let img = image(&inv, &config);
    assert_eq!(img.diff_ids, vec![layer.clone()]);
    assert_eq!(img.chain_ids, vec![layer.clone()]);
    assert_eq!(
        img.blobs,
        vec![index.clone(), good.clone(), config.clone(), layer.clone()]
    );
    assert!(img.tags.is_empty() && img.namespace.is_none());
    // Every file that is a blob has an entry (10), measured in blocks.
    assert_eq!(inv.blobs.len(), 10, "{:?}", inv.blobs.keys());
    let hex = layer.strip_prefix("sha256:").unwrap();
    let on_disk = &inv.blobs[&layer];
    assert_eq!(
        on_disk.path.as_deref(),
        Some(format!("/var/lib/containerd/{BLOBS}/{hex}").as_str())
    );
    assert!(on_disk.disk_bytes >= 20_000, "{on_disk:?}");
    // Gaps: the offline note, the missing config, the missing layer, the
    // three JSON-looking blobs that do not hash to their names; not the
    // index's arm64 child (containerd fetches one platform).
    assert_eq!(inv.gaps.len(), 6, "{:#?}", inv.gaps);
    for hex in ["e", "f", "0"].map(|c| c.repeat(64)) {
        assert!(
            inv.gaps
                .iter()
                .any(|g| g.contains(&hex) && g.contains("does not match its digest")),
            "{hex}: {:#?}",
            inv.gaps
        );
    }
    let half_image = image(&inv, &config2);
    let no_layer_hex = no_layer.trim_start_matches("sha256:");
    assert!(
        half_image.missing.len() == 1 && half_image.missing[0].contains(no_layer_hex),
        "{:?}",
        half_image.missing
    );
    assert!(img.missing.is_empty());
    assert!(inv.gaps[0].contains("meta.db"));
    assert!(
        inv.gaps
            .iter()
            .any(|g| g.contains(&orphan) && g.contains(&no_config))
    );
    assert!(
        inv.gaps
            .iter()
            .any(|g| g.contains(&half) && g.contains(&no_layer))
    );
    assert!(!inv.gaps.iter().any(|g| g.contains(&missing_arm)));
}

#[test]
fn offline_missing_root_is_an_error_and_empty_root_is_empty() {
    let dir = tempfile::tempdir().unwrap();
    let host = HostRoot::new(dir.path());
    let err = read_containerd_blobs(&host, "/var/lib/containerd").unwrap_err();
    assert!(err.to_string().contains("/var/lib/containerd"), "{err}");
    std::fs::create_dir_all(dir.path().join("var/lib/containerd")).unwrap();
    let inv = read_containerd_blobs(&host, "/var/lib/containerd").unwrap();
    assert!(inv.images.is_empty() && inv.blobs.is_empty());
    assert_eq!(inv.gaps.len(), 1);
}
