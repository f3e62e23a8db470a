//! The real krew, sandboxed and offline: `Krew` gives each test a KREW_ROOT
//! and HOME of its own in a temp dir and runs krew, kubectl, git and sh in a
//! network namespace of their own (`unshare --net`). It checks that the krew
//! found is the release these tests were verified against, and sets up what
//! `kubectl krew` needs (krew installed as itself, an index) the way a
//! user's krew has it, so the tests run the commands a user runs.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use super::{KREW_TAG, host_platform, names, sha256, tag};
use crate::util::*;

/// The real krew: on PATH, or where scripts/install-go links it.
fn krew_binary() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/local/bin")])
        .map(|dir| dir.join("krew"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "the real krew is not installed: run `bash scripts/install-deps` \
                 (scripts/install-go builds krew {KREW_TAG} into /usr/local/bin)"
            )
        })
}

/// A krew home of its own: KREW_ROOT and HOME in a temp dir, and PATH with
/// krew's bin dir first, as krew's install guide sets it. `platform` sets
/// krew's own KREW_OS/KREW_ARCH overrides.
pub(super) struct Krew {
    pub(super) dir: tempfile::TempDir,
    platform: Option<(&'static str, &'static str)>,
}

impl Krew {
    pub(super) fn new(platform: Option<(&'static str, &'static str)>) -> Krew {
        let krew = Krew {
            dir: tempfile::tempdir().unwrap(),
            platform,
        };
        std::fs::create_dir(krew.home()).unwrap();
        let out = krew.krew(&["version"]);
        assert_exit(&out, 0);
        let git_tag = stdout(&out)
            .lines()
            .find_map(|l| l.strip_prefix("GitTag").map(|v| v.trim().to_string()));
        assert_eq!(
            git_tag.as_deref(),
            Some(KREW_TAG),
            "{}: run `bash scripts/install-deps`",
            krew_binary().display()
        );
        krew
    }

    pub(super) fn root(&self) -> PathBuf {
        self.dir.path().join("krew-root")
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    fn run(&self, program: impl AsRef<OsStr>, args: &[&str]) -> Output {
        let mut cmd = Command::new("unshare");
        cmd.arg("--net")
            .arg("--")
            .arg(program)
            .args(args)
            .env_clear()
            .env(
                "PATH",
                format!("{}:/usr/bin:/bin", self.root().join("bin").display()),
            )
            .env("HOME", self.home())
            .env("KREW_ROOT", self.root())
            .env("KREW_NO_UPGRADE_CHECK", "1")
            .env("KUBECONFIG", self.home().join(".kube/config"))
            .current_dir(self.dir.path())
            .stdin(Stdio::null());
        if let Some((os, arch)) = self.platform {
            cmd.env("KREW_OS", os).env("KREW_ARCH", arch);
        }
        cmd.output()
            .expect("unshare (util-linux) is needed: run `bash scripts/install-deps`")
    }

    pub(super) fn kubectl(&self, args: &[&str]) -> Output {
        self.run("kubectl", args)
    }

    /// The krew binary itself, as `kubectl krew` runs it.
    fn krew(&self, args: &[&str]) -> Output {
        self.run(krew_binary(), args)
    }

    pub(super) fn sh(&self, script: &str) -> Output {
        self.run("sh", &["-c", script])
    }

    /// `krew install --manifest=MANIFEST --archive=ARCHIVE`.
    pub(super) fn install(&self, manifest: &Path, archive: &Path) -> Output {
        self.krew(&[
            "install",
            &format!("--manifest={}", manifest.display()),
            &format!("--archive={}", archive.display()),
        ])
    }

    /// `kubectl krew` as krew's install guide makes it
    /// (`./krew-linux_amd64 install krew`), offline: the krew binary installs
    /// itself from its manifest and a release archive of itself, which links
    /// $KREW_ROOT/bin/kubectl-krew and writes krew's receipt. (A bare
    /// kubectl-krew link in bin/ is not enough: with plugins in bin/ and no
    /// receipt, krew stops with "krew home outdated".)
    pub(super) fn install_krew_itself(&self) {
        let (os, arch) = host_platform();
        let name = format!("krew-{os}_{arch}");
        let pkg = self.dir.path().join("krew-release");
        std::fs::create_dir(&pkg).unwrap();
        std::fs::copy(krew_binary(), pkg.join(&name)).unwrap();
        let archive = pkg.join(format!("{name}.tar.gz"));
        let out = Command::new("tar")
            .arg("-C")
            .arg(&pkg)
            .args(["-I", "gzip -1", "-cf"])
            .arg(&archive)
            .arg(&name)
            .output()
            .unwrap();
        assert_exit(&out, 0);
        let manifest = pkg.join("krew.yaml");
        std::fs::write(
            &manifest,
            format!(
                "apiVersion: krew.googlecontainertools.github.com/v1alpha2\n\
                 kind: Plugin\nmetadata:\n  name: krew\nspec:\n  version: {KREW_TAG}\n  \
                 shortDescription: Package manager for kubectl plugins.\n  platforms:\n  \
                 - selector:\n      matchLabels: {{os: {os}, arch: {arch}}}\n    \
                 uri: https://github.com/kubernetes-sigs/krew/releases/download/{KREW_TAG}/{name}.tar.gz\n    \
                 sha256: {}\n    bin: krew\n    files:\n    - {{from: {name}, to: krew}}\n",
                sha256(&archive)
            ),
        )
        .unwrap();
        let out = self.install(&manifest, &archive);
        assert_exit(&out, 0);
        let out = self.kubectl(&["krew", "version"]);
        assert_exit(&out, 0);
        assert!(stdout(&out).contains(KREW_TAG), "{}", stdout(&out));
    }

    /// What `kubectl krew install NAME` would have cloned from krew-index: an
    /// empty local repository stands in for it.
    pub(super) fn add_index(&self) {
        let index = self.dir.path().join("krew-index.git");
        let out = self.run("git", &["init", "-q", "--bare", index.to_str().unwrap()]);
        assert_exit(&out, 0);
        let out = self.kubectl(&["krew", "index", "add", "default", index.to_str().unwrap()]);
        assert_exit(&out, 0);
    }

    /// The names in $KREW_ROOT/`sub` (store, receipts, bin).
    pub(super) fn names(&self, sub: &str) -> BTreeSet<String> {
        names(&self.root().join(sub))
    }

    /// Everything of imgdup in krew's store/, receipts/ and bin/.
    pub(super) fn imgdup_leftovers(&self) -> Vec<String> {
        ["store", "receipts", "bin"]
            .iter()
            .flat_map(|sub| {
                self.names(sub)
                    .into_iter()
                    .filter(|n| n.contains("imgdup"))
                    .map(move |n| format!("{sub}/{n}"))
            })
            .collect()
    }

    /// Where krew installs this version's files.
    pub(super) fn store(&self) -> PathBuf {
        self.root().join("store/imgdup").join(tag())
    }
}
