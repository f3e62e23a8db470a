//! A whole offline Docker data root, damaged at random the ways a crash or
//! a full disk leaves one ([`crate::inventory::docker_files::read_docker_root`]),
//! then judged beside an intact copy of every image: the reader never
//! fails or invents a value, and the judge never calls a damaged copy a
//! duplicate nor counts it as reclaimable.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::host::root::HostRoot;
use crate::inventory::docker_files::read_docker_root;
use crate::inventory::{Image, OnDisk, StoreInventory, chain_ids};
use crate::judge::verdict::judge;
use crate::model::image_finding::Verdict;
use crate::model::store::{Store, StoreRuntime};

/// Layers (by pool index) of each image: two share a base, one stacks on
/// another's layers, one stands alone.
const IMAGES: [&[u8]; 4] = [&[0], &[0, 1], &[0, 1, 2], &[2]];

fn hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// What goes wrong in one store.
#[derive(Debug, Clone)]
enum Damage {
    /// The imagedb config cut short (a crash mid-write).
    TruncateConfig(usize, prop::sample::Index),
    GarbleConfig(usize, Vec<u8>),
    /// A layerdb entry's `diff`, `size` or `cache-id` gone or garbled.
    RemoveEntryFile(prop::sample::Index, &'static str),
    GarbleEntryFile(prop::sample::Index, &'static str, String),
    RemoveEntry(prop::sample::Index),
    RemoveLayerDir(prop::sample::Index),
    GarbleRepositories(Vec<u8>),
}

fn damage() -> impl Strategy<Value = Damage> {
    let image = 0..IMAGES.len();
    let file = prop::sample::select(vec!["diff", "size", "cache-id"]);
    prop_oneof![
        (image.clone(), any::<prop::sample::Index>())
            .prop_map(|(i, at)| Damage::TruncateConfig(i, at)),
        (image, super::bytes(64)).prop_map(|(i, b)| Damage::GarbleConfig(i, b)),
        (any::<prop::sample::Index>(), file.clone())
            .prop_map(|(e, f)| Damage::RemoveEntryFile(e, f)),
        (any::<prop::sample::Index>(), file, "x[ a-z]{0,8}")
            .prop_map(|(e, f, t)| Damage::GarbleEntryFile(e, f, t)),
        any::<prop::sample::Index>().prop_map(Damage::RemoveEntry),
        any::<prop::sample::Index>().prop_map(Damage::RemoveLayerDir),
        super::bytes(64).prop_map(Damage::GarbleRepositories),
    ]
}

/// The store as written: image ids, their DiffIDs, and every layerdb entry.
struct Written {
    ids: Vec<String>,
    diff_ids: Vec<Vec<String>>,
    /// ChainID → (layerdb entry, layer dir), local paths.
    entries: Vec<(String, PathBuf, PathBuf)>,
}

fn write_store(docker: &Path) -> Written {
    let image_dir = docker.join("image/overlay2");
    let layerdb = image_dir.join("layerdb/sha256");
    let imagedb = image_dir.join("imagedb/content/sha256");
    fs::create_dir_all(&imagedb).unwrap();
    let pool: Vec<String> = (0..3u8).map(|n| format!("sha256:{}", hex(&[n]))).collect();
    let mut written = Written {
        ids: Vec::new(),
        diff_ids: Vec::new(),
        entries: Vec::new(),
    };
    let mut repos = serde_json::Map::new();
    for (n, layers) in IMAGES.iter().enumerate() {
        let diffs: Vec<String> = layers.iter().map(|l| pool[*l as usize].clone()).collect();
        for (chain, diff) in chain_ids(&diffs).into_iter().zip(&diffs) {
            if written.entries.iter().any(|(c, _, _)| *c == chain) {
                continue;
            }
            let entry = layerdb.join(chain.trim_start_matches("sha256:"));
            let cache = format!("cache-{}", written.entries.len());
            let dir = docker.join("overlay2").join(&cache);
            fs::create_dir_all(&entry).unwrap();
            fs::create_dir_all(dir.join("diff")).unwrap();
            fs::write(entry.join("diff"), diff).unwrap();
            fs::write(entry.join("size"), "100").unwrap();
            fs::write(entry.join("cache-id"), &cache).unwrap();
            fs::write(dir.join("diff/f"), [7u8; 100]).unwrap();
            written.entries.push((chain, entry, dir));
        }
        let config = serde_json::to_vec(
            &json!({"os": "linux", "rootfs": {"type": "layers", "diff_ids": diffs}}),
        )
        .unwrap();
        let id = hex(&config);
        fs::write(imagedb.join(&id), &config).unwrap();
        repos.insert(
            format!("r/{n}"),
            json!({format!("r/{n}:1"): format!("sha256:{id}")}),
        );
        written.ids.push(format!("sha256:{id}"));
        written.diff_ids.push(diffs);
    }
    let repos = serde_json::to_vec(&json!({"Repositories": repos})).unwrap();
    fs::write(image_dir.join("repositories.json"), repos).unwrap();
    written
}

/// Applies the damage; returns the images whose config broke and the
/// ChainIDs whose layer no longer backs its images.
fn apply(docker: &Path, w: &Written, damages: &[Damage]) -> (BTreeSet<usize>, BTreeSet<String>) {
    let imagedb = docker.join("image/overlay2/imagedb/content/sha256");
    let config = |i: usize| imagedb.join(w.ids[i].trim_start_matches("sha256:"));
    let (mut configs, mut layers) = (BTreeSet::new(), BTreeSet::new());
    for d in damages {
        match d {
            Damage::TruncateConfig(i, at) => {
                let bytes = fs::read(config(*i)).unwrap_or_default();
                fs::write(config(*i), &bytes[..at.index(bytes.len().max(1))]).unwrap();
                configs.insert(*i);
            }
            Damage::GarbleConfig(i, bytes) => {
                fs::write(config(*i), bytes).unwrap();
                configs.insert(*i);
            }
            Damage::RemoveEntryFile(e, file) | Damage::GarbleEntryFile(e, file, _) => {
                let (chain, entry, _) = e.get(&w.entries);
                let _ = fs::remove_file(entry.join(file));
                if let Damage::GarbleEntryFile(_, _, text) = d {
                    fs::create_dir_all(entry).unwrap();
                    fs::write(entry.join(file), text).unwrap();
                }
                layers.insert(chain.clone());
            }
            Damage::RemoveEntry(e) => {
                let (chain, entry, _) = e.get(&w.entries);
                let _ = fs::remove_dir_all(entry);
                layers.insert(chain.clone());
            }
            Damage::RemoveLayerDir(e) => {
                let (chain, _, dir) = e.get(&w.entries);
                let _ = fs::remove_dir_all(dir);
                layers.insert(chain.clone());
            }
            Damage::GarbleRepositories(bytes) => {
                fs::write(docker.join("image/overlay2/repositories.json"), bytes).unwrap();
            }
        }
    }
    (configs, layers)
}

fn store(id: &str, runtime: StoreRuntime, live: bool, active: bool) -> Store {
    crate::judge::verdict::tests::store(id, runtime, id, live, active)
}

/// The active store: an intact copy of every image.
fn intact(w: &Written) -> StoreInventory {
    let mut inv = StoreInventory::default();
    for (id, diffs) in w.ids.iter().zip(&w.diff_ids) {
        let image = Image::from_config(id.clone(), diffs.clone());
        for chain in &image.chain_ids {
            let on_disk = OnDisk {
                path: None,
                disk_bytes: 4096,
            };
            inv.layers.insert(chain.clone(), on_disk);
        }
        inv.images.push(image);
    }
    inv
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn a_damaged_store_gives_gaps_and_no_wrong_verdict(damages in prop::collection::vec(damage(), 0..4)) {
        let dir = tempfile::tempdir().unwrap();
        let docker = dir.path().join("var/lib/docker");
        let w = write_store(&docker);
        let (bad_configs, bad_layers) = apply(&docker, &w, &damages);
        let (_, inv) = read_docker_root(&HostRoot::new(dir.path()), "/var/lib/docker").unwrap();

        let gaps = inv.gaps.join("\n");
        for (n, id) in w.ids.iter().enumerate() {
            let listed = inv.images.iter().find(|i| i.id == *id);
            if bad_configs.contains(&n) {
                prop_assert!(listed.is_none(), "a broken config is skipped, not guessed");
                prop_assert!(gaps.contains(id.trim_start_matches("sha256:")), "{gaps}");
                continue;
            }
            let image = listed.expect("an intact config is listed");
            prop_assert_eq!(&image.diff_ids, &w.diff_ids[n], "DiffIDs come from the config only");
            let damaged: Vec<&String> = image.chain_ids.iter().filter(|c| bad_layers.contains(*c)).collect();
            prop_assert_eq!(image.missing.is_empty(), damaged.is_empty(), "{:?} vs {:?}", image.missing, damaged);
            for chain in damaged {
                prop_assert!(gaps.contains(chain.trim_start_matches("sha256:")), "no gap for {chain}:\n{gaps}");
            }
        }
        for (chain, _, _) in w.entries.iter().filter(|(c, _, _)| !bad_layers.contains(c)) {
            prop_assert!(inv.layers.contains_key(chain), "intact layer {chain} is counted");
        }
        prop_assert_eq!(inv.gaps.is_empty(), damages.is_empty());

        // Judged beside an active store holding every image intact.
        let stores = [
            store("containerd:/active", StoreRuntime::Containerd, true, true),
            store("dockerd:/var/lib/docker", StoreRuntime::Dockerd, false, false),
        ];
        let j = judge(&stores, &[intact(&w), inv.clone()]);
        for finding in &j.images {
            let copy = inv.images.iter().find(|i| i.id == finding.id);
            match copy {
                Some(c) if c.missing.is_empty() => {
                    prop_assert_eq!(finding.verdict, Verdict::Duplicate);
                    prop_assert!(finding.incomplete_in.is_empty());
                }
                Some(_) => {
                    prop_assert_ne!(finding.verdict, Verdict::Duplicate, "{:?}", finding);
                    prop_assert_eq!(finding.reclaimable_bytes, 0);
                    prop_assert!(finding.removals.is_empty());
                    prop_assert_eq!(&finding.incomplete_in, &vec![stores[1].id.clone()]);
                    prop_assert!(finding.reason.contains("incomplete"), "{}", finding.reason);
                }
                None => prop_assert_eq!(finding.verdict, Verdict::Ok),
            }
        }
    }
}
