//! A stopped containerd read from its bolt DBs
//! ([`crate::inventory::containerd_offline::read_containerd_root`]): intact
//! files give names, namespace and sized layers with no gap; a truncated or
//! garbage meta.db or metadata.db is a gap naming the file, never a panic
//! and never names or sizes read from it.

use std::fs;
use std::path::Path;

use proptest::prelude::*;

use super::bytes;
use super::containerd_store::{Written, write_store};
use crate::host::bolt::write::{Node, write};
use crate::host::root::HostRoot;
use crate::inventory::chain_ids;
use crate::inventory::containerd_meta::{META_DIR, OVERLAY_DIR};
use crate::inventory::containerd_offline::read_containerd_root;

const ROOT: &str = "var/lib/containerd";

fn bucket(entries: Vec<(String, Node)>) -> Node {
    Node::Bucket(
        entries
            .into_iter()
            .map(|(k, v)| (k.into_bytes(), v))
            .collect(),
    )
}
fn data(v: &[u8]) -> Node {
    Node::Data(v.to_vec())
}

/// meta.db naming image n `app-n:1` in k8s.io, every layer unpacked, and
/// the overlayfs metadata.db with a `snapshots/<id>/fs` per layer.
fn write_bolt(root: &Path, w: &Written) -> (Vec<u8>, Vec<u8>) {
    let mut images = Vec::new();
    let mut keys = std::collections::BTreeMap::new();
    for (n, (manifest, _, diffs)) in w.images.iter().enumerate() {
        let target = bucket(vec![("digest".into(), data(manifest.as_bytes()))]);
        images.push((
            format!("app-{n}:1"),
            bucket(vec![("target".into(), target)]),
        ));
        for chain in chain_ids(diffs) {
            let id = keys.len() as u8 + 1;
            keys.entry(chain).or_insert(id);
        }
    }
    let snaps: Vec<(String, Node)> = keys
        .iter()
        .map(|(chain, id)| {
            let name = bucket(vec![(
                "name".into(),
                data(format!("k8s.io/{id}/{chain}").as_bytes()),
            )]);
            (chain.clone(), name)
        })
        .collect();
    let ns = bucket(vec![
        ("images".into(), bucket(images)),
        (
            "snapshots".into(),
            bucket(vec![("overlayfs".into(), bucket(snaps))]),
        ),
    ]);
    let meta = write(
        &[(b"v1".to_vec(), bucket(vec![("k8s.io".into(), ns)]))],
        4096,
        true,
    );
    let mut backend: Vec<(String, Node)> = Vec::new();
    for (chain, id) in &keys {
        let fs_dir = root.join(OVERLAY_DIR).join(format!("snapshots/{id}/fs"));
        fs::create_dir_all(&fs_dir).unwrap();
        fs::write(fs_dir.join("file"), vec![b'x'; 5000]).unwrap();
        let snap = bucket(vec![
            ("id".into(), data(&[*id])),
            ("kind".into(), data(&[3])),
        ]);
        backend.push((format!("k8s.io/{id}/{chain}"), snap));
    }
    backend.sort_by(|a, b| a.0.cmp(&b.0));
    let snapshots = bucket(vec![("snapshots".into(), bucket(backend))]);
    (meta, write(&[(b"v1".to_vec(), snapshots)], 4096, true))
}

/// A root with its DBs; `meta`/`snaps` change the files' bytes first.
fn read(
    meta: impl FnOnce(Vec<u8>) -> Vec<u8>,
    snaps: impl FnOnce(Vec<u8>) -> Vec<u8>,
) -> (Written, crate::inventory::StoreInventory) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join(ROOT);
    let w = write_store(&root);
    let (m, s) = write_bolt(&root, &w);
    fs::create_dir_all(root.join(META_DIR)).unwrap();
    fs::write(root.join(META_DIR).join("meta.db"), meta(m)).unwrap();
    fs::write(root.join(OVERLAY_DIR).join("metadata.db"), snaps(s)).unwrap();
    let inv = read_containerd_root(&HostRoot::new(dir.path()), &format!("/{ROOT}")).unwrap();
    (w, inv)
}

#[test]
fn intact_dbs_give_names_namespace_and_sized_layers() {
    let (w, inv) = read(|m| m, |s| s);
    assert!(inv.gaps.is_empty(), "{:?}", inv.gaps);
    assert_eq!(inv.images.len(), w.images.len());
    for (n, (_, config, diffs)) in w.images.iter().enumerate() {
        let image = inv.images.iter().find(|i| i.id == *config).unwrap();
        assert_eq!(image.tags, vec![format!("app-{n}:1")]);
        assert_eq!(image.namespace.as_deref(), Some("k8s.io"));
        for chain in chain_ids(diffs) {
            let layer = &inv.layers[&format!("k8s.io/{chain}")];
            assert!(layer.disk_bytes >= 5000, "{layer:?}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn a_truncated_or_garbage_meta_db_is_a_gap_naming_it(at in any::<prop::sample::Index>(), junk in bytes(9000), garbage in any::<bool>()) {
        let (_, inv) = read(|m| if garbage { junk } else { m[..at.index(m.len())].to_vec() }, |s| s);
        let gaps = inv.gaps.join("\n");
        prop_assert!(gaps.contains(&format!("/{ROOT}/{META_DIR}/meta.db")), "{gaps}");
        prop_assert!(inv.images.iter().all(|i| i.tags.is_empty() && i.namespace.is_none()));
        prop_assert!(inv.layers.is_empty());
    }

    #[test]
    fn a_truncated_metadata_db_is_a_gap_and_no_layer(at in any::<prop::sample::Index>()) {
        let (w, inv) = read(|m| m, |s| s[..at.index(s.len())].to_vec());
        let gaps = inv.gaps.join("\n");
        prop_assert!(gaps.contains(&format!("/{ROOT}/{OVERLAY_DIR}/metadata.db")), "{gaps}");
        prop_assert!(inv.layers.is_empty());
        prop_assert_eq!(inv.images.len(), w.images.len());
    }

    #[test]
    fn damaged_pages_never_panic(hits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..30)) {
        let hit = |mut f: Vec<u8>| {
            let len = f.len();
            for (at, b) in &hits {
                f[8192 + at.index(len - 8192)] = *b;
            }
            f
        };
        let _ = read(hit, hit);
    }
}
