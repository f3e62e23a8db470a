//! `scripts/release` packages the release archives and renders the krew
//! manifest from the template `krew-manifest.yaml`; the real krew (built by
//! `scripts/install-go`) installs them, through the real kubectl, and is the
//! one that validates them. The template test only checks what krew does not.
//!
//! Every krew, kubectl and git here runs with KREW_ROOT and HOME in a temp
//! dir, in a network namespace of its own (`unshare --net`), so each command
//! is proven to work offline:
//! - `krew install --manifest=M --archive=A` reads neither the index nor the
//!   network (krew skips updating its index when --manifest is given), and
//!   KREW_NO_UPGRADE_CHECK stops krew's random check for a newer krew.
//! - `krew uninstall` and `krew list` refuse to run without a git-cloned
//!   index ("krew local plugin index is not initialized"). A user's krew
//!   cloned krew-index on its first `kubectl krew install NAME`; here
//!   `kubectl krew index add default` clones an empty local repository.
//!
//! The parts: `manifest` (the template, and the five platforms rendered from
//! it), `harness` (the real krew in a sandbox of its own) and `install`
//! (this host's release through `kubectl krew`, and the manifests krew
//! refuses). This file holds what they share: the shipped platforms, the
//! archive names, reading a manifest, and running `scripts/release`.

mod harness;
mod install;
mod manifest;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

use serde_yaml::Value;
use sha2::{Digest, Sha256};

use crate::util::*;

/// The five platforms we ship: the Rust target `scripts/release --target`
/// takes, and krew's os and arch.
const SHIPPED: [(&str, &str, &str); 5] = [
    ("x86_64-unknown-linux-gnu", "linux", "amd64"),
    ("aarch64-unknown-linux-gnu", "linux", "arm64"),
    ("x86_64-apple-darwin", "darwin", "amd64"),
    ("aarch64-apple-darwin", "darwin", "arm64"),
    ("x86_64-pc-windows-msvc", "windows", "amd64"),
];

/// The krew release these tests were verified against (`KREW_VERSION` in
/// scripts/install-go): what they rely on is krew's behaviour, not a spec.
const KREW_TAG: &str = "v0.4.3";

fn tag() -> String {
    format!("v{}", env!("CARGO_PKG_VERSION"))
}

fn archive(os: &str, arch: &str) -> String {
    format!("kubectl-imgdup_{}_{os}_{arch}.tar.gz", tag())
}

fn exe(os: &str) -> &'static str {
    if os == "windows" { ".exe" } else { "" }
}

/// What krew puts in its store for a platform: the manifest's `files`.
fn installed_files(os: &str) -> BTreeSet<String> {
    let mut files = BTreeSet::from([format!("kubectl-imgdup{}", exe(os)), "LICENSE".into()]);
    if os != "windows" {
        files.insert("kubectl_complete-imgdup".into());
    }
    files
}

fn load(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn os_arch(platform: &Value) -> (String, String) {
    let l = &platform["selector"]["matchLabels"];
    let get = |k: &str| l[k].as_str().unwrap_or_default().to_string();
    (get("os"), get("arch"))
}

fn platforms(m: &Value) -> Vec<Value> {
    m["spec"]["platforms"].as_sequence().unwrap().clone()
}

/// The names in a directory.
fn names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

fn sha256(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    format!("{:x}", Sha256::digest(bytes))
}

fn release(args: &[&str]) -> Output {
    Command::new(testkit::lab::repo_root().join("scripts/release"))
        .args(args)
        .output()
        .expect("cannot run scripts/release")
}

/// `scripts/release [--target TRIPLE] --binary-dir BINARIES --dist DIST
/// --url-base file`: packages the binaries for `target` (default: this
/// host) into DIST and renders DIST/krew-manifest.yaml with file:// URLs.
fn package(target: Option<&str>, binaries: &Path, dist: &Path) {
    let mut args = Vec::new();
    if let Some(triple) = target {
        args.extend(["--target", triple]);
    }
    args.extend([
        "--binary-dir",
        binaries.to_str().unwrap(),
        "--dist",
        dist.to_str().unwrap(),
        "--url-base",
        "file",
    ]);
    let out = release(&args);
    assert_exit(&out, 0);
}

/// Packages stand-in binaries for one platform with `scripts/release
/// --target`: its archive has the file names of that platform's release.
fn package_stand_in(tmp: &Path, dist: &Path, (triple, os, arch): (&str, &str, &str)) {
    let dir = tmp.join(format!("stand-in-{os}_{arch}"));
    std::fs::create_dir_all(&dir).unwrap();
    for b in ["kubectl-imgdup", "crictl-which"] {
        std::fs::write(
            dir.join(format!("{b}{}", exe(os))),
            format!("stand-in {b} for {os}/{arch}\n"),
        )
        .unwrap();
    }
    package(Some(triple), &dir, dist);
}

fn host_platform() -> (&'static str, &'static str) {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => panic!("no krew arch for {other}"),
    };
    (std::env::consts::OS, arch)
}
