//! What the real `kubectl krew` does with our release: this host's archive,
//! packaged from the debug binaries, installs, completes through kubectl
//! (with the README's link) and uninstalls leaving nothing; and the broken
//! manifests krew refuses with its own message, installing nothing. What
//! krew accepts here is what the template test (`manifest`) must check.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_yaml::Value;

use super::harness::Krew;
use super::{
    SHIPPED, archive, host_platform, installed_files, load, names, os_arch, package,
    package_stand_in, platforms,
};
use crate::util::*;
use testkit::cmd::stderr;

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
    package(None, &bins, &dist);

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
