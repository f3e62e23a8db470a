//! Verdict math on synthetic inventories: one rule per test.
use super::*;
use crate::inventory::{Container, Image, OnDisk, chain_ids};

const MIB: u64 = 1 << 20;

/// A store with only what the verdict reads; the property tests use it too.
pub(crate) fn store(
    id: &str,
    runtime: StoreRuntime,
    path: &str,
    live: bool,
    active: bool,
) -> Store {
    Store {
        id: id.into(),
        runtime,
        path: path.into(),
        device: None,
        namespace: None,
        live,
        active,
        endpoint: None,
        reached_by: Vec::new(),
        proof: None,
        images: 0,
        disk_bytes: 0,
        partial: false,
        gaps: Vec::new(),
        containers: Vec::new(),
    }
}

/// Builds an inventory from (config id, [(diff id, bytes)]) per image.
struct Inv {
    inv: StoreInventory,
    namespace: Option<String>,
    blobs: bool,
}

impl Inv {
    fn docker() -> Self {
        Self {
            inv: StoreInventory::default(),
            namespace: None,
            blobs: false,
        }
    }
    fn containerd(ns: &str) -> Self {
        Self {
            inv: StoreInventory::default(),
            namespace: Some(ns.into()),
            blobs: true,
        }
    }
    fn image(mut self, id: &str, tag: &str, layers: &[(&str, u64)]) -> Self {
        let diff_ids: Vec<String> = layers.iter().map(|(d, _)| format!("sha256:{d}")).collect();
        let chains = chain_ids(&diff_ids);
        let mut image = Image {
            id: format!("sha256:{id}"),
            tags: vec![tag.into()],
            repo_digests: vec![],
            diff_ids,
            chain_ids: chains.clone(),
            blobs: vec![],
            namespace: self.namespace.clone(),
            missing: vec![],
        };
        for (chain, (diff, bytes)) in chains.iter().zip(layers) {
            self.inv.layers.insert(
                image.layer_key(chain),
                OnDisk {
                    path: None,
                    disk_bytes: *bytes,
                },
            );
            if self.blobs {
                // A packed blob as big as the layer, keyed by its (here uncompressed) digest.
                let digest = format!("sha256:{diff}");
                self.inv.blobs.insert(
                    digest.clone(),
                    OnDisk {
                        path: None,
                        disk_bytes: *bytes,
                    },
                );
                image.blobs.push(digest);
            }
        }
        if self.blobs {
            let manifest = format!("sha256:manifest-{id}");
            self.inv.blobs.insert(
                manifest.clone(),
                OnDisk {
                    path: None,
                    disk_bytes: 4096,
                },
            );
            image.blobs.push(manifest);
        }
        self.inv.images.push(image);
        self
    }
    fn container(mut self, name: &str, image_id: &str) -> Self {
        let namespace = self.namespace.clone();
        self.inv.containers.push(Container {
            id: name.into(),
            name: name.into(),
            image_id: Some(format!("sha256:{image_id}")),
            namespace,
        });
        self
    }
}

fn finding<'a>(j: &'a Judgement, id: &str) -> &'a ImageFinding {
    j.images
        .iter()
        .find(|f| f.id == format!("sha256:{id}"))
        .unwrap_or_else(|| panic!("no {id} in {:#?}", j.images))
}

/// runtime-switch: Docker (offline) holds base, app-a, app-b; k3s (active) holds app-a.
fn runtime_switch() -> (Vec<Store>, Vec<StoreInventory>) {
    let docker = Inv::docker()
        .image("base", "base:1", &[("B", MIB)])
        .image("appa", "app-a:1", &[("B", MIB), ("A", 3 * MIB)])
        .image("appb", "app-b:1", &[("B", MIB), ("X", 2 * MIB), ("Y", MIB)]);
    let k3s = Inv::containerd("k8s.io").image("appa", "app-a:1", &[("B", MIB), ("A", 3 * MIB)]);
    (
        vec![
            store(
                "dockerd:/var/lib/docker",
                StoreRuntime::Dockerd,
                "/var/lib/docker",
                false,
                false,
            ),
            store(
                "containerd:/k3s",
                StoreRuntime::Containerd,
                "/k3s",
                true,
                true,
            ),
        ],
        vec![docker.inv, k3s.inv],
    )
}

#[test]
fn a_shared_base_layer_is_not_reclaimable_while_another_image_uses_it() {
    let (stores, invs) = runtime_switch();
    let j = judge(&stores, &invs);
    let appa = finding(&j, "appa");
    assert_eq!(appa.verdict, Verdict::Duplicate);
    assert_eq!(
        appa.reclaimable_bytes,
        3 * MIB,
        "only the app-a layer frees; the base stays for base and app-b"
    );
    assert_eq!(appa.removals.len(), 1);
    assert_eq!(appa.removals[0].store, "dockerd:/var/lib/docker");
    assert_eq!(appa.removals[0].refs, ["app-a:1"]);
    assert_eq!(j.reclaimable_bytes, 3 * MIB);
    assert_eq!(finding(&j, "appb").verdict, Verdict::OrphanStore);
    assert_eq!(j.verdict, Verdict::Duplicate);
    assert!(j.findings[0].contains("not running"), "{:?}", j.findings);
}

#[test]
fn identity_is_the_same_ordered_diff_ids_even_with_another_config_digest() {
    let a = Inv::docker().image("one", "x:1", &[("L1", MIB), ("L2", MIB)]);
    let b = Inv::containerd("k8s.io").image("two", "x:1", &[("L1", MIB), ("L2", MIB)]);
    let stores = vec![
        store("d", StoreRuntime::Dockerd, "/d", true, false),
        store("c", StoreRuntime::Containerd, "/c", true, true),
    ];
    let j = judge(&stores, &[a.inv, b.inv]);
    assert_eq!(j.images.len(), 1);
    assert_eq!(j.images[0].verdict, Verdict::Duplicate);
    assert_eq!(j.images[0].reclaimable_bytes, 2 * MIB);
}

#[test]
fn equal_sizes_are_not_identity() {
    let a = Inv::docker().image("one", "x:1", &[("L1", MIB)]);
    let b = Inv::containerd("k8s.io").image("two", "y:1", &[("L2", MIB)]);
    let stores = vec![
        store("d", StoreRuntime::Dockerd, "/d", true, false),
        store("c", StoreRuntime::Containerd, "/c", true, true),
    ];
    let j = judge(&stores, &[a.inv, b.inv]);
    assert!(
        j.images.iter().all(|f| f.verdict != Verdict::Duplicate),
        "{:#?}",
        j.images
    );
    assert_eq!(j.reclaimable_bytes, 0);
}

#[test]
fn a_copy_used_by_a_container_is_never_counted() {
    let (stores, mut invs) = runtime_switch();
    invs[0] = Inv::docker()
        .image("base", "base:1", &[("B", MIB)])
        .image("appa", "app-a:1", &[("B", MIB), ("A", 3 * MIB)])
        .container("stopped-job", "appa")
        .inv;
    let j = judge(&stores, &invs);
    let appa = finding(&j, "appa");
    assert_eq!(appa.verdict, Verdict::Duplicate);
    assert_eq!(appa.reclaimable_bytes, 0);
    assert_eq!(appa.removals[0].pinned_by, ["stopped-job"]);
    assert_eq!(j.reclaimable_bytes, 0);
}

#[test]
fn two_endpoints_reaching_one_store_are_an_alias() {
    let mut docker = store(
        "dockerd:/var/lib/docker",
        StoreRuntime::Dockerd,
        "/var/lib/docker",
        true,
        true,
    );
    docker.reached_by = vec![
        "unix:///run/k3s/cri-dockerd/cri-dockerd.sock".into(),
        "unix:///var/run/docker.sock".into(),
    ];
    docker.proof = Some("cri-dockerd → dockerd".into());
    let inv = Inv::docker().image("appa", "app-a:1", &[("A", MIB)]);
    let j = judge(&[docker], &[inv.inv]);
    assert_eq!(j.images[0].verdict, Verdict::Alias);
    assert!(
        j.images[0].reason.contains("cri-dockerd → dockerd"),
        "{}",
        j.images[0].reason
    );
    assert_eq!((j.verdict, j.reclaimable_bytes), (Verdict::Alias, 0));
}

#[test]
fn host_docker_beside_containerd_is_a_split_not_a_duplicate() {
    let docker = Inv::docker().image("pipe", "pipeline:1", &[("B", MIB), ("P", 2 * MIB)]);
    let k3s = Inv::containerd("k8s.io").image("runner", "runner:1", &[("B", MIB), ("R", MIB)]);
    let stores = vec![
        store("d", StoreRuntime::Dockerd, "/d", true, false),
        store("c", StoreRuntime::Containerd, "/c", true, true),
    ];
    let j = judge(&stores, &[docker.inv, k3s.inv]);
    assert_eq!(finding(&j, "pipe").verdict, Verdict::Split);
    assert_eq!(finding(&j, "runner").verdict, Verdict::Ok);
    assert_eq!((j.verdict, j.reclaimable_bytes), (Verdict::Split, 0));
}

#[test]
fn namespaces_of_one_containerd_share_blobs_but_not_snapshots() {
    let a = Inv::containerd("k8s.io").image("img", "x:1", &[("L", 2 * MIB)]);
    let b = Inv::containerd("default").image("img", "x:1", &[("L", 2 * MIB)]);
    let mut s1 = store(
        "containerd:/c#k8s.io",
        StoreRuntime::Containerd,
        "/c",
        true,
        true,
    );
    s1.namespace = Some("k8s.io".into());
    let mut s2 = store(
        "containerd:/c#default",
        StoreRuntime::Containerd,
        "/c",
        true,
        false,
    );
    s2.namespace = Some("default".into());
    let j = judge(&[s1, s2], &[a.inv, b.inv]);
    assert_eq!(j.images[0].verdict, Verdict::Duplicate);
    assert_eq!(
        j.images[0].reclaimable_bytes,
        2 * MIB,
        "the snapshot frees; the shared blobs stay"
    );
}

#[test]
fn two_containerds_free_snapshots_and_blobs() {
    let sys = Inv::containerd("k8s.io")
        .image("appa", "app-a:1", &[("B", MIB), ("A", 3 * MIB)])
        .image("appb", "app-b:1", &[("B", MIB), ("X", 2 * MIB)]);
    let k3s = Inv::containerd("k8s.io").image("appa", "app-a:1", &[("B", MIB), ("A", 3 * MIB)]);
    let stores = vec![
        store(
            "sys",
            StoreRuntime::Containerd,
            "/var/lib/containerd",
            true,
            true,
        ),
        store("k3s", StoreRuntime::Containerd, "/k3s", true, false),
    ];
    let j = judge(&stores, &[sys.inv, k3s.inv]);
    let appa = finding(&j, "appa");
    assert_eq!(appa.removals[0].store, "k3s");
    // k3s holds nothing else: both snapshots, both layer blobs and the manifest go.
    assert_eq!(appa.reclaimable_bytes, 2 * (4 * MIB) + 4096);
    assert_eq!(j.reclaimable_bytes, appa.reclaimable_bytes);
}

#[test]
fn layers_shared_only_by_removed_copies_count_in_the_node_total_once() {
    let docker = Inv::docker()
        .image("x", "x:1", &[("L", 5 * MIB), ("a", MIB)])
        .image("y", "y:1", &[("L", 5 * MIB), ("b", MIB)]);
    let k3s = Inv::containerd("k8s.io")
        .image("x", "x:1", &[("L", 5 * MIB), ("a", MIB)])
        .image("y", "y:1", &[("L", 5 * MIB), ("b", MIB)]);
    let stores = vec![
        store("d", StoreRuntime::Dockerd, "/d", true, false),
        store("c", StoreRuntime::Containerd, "/c", true, true),
    ];
    let j = judge(&stores, &[docker.inv, k3s.inv]);
    assert_eq!(finding(&j, "x").reclaimable_bytes, MIB);
    assert_eq!(finding(&j, "y").reclaimable_bytes, MIB);
    assert_eq!(j.reclaimable_bytes, 7 * MIB);
}

#[test]
fn without_an_active_copy_the_live_one_is_kept() {
    let docker = Inv::docker().image("x", "x:1", &[("L", MIB)]);
    let sys = Inv::containerd("k8s.io").image("x", "x:1", &[("L", MIB)]);
    let k3s = Inv::containerd("k8s.io").image("other", "o:1", &[("O", MIB)]);
    let stores = vec![
        store("d", StoreRuntime::Dockerd, "/d", false, false),
        store("sys", StoreRuntime::Containerd, "/sys", true, false),
        store("k3s", StoreRuntime::Containerd, "/k3s", true, true),
    ];
    let j = judge(&stores, &[docker.inv, sys.inv, k3s.inv]);
    let x = finding(&j, "x");
    assert_eq!(x.removals.len(), 1);
    assert_eq!(
        x.removals[0].store, "d",
        "the offline copy goes, the live one stays"
    );
}

#[test]
fn an_empty_node_is_ok() {
    let j = judge(&[], &[]);
    assert_eq!(
        (j.verdict, j.reclaimable_bytes, j.images.len()),
        (Verdict::Ok, 0, 0)
    );
}

#[test]
fn an_incomplete_copy_is_neither_a_duplicate_nor_reclaimable() {
    let (stores, mut invs) = runtime_switch();
    // Docker's app-a lost its top layer's layerdb entry (a half-written store).
    let appa = invs[0].images.iter_mut().find(|i| i.id == "sha256:appa");
    appa.unwrap().missing =
        vec!["layer 1 at /var/lib/docker/image/overlay2/layerdb/sha256/x: missing".into()];
    let j = judge(&stores, &invs);
    let appa = finding(&j, "appa");
    assert_eq!(appa.verdict, Verdict::Ok, "{appa:#?}");
    assert_eq!(appa.reclaimable_bytes, 0);
    assert!(appa.removals.is_empty());
    assert_eq!(appa.incomplete_in, ["dockerd:/var/lib/docker"]);
    assert!(
        appa.reason
            .contains("incomplete (layer 1 at /var/lib/docker"),
        "{}",
        appa.reason
    );
    assert_eq!(appa.stores.len(), 2, "still listed where it lies");
    assert_eq!(j.reclaimable_bytes, 0);
    // Only the orphan store's other images decide the node now.
    assert_eq!(j.verdict, Verdict::OrphanStore);
}

#[test]
fn whole_copies_stay_duplicates_beside_an_incomplete_one() {
    let (mut stores, mut invs) = runtime_switch();
    let extra = Inv::docker().image("appa", "app-a:1", &[("B", MIB), ("A", 3 * MIB)]);
    let mut extra = extra.inv;
    extra.images[0].missing = vec!["layer 0: missing".into()];
    stores.push(store(
        "dockerd:/data",
        StoreRuntime::Dockerd,
        "/data",
        false,
        false,
    ));
    invs.push(extra);
    let j = judge(&stores, &invs);
    let appa = finding(&j, "appa");
    assert_eq!(appa.verdict, Verdict::Duplicate);
    assert_eq!(appa.incomplete_in, ["dockerd:/data"]);
    let from: Vec<&str> = appa.removals.iter().map(|r| r.store.as_str()).collect();
    assert_eq!(
        from,
        ["dockerd:/var/lib/docker"],
        "never the incomplete copy"
    );
    assert_eq!(appa.reclaimable_bytes, 3 * MIB);
}

#[test]
fn only_incomplete_copies_are_judged_by_the_copy_that_would_stay() {
    let (stores, mut invs) = runtime_switch();
    for inv in &mut invs {
        for image in inv.images.iter_mut().filter(|i| i.id == "sha256:appa") {
            image.missing = vec!["blob: missing".into()];
        }
    }
    let j = judge(&stores, &invs);
    let appa = finding(&j, "appa");
    assert_eq!(appa.verdict, Verdict::Ok, "the active store's copy, alone");
    assert_eq!(appa.incomplete_in.len(), 2);
    assert_eq!(appa.reclaimable_bytes, 0);
}
