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

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_yaml::Value;
use sha2::{Digest, Sha256};

use crate::util::*;
use testkit::cmd::stderr;

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

fn host_platform() -> (&'static str, &'static str) {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => panic!("no krew arch for {other}"),
    };
    (std::env::consts::OS, arch)
}

/// The README's one command line that starts with `start` and names `word`:
/// what a krew user is told to run, run as written.
fn readme_command(start: &str, word: &str) -> String {
    let readme = std::fs::read_to_string(testkit::lab::repo_root().join("README.md")).unwrap();
    let found: Vec<&str> = readme
        .lines()
        .filter(|l| l.starts_with(start) && l.contains(word))
        .collect();
    match found[..] {
        [line] => line.to_string(),
        _ => panic!("README.md: want one line starting with {start:?} naming {word}: {found:?}"),
    }
}

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
struct Krew {
    dir: tempfile::TempDir,
    platform: Option<(&'static str, &'static str)>,
}

impl Krew {
    fn new(platform: Option<(&'static str, &'static str)>) -> Krew {
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

    fn root(&self) -> PathBuf {
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

    fn kubectl(&self, args: &[&str]) -> Output {
        self.run("kubectl", args)
    }

    /// The krew binary itself, as `kubectl krew` runs it.
    fn krew(&self, args: &[&str]) -> Output {
        self.run(krew_binary(), args)
    }

    fn sh(&self, script: &str) -> Output {
        self.run("sh", &["-c", script])
    }

    /// `krew install --manifest=MANIFEST --archive=ARCHIVE`.
    fn install(&self, manifest: &Path, archive: &Path) -> Output {
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
    fn install_krew_itself(&self) {
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
    fn add_index(&self) {
        let index = self.dir.path().join("krew-index.git");
        let out = self.run("git", &["init", "-q", "--bare", index.to_str().unwrap()]);
        assert_exit(&out, 0);
        let out = self.kubectl(&["krew", "index", "add", "default", index.to_str().unwrap()]);
        assert_exit(&out, 0);
    }

    /// The names in $KREW_ROOT/`sub` (store, receipts, bin).
    fn names(&self, sub: &str) -> BTreeSet<String> {
        names(&self.root().join(sub))
    }

    /// Everything of imgdup in krew's store/, receipts/ and bin/.
    fn imgdup_leftovers(&self) -> Vec<String> {
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
    fn store(&self) -> PathBuf {
        self.root().join("store/imgdup").join(tag())
    }
}

/// `kubectl __complete ARGS...` as the shell runs it: the candidates
/// (descriptions dropped) and the directive.
fn completion(out: &Output) -> (Vec<String>, u32) {
    assert_exit(out, 0);
    let text = stdout(out);
    let mut lines: Vec<&str> = text.lines().collect();
    let directive = lines
        .pop()
        .and_then(|l| l.strip_prefix(':'))
        .and_then(|d| d.parse().ok())
        .unwrap_or_else(|| panic!("no directive line in {text:?}"));
    let words = lines
        .iter()
        .map(|l| l.split('\t').next().unwrap_or_default().to_string())
        .collect();
    (words, directive)
}

/// What krew does not check, and so the template must get right by itself.
/// (Everything krew does check is left to it: the tests below.)
#[test]
fn the_manifest_template_has_cargos_version_and_the_five_platforms_once() {
    let m = load(&testkit::lab::repo_root().join("krew-manifest.yaml"));
    // krew-index stores the manifest as plugins/imgdup.yaml; `krew install
    // --manifest` never compares the name with a file name.
    assert_eq!(m["metadata"]["name"].as_str(), Some("imgdup"));
    assert_eq!(
        m["spec"]["version"].as_str(),
        Some(tag().as_str()),
        "== Cargo's version"
    );
    let homepage = m["spec"]["homepage"].as_str().unwrap();
    assert!(homepage.starts_with("https://"), "{homepage}");
    let short = m["spec"]["shortDescription"].as_str().unwrap();
    assert!(short.len() < 256, "{short}");
    assert!(!m["spec"]["description"].as_str().unwrap().trim().is_empty());
    // krew installs the first platform that matches and never looks for a
    // second one (the_real_krew_refuses_broken_manifests), nor for platforms
    // it does not run on: the five, once each, selected by os and arch alone.
    let mut seen = Vec::new();
    for p in platforms(&m) {
        let labels = p["selector"]["matchLabels"].as_mapping().unwrap();
        assert_eq!(labels.len(), 2, "{p:?}");
        assert!(p["selector"].get("matchExpressions").is_none(), "{p:?}");
        let (os, arch) = os_arch(&p);
        let name = archive(&os, &arch);
        assert_eq!(
            p["uri"].as_str(),
            Some(format!("@RELEASE_URL@/{name}").as_str())
        );
        assert_eq!(
            p["sha256"].as_str(),
            Some(format!("@SHA256:{name}@").as_str())
        );
        let bin = format!("kubectl-imgdup{}", exe(&os));
        assert_eq!(p["bin"].as_str(), Some(bin.as_str()), "{os}/{arch}");
        // LICENSE: krew-index's CI wants it; `krew install` does not.
        let files: BTreeSet<String> = p["files"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|f| {
                assert_eq!(f["to"].as_str(), Some("."), "{f:?}");
                f["from"].as_str().unwrap().to_string()
            })
            .collect();
        assert_eq!(files, installed_files(&os), "{os}/{arch}");
        seen.push((os, arch));
    }
    let shipped: Vec<_> = SHIPPED
        .iter()
        .map(|(_, o, a)| (o.to_string(), a.to_string()))
        .collect();
    assert_eq!(seen, shipped);
}

/// The binaries to package: stripped copies of the debug builds. What is
/// tested here is the packaging and the rendering, not the release build
/// (scripts/build-static is exercised by the agent image test), and copies
/// cannot change under the test when target/ is rebuilt meanwhile.
fn binaries(into: &Path) -> PathBuf {
    let dir = bin().parent().unwrap().to_path_buf();
    if !dir.join("crictl-which").is_file() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "-q", "--workspace", "--bins"])
            .current_dir(testkit::lab::repo_root())
            .status()
            .unwrap();
        assert!(status.success(), "cargo build --workspace --bins");
    }
    std::fs::create_dir_all(into).unwrap();
    for b in ["kubectl-imgdup", "crictl-which"] {
        let out = Command::new("strip")
            .arg("-o")
            .arg(into.join(b))
            .arg(dir.join(b))
            .output()
            .expect("strip (binutils) is needed");
        assert_exit(&out, 0);
    }
    into.to_path_buf()
}

/// Extracts `archive` into `into`: the names of its entries.
fn untar(archive: &Path, into: &Path) -> BTreeSet<String> {
    std::fs::create_dir_all(into).unwrap();
    let out = Command::new("tar")
        .arg("-xvzf")
        .arg(archive)
        .arg("-C")
        .arg(into)
        .output()
        .unwrap();
    assert_exit(&out, 0);
    stdout(&out).lines().map(String::from).collect()
}

/// This host's archive, as `scripts/release --url-base file` packages it
/// from the debug binaries, installed by the real `kubectl krew` into a
/// krew of its own; then `kubectl imgdup --version` and `kubectl imgdup
/// <TAB>` through kubectl, and `kubectl krew uninstall imgdup` plus the
/// README's removal of the completion link leave nothing behind.
#[test]
fn kubectl_krew_installs_the_release_completes_and_uninstalls_leaving_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dist = tmp.path().join("dist");
    let bins = binaries(&tmp.path().join("bin"));
    let out = release(&[
        "--binary-dir",
        bins.to_str().unwrap(),
        "--dist",
        dist.to_str().unwrap(),
        "--url-base",
        "file",
    ]);
    assert_exit(&out, 0);

    // The rendered manifest names this archive by its file:// URL.
    let manifest = dist.join("krew-manifest.yaml");
    let m = load(&manifest);
    let (os, arch) = host_platform();
    let [p] = &platforms(&m)[..] else {
        panic!("one platform, the host's: {m:?}")
    };
    assert_eq!(os_arch(p), (os.to_string(), arch.to_string()));
    let archive_path = dist.join(archive(os, arch));
    let uri = format!("file://{}", archive_path.display());
    assert_eq!(p["uri"].as_str(), Some(uri.as_str()));
    // The sidecar has the manifest's sum; krew checks it against the archive
    // when it installs it, below.
    let sum = p["sha256"].as_str().unwrap();
    let sidecar =
        std::fs::read_to_string(dist.join(format!("{}.sha256", archive(os, arch)))).unwrap();
    assert_eq!(sidecar, format!("{sum}  {}\n", archive(os, arch)));
    // The archive also carries crictl-which, which krew leaves out.
    let x = tmp.path().join("x");
    assert_eq!(
        untar(&archive_path, &x),
        BTreeSet::from(
            [
                "kubectl-imgdup",
                "crictl-which",
                "kubectl_complete-imgdup",
                "LICENSE"
            ]
            .map(String::from)
        )
    );
    for b in ["kubectl-imgdup", "crictl-which"] {
        let read = |p: PathBuf| std::fs::read(p).unwrap();
        assert!(
            read(x.join(b)) == read(bins.join(b)),
            "{b}: not the binary given"
        );
    }
    let out = Command::new(x.join("crictl-which"))
        .arg("--version")
        .output()
        .unwrap();
    assert_exit(&out, 0);
    assert!(stdout(&out).contains(env!("CARGO_PKG_VERSION")));

    let krew = Krew::new(None);
    krew.install_krew_itself();
    let out = krew.kubectl(&["krew", "list"]);
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("krew local plugin index is not initialized"),
        "{}",
        stderr(&out)
    );
    krew.add_index();

    let out = krew.kubectl(&[
        "krew",
        "install",
        &format!("--manifest={}", manifest.display()),
        &format!("--archive={}", archive_path.display()),
    ]);
    assert_exit(&out, 0);
    assert!(
        stderr(&out).contains("Installed plugin: imgdup"),
        "{}",
        stderr(&out)
    );
    let store = krew.store();
    assert_eq!(names(&store), installed_files(os));
    let license = std::fs::read(testkit::lab::repo_root().join("LICENSE")).unwrap();
    assert!(std::fs::read(store.join("LICENSE")).unwrap() == license);
    let bin_dir = krew.root().join("bin");
    assert_eq!(
        std::fs::read_link(bin_dir.join("kubectl-imgdup")).unwrap(),
        store.join("kubectl-imgdup"),
        "krew links `bin` into its bin dir"
    );
    assert_eq!(
        krew.names("bin"),
        BTreeSet::from(["kubectl-imgdup".into(), "kubectl-krew".into()]),
        "and nothing else: krew has no field for a second executable"
    );
    assert_eq!(
        krew.names("receipts"),
        BTreeSet::from(["imgdup.yaml".into(), "krew.yaml".into()])
    );

    let out = krew.kubectl(&["imgdup", "--version"]);
    assert_exit(&out, 0);
    assert_eq!(
        stdout(&out),
        concat!("kubectl-imgdup ", env!("CARGO_PKG_VERSION"), "\n")
    );

    // kubectl looks for kubectl_complete-imgdup on PATH only: without the
    // README's link, `kubectl imgdup <TAB>` offers nothing of ours.
    let out = krew.kubectl(&["__complete", "imgdup", ""]);
    assert_eq!(completion(&out), (vec![], 0));
    assert!(
        stderr(&out).contains("does not provide a matching completion executable"),
        "{}",
        stderr(&out)
    );
    let link = readme_command("ln -s", "kubectl_complete-imgdup");
    let out = krew.sh(&link);
    assert_exit(&out, 0);
    assert_eq!(
        std::fs::read_link(bin_dir.join("kubectl_complete-imgdup")).unwrap(),
        store.join("kubectl_complete-imgdup")
    );
    let (words, directive) = completion(&krew.kubectl(&["__complete", "imgdup", ""]));
    for w in ["node", "prune", "which", "cleanup", "completion"] {
        assert!(words.contains(&w.to_string()), "{w} missing: {words:?}");
    }
    assert!(!words.iter().any(|w| w == "agent" || w == "__complete"));
    assert_eq!(directive, 4, "NoFileComp");
    let (words, _) = completion(&krew.kubectl(&["__complete", "imgdup", "pr"]));
    assert_eq!(words, ["prune"]);

    let out = krew.kubectl(&["krew", "uninstall", "imgdup"]);
    assert_exit(&out, 0);
    assert!(
        stderr(&out).contains("Uninstalled plugin: imgdup"),
        "{}",
        stderr(&out)
    );
    // krew removed its link, its store and its receipt; the user's link
    // is left, pointing nowhere, until the README's `rm`.
    let helper = bin_dir.join("kubectl_complete-imgdup");
    assert!(helper.symlink_metadata().unwrap().is_symlink() && !helper.exists());
    assert_eq!(krew.imgdup_leftovers(), ["bin/kubectl_complete-imgdup"]);
    let out = krew.sh(&readme_command("rm ", "kubectl_complete-imgdup"));
    assert_exit(&out, 0);
    assert_eq!(krew.imgdup_leftovers(), Vec::<String>::new());
    assert_eq!(krew.names("bin"), BTreeSet::from(["kubectl-krew".into()]));
    assert_eq!(krew.names("store"), BTreeSet::from(["krew".into()]));
    assert_eq!(krew.names("receipts"), BTreeSet::from(["krew.yaml".into()]));
    let out = krew.kubectl(&["krew", "list"]);
    assert_exit(&out, 0);
    assert_eq!(stdout(&out).trim(), "detached/krew");
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
    let out = release(&[
        "--target",
        triple,
        "--binary-dir",
        dir.to_str().unwrap(),
        "--dist",
        dist.to_str().unwrap(),
        "--url-base",
        "file",
    ]);
    assert_exit(&out, 0);
}

/// `scripts/release` renders the platforms whose archives are in dist/
/// (`all` refuses while one of the five is missing); the real krew then
/// installs each of the five from the manifest rendered for the release and
/// that platform's archive, as on that platform (KREW_OS, KREW_ARCH).
#[test]
fn krew_installs_each_of_the_five_platforms_from_its_release_archive() {
    let tmp = tempfile::tempdir().unwrap();
    let dist = tmp.path().join("dist");
    let dist_arg = dist.to_str().unwrap();
    package_stand_in(tmp.path(), &dist, SHIPPED[0]);
    package_stand_in(tmp.path(), &dist, SHIPPED[3]);
    let out = release(&[
        "--render-only",
        "--dist",
        dist_arg,
        "--platforms",
        "present",
    ]);
    assert_exit(&out, 0);
    let rendered: Vec<_> = platforms(&load(&dist.join("krew-manifest.yaml")))
        .iter()
        .map(|p| (os_arch(p), p.clone()))
        .collect();
    assert_eq!(rendered.len(), 2, "{rendered:?}");
    for ((os, arch), p) in rendered {
        let name = archive(&os, &arch);
        assert_eq!(
            p["sha256"].as_str(),
            Some(sha256(&dist.join(&name)).as_str())
        );
        let url = format!(
            "https://github.com/imgdup/imgdup/releases/download/{}/{name}",
            tag()
        );
        assert_eq!(p["uri"].as_str(), Some(url.as_str()));
    }
    let out = release(&["--render-only", "--dist", dist_arg, "--platforms", "all"]);
    assert_exit(&out, 1);
    assert!(stderr(&out).contains(&archive("windows", "amd64")));

    for i in [1, 2, 4] {
        package_stand_in(tmp.path(), &dist, SHIPPED[i]);
    }
    let out = release(&[
        "--render-only",
        "--dist",
        dist_arg,
        "--platforms",
        "all",
        "--url-base",
        "file",
    ]);
    assert_exit(&out, 0);
    let manifest = dist.join("krew-manifest.yaml");
    assert_eq!(platforms(&load(&manifest)).len(), 5);
    for (_, os, arch) in SHIPPED {
        let krew = Krew::new(Some((os, arch)));
        let out = krew.install(&manifest, &dist.join(archive(os, arch)));
        assert_exit(&out, 0);
        let store = krew.store();
        assert_eq!(names(&store), installed_files(os), "{os}/{arch}");
        let bin = format!("kubectl-imgdup{}", exe(os));
        let link = krew.root().join("bin").join(&bin);
        assert_eq!(std::fs::read_link(&link).unwrap(), store.join(&bin));
        assert_eq!(
            std::fs::read_to_string(&link).unwrap(),
            format!("stand-in kubectl-imgdup for {os}/{arch}\n")
        );
    }
}

/// The real krew validates the manifest and the archive itself: each
/// breakage below is refused with krew's own message, and installs nothing.
/// What krew accepts is what the template test must check.
#[test]
fn the_real_krew_refuses_broken_manifests() {
    let tmp = tempfile::tempdir().unwrap();
    let dist = tmp.path().join("dist");
    let (os, arch) = host_platform();
    let host = *SHIPPED
        .iter()
        .find(|(_, o, a)| (*o, *a) == (os, arch))
        .unwrap();
    package_stand_in(tmp.path(), &dist, host);
    let good = load(&dist.join("krew-manifest.yaml"));
    let archive_path = dist.join(archive(os, arch));

    type Breakage = fn(&mut Value);
    let refused: [(&str, &str, Breakage); 13] = [
        ("a wrong sha256", "checksum does not match", |m| {
            m["spec"]["platforms"][0]["sha256"] = "0".repeat(64).into()
        }),
        (
            "an uppercase sha256",
            "is not valid, must match pattern",
            |m| {
                let sha = m["spec"]["platforms"][0]["sha256"]
                    .as_str()
                    .unwrap()
                    .to_uppercase();
                m["spec"]["platforms"][0]["sha256"] = sha.into()
            },
        ),
        (
            "a bin not in the archive",
            "cannot be found in extracted archive",
            |m| m["spec"]["platforms"][0]["bin"] = "kubectl-imgdup-missing".into(),
        ),
        ("no bin", "`bin` has to be set", |m| {
            m["spec"]["platforms"][0]["bin"] = "".into()
        }),
        (
            "a file not in the archive",
            "no files in the plugin archive matched",
            |m| m["spec"]["platforms"][0]["files"][1]["from"] = "kubectl_complete-missing".into(),
        ),
        (
            "empty files",
            "`files` has to be unspecified or non-empty",
            |m| m["spec"]["platforms"][0]["files"] = Value::Sequence(vec![]),
        ),
        ("a version without v", "not starting with 'v'", |m| {
            m["spec"]["version"] = env!("CARGO_PKG_VERSION").into()
        }),
        (
            "no semver",
            "illegal zero-prefixed version component",
            |m| m["spec"]["version"] = "v1.02.3".into(),
        ),
        ("a selector key", "key \"distro\" not supported", |m| {
            m["spec"]["platforms"][0]["selector"]["matchLabels"]["distro"] = "x".into()
        }),
        (
            "no platform for this host",
            "does not offer installation for this platform",
            |m| m["spec"]["platforms"][0]["selector"]["matchLabels"]["arch"] = "s390x".into(),
        ),
        (
            "a two-line shortDescription",
            "should not have line breaks in short description",
            |m| m["spec"]["shortDescription"] = "one\ntwo".into(),
        ),
        (
            "a name krew forbids",
            "the plugin name \"CON\" is not allowed",
            |m| m["metadata"]["name"] = "CON".into(),
        ),
        ("another kind", "only \"Plugin\" is supported", |m| {
            m["kind"] = "Plugins".into()
        }),
    ];
    let accepted: [(&str, Breakage); 2] = [
        ("no LICENSE among the files", |m| {
            let files = m["spec"]["platforms"][0]["files"]
                .as_sequence_mut()
                .unwrap();
            files.retain(|f| f["from"].as_str() != Some("LICENSE"));
        }),
        (
            "a second platform for this host (krew takes the first)",
            |m| {
                let platforms = m["spec"]["platforms"].as_sequence_mut().unwrap();
                let mut second = platforms[0].clone();
                second["bin"] = "kubectl-imgdup-missing".into();
                platforms.push(second);
            },
        ),
    ];
    let try_install = |breakage: Breakage| -> (Krew, Output) {
        let mut m = good.clone();
        breakage(&mut m);
        let krew = Krew::new(None);
        let manifest = krew.dir.path().join("imgdup.yaml");
        std::fs::write(&manifest, serde_yaml::to_string(&m).unwrap()).unwrap();
        let out = krew.install(&manifest, &archive_path);
        (krew, out)
    };
    for (what, message, breakage) in refused {
        let (krew, out) = try_install(breakage);
        assert_eq!(out.status.code(), Some(1), "{what}: {}", stderr(&out));
        assert!(stderr(&out).contains(message), "{what}: {}", stderr(&out));
        assert!(krew.names("receipts").is_empty(), "{what}");
        assert!(krew.names("bin").is_empty(), "{what}");
    }
    for (what, breakage) in accepted {
        let (krew, out) = try_install(breakage);
        assert_exit(&out, 0);
        assert_eq!(
            krew.names("receipts"),
            BTreeSet::from(["imgdup.yaml".into()]),
            "{what}"
        );
    }
}
