//! Docker inventories: the offline reader against generated data roots
//! (half-written and corrupt ones too) and against the lab's leftover
//! `/var/lib/docker` of `runtime-switch`, and the live bollard reader
//! against the real dockerd 20.10 of `k3s-docker`.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::time::Duration;

use imgdup::host::du::disk_bytes;
use imgdup::host::root::HostRoot;
use imgdup::inventory::docker_api::read_docker_api;
use imgdup::inventory::docker_files::read_docker_root;
use imgdup::inventory::{Image, InventoryError, StoreInventory, chain_ids};
use imgdup::model::causes;
use sha2::{Digest, Sha256};
use testkit::lab::Scenario;

const MIB: u64 = 1 << 20;
const ROOT: &str = "/var/lib/docker";

fn hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

fn image<'a>(inv: &'a StoreInventory, id: &str) -> &'a Image {
    let found: Vec<&Image> = inv.images.iter().filter(|i| i.id == id).collect();
    assert_eq!(found.len(), 1, "image {id} once in {:#?}", inv.images);
    found[0]
}

/// A Docker data root written by hand under a temp host root.
struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        let f = Self {
            dir: tempfile::tempdir().unwrap(),
        };
        for d in ["image/overlay2/imagedb/content/sha256", "overlay2/l"] {
            fs::create_dir_all(f.path(d)).unwrap();
        }
        f
    }

    fn path(&self, rel: &str) -> std::path::PathBuf {
        self.dir.path().join("var/lib/docker").join(rel)
    }

    fn host(&self) -> HostRoot {
        HostRoot::new(self.dir.path())
    }

    /// Writes an image config; returns its id.
    fn config(&self, text: &str) -> String {
        let hex = hex(text.as_bytes());
        let file = self.path(&format!("image/overlay2/imagedb/content/sha256/{hex}"));
        fs::write(file, text).unwrap();
        format!("sha256:{hex}")
    }

    fn image(&self, diff_ids: &[&str]) -> String {
        let ids: Vec<String> = diff_ids.iter().map(|d| format!("\"{d}\"")).collect();
        self.config(&format!(
            r#"{{"architecture":"amd64","rootfs":{{"type":"layers","diff_ids":[{}]}}}}"#,
            ids.join(",")
        ))
    }

    /// A layerdb entry (`cache_id: None` = half-written) and its layer dir
    /// holding `bytes` of data.
    fn layer(&self, chain: &str, diff: &str, cache_id: Option<&str>, bytes: usize) {
        let entry = self.path(&format!(
            "image/overlay2/layerdb/{}",
            chain.replace(':', "/")
        ));
        fs::create_dir_all(&entry).unwrap();
        fs::write(entry.join("diff"), diff).unwrap();
        fs::write(entry.join("size"), bytes.to_string()).unwrap();
        if let Some(id) = cache_id {
            fs::write(entry.join("cache-id"), id).unwrap();
            fs::create_dir_all(self.path(&format!("overlay2/{id}/diff"))).unwrap();
            fs::write(
                self.path(&format!("overlay2/{id}/diff/f")),
                vec![9u8; bytes],
            )
            .unwrap();
            fs::write(self.path(&format!("overlay2/{id}/link")), "ABCDEF").unwrap();
        }
    }
}

/// `du -sx --block-size=1 PATH`.
fn gnu_du(path: &Path) -> u64 {
    let out = std::process::Command::new("du")
        .args(["-sx", "--block-size=1"])
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    text.split_whitespace().next().unwrap().parse().unwrap()
}

fn diff(n: u8) -> String {
    format!("sha256:{}", hex(&[n]))
}

#[test]
fn offline_fixture_reads_images_tags_layers_and_containers() {
    let f = Fixture::new();
    let (d0, d1, d2) = (diff(0), diff(1), diff(2));
    let base = f.image(&[&d0]);
    let app = f.image(&[&d0, &d1]);
    let scratch = f.image(&[]);
    let chains = chain_ids(&[d0.clone(), d1.clone()]);
    f.layer(&chains[0], &d0, Some("cache-base"), 100_000);
    f.layer(&chains[1], &d1, Some("cache-app"), 50_000);
    // Half-written: the layerdb entry has no cache-id yet.
    let orphan = chain_ids(&[d0.clone(), d2.clone()]);
    f.layer(&orphan[1], &d2, None, 10);
    let repos = format!(
        r#"{{"Repositories":{{"r/app":{{"r/app:1":"{app}","r/app:latest":"{app}","r/app@sha256:{}":"{app}"}},"r/base":{{"r/base:1":"{base}"}}}}}}"#,
        "ab".repeat(32)
    );
    fs::write(f.path("image/overlay2/repositories.json"), repos).unwrap();
    fs::create_dir_all(f.path("containers/c1")).unwrap();
    let c1 = format!(r#"{{"ID":"c1","Name":"/web","Image":"{app}"}}"#);
    fs::write(f.path("containers/c1/config.v2.json"), c1).unwrap();

    let (driver, inv) = read_docker_root(&f.host(), ROOT).unwrap();
    assert_eq!(driver, "overlay2");
    let ids: Vec<&str> = inv.images.iter().map(|i| i.id.as_str()).collect();
    let mut want = vec![base.as_str(), app.as_str(), scratch.as_str()];
    want.sort();
    assert_eq!(ids, want, "sorted by id");
    let a = image(&inv, &app);
    assert_eq!(a.tags, ["r/app:1", "r/app:latest"]);
    assert_eq!(
        a.repo_digests,
        [format!("r/app@sha256:{}", "ab".repeat(32))]
    );
    assert_eq!(
        (a.diff_ids.clone(), a.chain_ids.clone()),
        (vec![d0, d1], chains.clone())
    );
    assert!(a.blobs.is_empty() && a.namespace.is_none());
    assert!(image(&inv, &scratch).diff_ids.is_empty());

    let base_layer = &inv.layers[&chains[0]];
    assert_eq!(
        base_layer.path.as_deref(),
        Some("/var/lib/docker/overlay2/cache-base")
    );
    assert_eq!(
        base_layer.disk_bytes,
        gnu_du(&f.path("overlay2/cache-base"))
    );
    assert!(base_layer.disk_bytes >= 100_000);
    assert_eq!(inv.layers.len(), 2, "{:?}", inv.layers);
    assert!(
        inv.images.iter().all(|i| i.missing.is_empty()),
        "whole images"
    );
    assert_eq!(inv.containers.len(), 1);
    let c = &inv.containers[0];
    assert_eq!((c.id.as_str(), c.name.as_str()), ("c1", "web"));
    assert_eq!(c.image_id.as_deref(), Some(app.as_str()));
    assert_eq!(inv.gaps.len(), 1, "{:#?}", inv.gaps);
    let hexpart = orphan[1].trim_start_matches("sha256:");
    assert!(
        inv.gaps[0].contains(&format!("layerdb/sha256/{hexpart}/cache-id")),
        "{}",
        inv.gaps[0]
    );
}

#[test]
fn offline_fixture_turns_broken_files_into_gaps() {
    let f = Fixture::new();
    let (d0, d1) = (diff(0), diff(1));
    let broken_json = f.config("{\"rootfs\": [not json");
    let app = f.image(&[&d0, &d1]);
    let chains = chain_ids(&[d0.clone(), d1.clone()]);
    // Base layer fine; top layer's cache-id names a directory that is gone.
    f.layer(&chains[0], &d0, Some("cache-base"), 4096);
    f.layer(&chains[1], &d1, Some("cache-gone"), 4096);
    fs::remove_dir_all(f.path("overlay2/cache-gone")).unwrap();
    // An image whose top layer has no layerdb entry at all.
    let lonely = f.image(&[&d0, &diff(7)]);
    fs::write(
        f.path("image/overlay2/repositories.json"),
        "{\"Repositories\":",
    )
    .unwrap();
    fs::create_dir_all(f.path("containers/c2")).unwrap();
    fs::write(f.path("containers/c2/config.v2.json"), "{").unwrap();

    let (_, inv) = read_docker_root(&f.host(), ROOT).unwrap();
    let gaps = inv.gaps.join("\n");
    let bad = broken_json.trim_start_matches("sha256:");
    let lonely_chain = chain_ids(&[d0, diff(7)])[1].replace("sha256:", "");
    for needle in [
        format!("imagedb/content/sha256/{bad}: not valid JSON"),
        "repositories.json: not valid JSON".to_string(),
        "/var/lib/docker/overlay2/cache-gone: missing".to_string(),
        format!("layerdb/sha256/{lonely_chain}: missing; layer 1"),
        "containers/c2/config.v2.json: not valid JSON".to_string(),
    ] {
        assert!(gaps.contains(&needle), "no gap {needle:?} in:\n{gaps}");
    }
    assert_eq!(inv.gaps.len(), 5, "{gaps}");
    assert_eq!(
        inv.images.len(),
        2,
        "the bad config is skipped, not guessed"
    );
    assert_eq!(
        image(&inv, &lonely).diff_ids.len(),
        2,
        "listed, its gap says why"
    );
    // Images standing on a broken or absent layer say which, by path.
    let app_missing = &image(&inv, &app).missing;
    assert_eq!(app_missing.len(), 1, "{app_missing:?}");
    assert!(app_missing[0].starts_with("layer 1 ("), "{app_missing:?}");
    let lonely_missing = image(&inv, &lonely).missing.join("\n");
    assert!(
        lonely_missing.contains(&format!("layerdb/sha256/{lonely_chain}: missing")),
        "{lonely_missing}"
    );
    assert!(inv.containers.is_empty());
    assert!(image(&inv, &app).tags.is_empty());
    assert_eq!(inv.layers.keys().collect::<Vec<_>>(), [&chains[0]]);
}

#[test]
fn a_layer_missing_diff_or_size_is_half_written_and_not_counted() {
    for file in ["diff", "size"] {
        let f = Fixture::new();
        let (d0, d1) = (diff(0), diff(1));
        let app = f.image(&[&d0, &d1]);
        let chains = chain_ids(&[d0.clone(), d1.clone()]);
        f.layer(&chains[0], &d0, Some("cache-base"), 4096);
        f.layer(&chains[1], &d1, Some("cache-top"), 4096);
        let top = f.path(&format!(
            "image/overlay2/layerdb/sha256/{}",
            chains[1].trim_start_matches("sha256:")
        ));
        fs::remove_file(top.join(file)).unwrap();
        let (_, inv) = read_docker_root(&f.host(), ROOT).unwrap();
        let want =
            format!("{}/{file}", top.display()).replace(&f.dir.path().display().to_string(), "");
        assert!(
            inv.gaps
                .iter()
                .any(|g| g.contains(&want) && g.contains("half-written")),
            "{file}: {:#?}",
            inv.gaps
        );
        assert_eq!(
            inv.layers.keys().collect::<Vec<_>>(),
            [&chains[0]],
            "{file}"
        );
        assert_eq!(image(&inv, &app).missing.len(), 1, "{file}");
    }
}

#[test]
fn huge_or_non_regular_metadata_files_are_gaps_not_hangs() {
    let f = Fixture::new();
    let d0 = diff(0);
    let app = f.image(&[&d0]);
    f.layer(
        &chain_ids(std::slice::from_ref(&d0))[0],
        &d0,
        Some("cache-base"),
        4096,
    );
    let repos = f.path("image/overlay2/repositories.json");
    fs::File::create(&repos).unwrap().set_len(1 << 40).unwrap(); // sparse 1 TiB
    fs::create_dir_all(f.path("containers/c1")).unwrap();
    let fifo = f.path("containers/c1/config.v2.json");
    testkit::bad_socket::fifo(&fifo);
    let (_, inv) = read_docker_root(&f.host(), ROOT).unwrap();
    let gaps = inv.gaps.join("\n");
    assert!(gaps.contains("repositories.json: larger than"), "{gaps}");
    assert!(
        gaps.contains("config.v2.json: not a regular file (a FIFO)"),
        "{gaps}"
    );
    assert!(image(&inv, &app).missing.is_empty());
}

#[test]
fn offline_without_an_image_store_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let host = HostRoot::new(dir.path());
    let err = read_docker_root(&host, ROOT).unwrap_err();
    assert!(err.to_string().contains("/var/lib/docker/image"), "{err}");
    fs::create_dir_all(dir.path().join("var/lib/docker/image")).unwrap();
    // The context names the store; the cause, said once, says what is missing.
    let err = causes::joined(&read_docker_root(&host, ROOT).unwrap_err());
    assert!(err.contains("no graph driver directory"), "{err}");
}

#[tokio::test]
async fn live_on_a_missing_socket_fails_fast_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let host = HostRoot::new(dir.path());
    let started = std::time::Instant::now();
    let err = read_docker_api(&host, Path::new("/run/docker.sock"), Duration::from_secs(2))
        .await
        .unwrap_err();
    assert!(matches!(err, InventoryError::Runtime(_)), "{err}");
    assert!(err.to_string().contains("/run/docker.sock"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

fn diff_ids(s: &Scenario, name: &str) -> Vec<String> {
    let key = format!("IMAGE_DIFFIDS_{name}");
    s.get(&key).split_whitespace().map(String::from).collect()
}

/// Exactly base, app-a and app-b, as the lab built them, every layer backed
/// by a directory, the shared base layer once.
fn assert_lab_images(s: &Scenario, inv: &StoreInventory) {
    let names = ["BASE", "APP_A", "APP_B"];
    let want: BTreeSet<&str> = names
        .iter()
        .map(|n| s.get(&format!("IMAGE_ID_{n}")))
        .collect();
    let got: BTreeSet<&str> = inv.images.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(got, want, "{}", s.name);
    for name in names {
        let img = image(inv, s.get(&format!("IMAGE_ID_{name}")));
        assert_eq!(img.diff_ids, diff_ids(s, name), "{name}");
        assert_eq!(img.chain_ids, chain_ids(&img.diff_ids), "{name}");
        assert_eq!(img.tags, [s.get(&format!("IMAGE_REF_{name}"))], "{name}");
        for chain in &img.chain_ids {
            let layer = inv
                .layers
                .get(chain)
                .unwrap_or_else(|| panic!("{name}: {chain}"));
            let path = layer.path.as_deref().unwrap();
            assert!(path.starts_with("/var/lib/docker/overlay2/"), "{path}");
            assert!(layer.disk_bytes > 0);
        }
    }
    let base = &diff_ids(s, "BASE")[0];
    let holders = inv
        .images
        .iter()
        .filter(|i| i.chain_ids[0] == *base)
        .count();
    assert_eq!(holders, 3, "base is the bottom layer of all three");
    let dirs: BTreeSet<_> = inv.layers.values().map(|l| l.path.clone()).collect();
    assert_eq!(dirs.len(), inv.layers.len(), "one directory per layer");
    assert_eq!(
        inv.layers.len(),
        4,
        "base + 3 MiB + 2 MiB + 1 MiB: {:#?}",
        inv.layers
    );
    assert!(inv.gaps.is_empty(), "{:#?}", inv.gaps);
}

#[test]
fn offline_reads_the_runtime_switch_leftover_store() {
    let s = Scenario::up("runtime-switch");
    let host = HostRoot::new(s.get("ROOT"));
    let (driver, inv) = read_docker_root(&host, ROOT).unwrap();
    assert_eq!(driver, "overlay2");
    assert_lab_images(&s, &inv);
    // app-a's own layer: 3 MiB of random data, plus a few KiB of dirs.
    let top = &image(&inv, s.get("IMAGE_ID_APP_A")).chain_ids[1];
    let layer = &inv.layers[top];
    let du = disk_bytes(&host.local(layer.path.as_deref().unwrap())).unwrap();
    assert_eq!(layer.disk_bytes, du);
    // Every layer exactly as GNU du counts it.
    for (chain, layer) in &inv.layers {
        let local = host.local(layer.path.as_deref().unwrap());
        assert_eq!(layer.disk_bytes, gnu_du(&local), "{chain}");
    }
    assert!(
        layer.disk_bytes >= 3 * MIB && layer.disk_bytes <= 3 * MIB + 3 * MIB / 100 + 16 * 1024,
        "app-a top layer: {} bytes",
        layer.disk_bytes
    );
    eprintln!("runtime-switch layers: {:#?}", inv.layers);
}

#[tokio::test]
async fn live_dockerd_agrees_with_its_files() {
    let s = Scenario::up("k3s-docker");
    let host = HostRoot::new(s.get("ROOT"));
    let socket = Path::new("/run/docker.sock");
    let (driver, root, live) = read_docker_api(&host, socket, Duration::from_secs(10))
        .await
        .unwrap_or_else(|e| panic!("live read: {e}"));
    assert_eq!((driver.as_str(), root.as_str()), ("overlay2", ROOT));
    assert_lab_images(&s, &live);
    let (_, offline) = read_docker_root(&host, &root).unwrap();
    assert_eq!(live.images, offline.images, "same identities");
    assert_eq!(live.layers, offline.layers, "same layer dirs and bytes");
    assert_eq!(live.containers, offline.containers);
}
