//! A whole offline containerd content store with blobs missing or cut short
//! ([`crate::inventory::containerd_blobs::read_containerd_blobs`]): images
//! are listed only from intact manifests and configs, and an image missing
//! a layer blob says so instead of being counted whole.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::host::root::HostRoot;
use crate::inventory::containerd_blobs::{CONTENT_DIR, read_containerd_blobs};

/// Layers (by pool index) of each image; layer 0 is shared.
const IMAGES: [&[usize]; 3] = [&[0], &[0, 1], &[2, 3]];

/// Writes `bytes` as a blob; returns its digest.
fn put(blobs: &Path, bytes: &[u8]) -> String {
    let hex = format!("{:x}", Sha256::digest(bytes));
    fs::write(blobs.join(&hex), bytes).unwrap();
    format!("sha256:{hex}")
}

pub(super) struct Written {
    pub blobs: PathBuf,
    pub layers: Vec<String>,
    /// Per image: (manifest, config, DiffIDs).
    pub images: Vec<(String, String, Vec<String>)>,
}

pub(super) fn write_store(root: &Path) -> Written {
    let blobs = root.join(CONTENT_DIR).join("blobs/sha256");
    fs::create_dir_all(&blobs).unwrap();
    // Uncompressed "layers": the DiffID is the blob's own digest.
    let layers: Vec<String> = (0..4u8)
        .map(|n| put(&blobs, &[b'L', n, 0, 0, 0, 0, 0, 0]))
        .collect();
    let images = IMAGES
        .iter()
        .map(|ls| {
            let diffs: Vec<String> = ls.iter().map(|l| layers[*l].clone()).collect();
            let config = serde_json::to_vec(&json!({"os": "linux", "rootfs": {"type": "layers", "diff_ids": diffs}})).unwrap();
            let config = put(&blobs, &config);
            let descriptors: Vec<_> = diffs
                .iter()
                .map(|d| json!({"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": d, "size": 8}))
                .collect();
            let manifest = json!({
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": 1},
                "layers": descriptors,
            });
            let manifest = put(&blobs, &serde_json::to_vec(&manifest).unwrap());
            (manifest, config, diffs)
        })
        .collect();
    Written {
        blobs,
        layers,
        images,
    }
}

#[derive(Debug, Clone)]
enum Damage {
    RemoveLayer(prop::sample::Index),
    RemoveConfig(usize),
    TruncateConfig(usize, prop::sample::Index),
    RemoveManifest(usize),
    TruncateManifest(usize, prop::sample::Index),
}

fn damage() -> impl Strategy<Value = Damage> {
    let image = 0..IMAGES.len();
    let at = any::<prop::sample::Index>();
    prop_oneof![
        at.clone().prop_map(Damage::RemoveLayer),
        image.clone().prop_map(Damage::RemoveConfig),
        (image.clone(), at.clone()).prop_map(|(i, a)| Damage::TruncateConfig(i, a)),
        image.clone().prop_map(Damage::RemoveManifest),
        (image, at).prop_map(|(i, a)| Damage::TruncateManifest(i, a)),
    ]
}

fn file(w: &Written, digest: &str) -> PathBuf {
    w.blobs.join(digest.trim_start_matches("sha256:"))
}

fn truncate(path: &Path, at: &prop::sample::Index) {
    if let Ok(bytes) = fs::read(path) {
        fs::write(path, &bytes[..at.index(bytes.len().max(1))]).unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn a_damaged_content_store_lists_only_what_it_can_prove(damages in prop::collection::vec(damage(), 0..4)) {
        let dir = tempfile::tempdir().unwrap();
        let w = write_store(&dir.path().join("var/lib/containerd"));
        let (mut lost_layers, mut lost_configs, mut lost_manifests) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
        for d in &damages {
            match d {
                Damage::RemoveLayer(at) => {
                    let layer = at.get(&w.layers);
                    let _ = fs::remove_file(file(&w, layer));
                    lost_layers.insert(layer.clone());
                }
                Damage::RemoveConfig(i) => {
                    let _ = fs::remove_file(file(&w, &w.images[*i].1));
                    lost_configs.insert(*i);
                }
                Damage::TruncateConfig(i, at) => {
                    truncate(&file(&w, &w.images[*i].1), at);
                    lost_configs.insert(*i);
                }
                Damage::RemoveManifest(i) => {
                    let _ = fs::remove_file(file(&w, &w.images[*i].0));
                    lost_manifests.insert(*i);
                }
                Damage::TruncateManifest(i, at) => {
                    truncate(&file(&w, &w.images[*i].0), at);
                    lost_manifests.insert(*i);
                }
            }
        }
        let inv = read_containerd_blobs(&HostRoot::new(dir.path()), "/var/lib/containerd").unwrap();
        let gaps = inv.gaps.join("\n");
        for (n, (_, config, diffs)) in w.images.iter().enumerate() {
            let listed = inv.images.iter().find(|i| i.id == *config);
            if lost_manifests.contains(&n) || lost_configs.contains(&n) {
                prop_assert!(listed.is_none(), "image {n} listed without its manifest or config");
                if !lost_manifests.contains(&n) {
                    prop_assert!(gaps.contains(config.trim_start_matches("sha256:")), "{gaps}");
                }
                continue;
            }
            let image = listed.expect("an intact image is listed");
            prop_assert_eq!(&image.diff_ids, diffs);
            let lost: Vec<&String> = diffs.iter().filter(|d| lost_layers.contains(*d)).collect();
            prop_assert_eq!(image.missing.is_empty(), lost.is_empty(), "{:?}", image.missing);
            for layer in lost {
                let hex = layer.trim_start_matches("sha256:");
                prop_assert!(image.missing.iter().any(|m| m.contains(hex)), "{:?}", image.missing);
                prop_assert!(gaps.contains(hex), "{gaps}");
            }
        }
    }
}
