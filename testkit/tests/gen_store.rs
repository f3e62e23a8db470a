//! The synthetic node root (`imgdup-gen-store`) is valid input: the real
//! `kubectl-imgdup node --local` reads both offline stores without a gap
//! beyond the one it always reports, and finds exactly the duplicates the
//! generator made.

use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};
use testkit::cmd::{TestCommand, assert_exit, stderr, stdout};
use testkit::gen_store::{Options, Summary, generate};

const GEN: &str = env!("CARGO_BIN_EXE_imgdup-gen-store");
const DOCKER: &str = "dockerd:/var/lib/docker";
const K3S: &str = "containerd:/var/lib/rancher/k3s/agent/containerd";

fn options(out: &Path, images: usize) -> Options {
    Options {
        out: out.to_path_buf(),
        images,
        dup_ratio: 0.3,
        seed: 42,
        layer_bytes: 4096,
    }
}

fn kubectl_imgdup() -> PathBuf {
    testkit::build::sibling_bin(Path::new(GEN), "kubectl-imgdup", "kubectl-imgdup")
}

fn store<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["stores"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["id"] == id))
        .unwrap_or_else(|| panic!("store {id} not found: {:#}", report["stores"]))
}

#[test]
fn node_scan_finds_exactly_the_generated_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("node");
    let made = generate(&options(&root, 200)).unwrap();
    assert_eq!(made.docker_images, 200);
    assert_eq!(made.duplicates, 60);
    assert_eq!(made.containerd_images, 60 + made.containerd_only);

    let out = TestCommand::new(kubectl_imgdup())
        .args(["node", "--local", "--host-root"])
        .arg(&root)
        .arg("--proc")
        .arg(root.join("proc"))
        .args(["-o", "json"])
        .run();
    assert_exit(&out, 0);
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["kind"], "NodeReport");
    assert_eq!(report["verdict"], "duplicate");

    // Exactly the two stores, both read offline (no daemon runs on the root).
    let mut ids: Vec<&str> = report["stores"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["id"].as_str())
        .collect();
    ids.sort();
    assert_eq!(ids, [K3S, DOCKER], "{:#}", report["stores"]);
    let docker = store(&report, DOCKER);
    assert_eq!(docker["live"], false);
    assert_eq!(docker["images"], 200);
    assert_eq!(docker["gaps"], Value::Array(vec![]), "layerdb is complete");
    let k3s = store(&report, K3S);
    assert_eq!(k3s["live"], false);
    assert_eq!(k3s["images"], made.containerd_images);
    // Offline containerd always has gaps (dead socket, meta.db not parsed),
    // but none may name a missing or malformed blob or manifest.
    for gap in k3s["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
    {
        let bad = ["blob ", "manifest ", "cannot read "];
        assert!(!bad.iter().any(|b| gap.starts_with(b)), "{gap}");
    }

    let images = report["images"].as_array().unwrap();
    assert_eq!(images.len(), 200 + made.containerd_only);
    let dups: Vec<&Value> = images
        .iter()
        .filter(|i| i["verdict"] == "duplicate")
        .collect();
    assert_eq!(dups.len(), made.duplicates);
    for dup in &dups {
        let mut stores: Vec<&str> = dup["stores"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        stores.sort();
        assert_eq!(stores, [K3S, DOCKER], "{dup:#}");
        assert!(dup["reclaimableBytes"].as_u64() > Some(0), "{dup:#}");
    }
    assert!(report["reclaimableBytes"].as_u64() > Some(0));
}

/// Every file under `root` with its sha256, sorted.
fn fingerprint(root: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                let hash = format!("{:x}", Sha256::digest(std::fs::read(&path).unwrap()));
                out.push((path.strip_prefix(root).unwrap().to_path_buf(), hash));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn same_seed_same_bytes_and_layers_are_tars() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        dir.path().join("a"),
        dir.path().join("b"),
        dir.path().join("c"),
    );
    let first: Summary = generate(&options(&a, 30)).unwrap();
    assert_eq!(generate(&options(&b, 30)).unwrap(), first);
    assert_eq!(fingerprint(&a), fingerprint(&b));
    let other = Options {
        seed: 43,
        ..options(&c, 30)
    };
    generate(&other).unwrap();
    assert_ne!(fingerprint(&a), fingerprint(&c));

    // A layer blob is an uncompressed tar whose sha256 is its name (DiffID).
    let blobs = a
        .join(testkit::gen_store::CONTAINERD_ROOT)
        .join("io.containerd.content.v1.content/blobs/sha256");
    let layer = std::fs::read_dir(&blobs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| std::fs::read(p).unwrap().first() != Some(&b'{'))
        .expect("a layer blob");
    let out = TestCommand::new("tar").arg("-tvf").arg(&layer).run();
    assert_exit(&out, 0);
    assert!(stdout(&out).contains(" 4096 "), "{}", stdout(&out));
}

#[test]
fn cli_prints_a_summary_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let run = || {
        TestCommand::new(GEN)
            .args(["--images", "20", "--seed", "7", "--out"])
            .arg(dir.path())
            .run()
    };
    let out = run();
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("docker: 20 images"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("duplicates: 6;"), "{}", stdout(&out));
    let again = run();
    assert_exit(&again, 1);
    assert!(stderr(&again).contains("not empty"), "{}", stderr(&again));
}
