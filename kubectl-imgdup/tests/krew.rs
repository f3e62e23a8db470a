//! The krew manifest template follows krew's rules (see `krew/rules.rs` for
//! the sources), and `scripts/release` packages an archive that the
//! manifest it renders describes exactly: sha256, files, bin and version.

mod rules;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_yaml::Value;
use sha2::{Digest, Sha256};

use crate::util::*;
use rules::Sums;

/// The five platforms we ship, as krew names them.
const SHIPPED: [(&str, &str); 5] = [
    ("linux", "amd64"),
    ("linux", "arm64"),
    ("darwin", "amd64"),
    ("darwin", "arm64"),
    ("windows", "amd64"),
];

fn tag() -> String {
    format!("v{}", env!("CARGO_PKG_VERSION"))
}

fn archive(os: &str, arch: &str) -> String {
    format!("kubectl-imgdup_{}_{os}_{arch}.tar.gz", tag())
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

#[test]
fn the_manifest_template_follows_krews_rules() {
    let m = load(&testkit::lab::repo_root().join("krew-manifest.yaml"));
    rules::check("imgdup", &m, Sums::Placeholders).unwrap();
    assert_eq!(
        m["spec"]["version"].as_str(),
        Some(tag().as_str()),
        "== Cargo's version"
    );
    let homepage = m["spec"]["homepage"].as_str().unwrap();
    assert!(homepage.starts_with("https://"), "{homepage}");
    let mut seen = BTreeSet::new();
    for p in platforms(&m) {
        let (os, arch) = os_arch(&p);
        assert!(seen.insert((os.clone(), arch.clone())), "{os}/{arch} twice");
        let name = archive(&os, &arch);
        assert_eq!(
            p["uri"].as_str(),
            Some(format!("@RELEASE_URL@/{name}").as_str())
        );
        assert_eq!(
            p["sha256"].as_str(),
            Some(format!("@SHA256:{name}@").as_str())
        );
        let bin = if os == "windows" {
            "kubectl-imgdup.exe"
        } else {
            "kubectl-imgdup"
        };
        assert_eq!(p["bin"].as_str(), Some(bin), "{os}/{arch}");
        let from: Vec<&str> = p["files"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|f| f["from"].as_str().unwrap())
            .collect();
        assert_eq!(from, [bin, "LICENSE"], "{os}/{arch}");
    }
    let shipped: BTreeSet<_> = SHIPPED
        .iter()
        .map(|(o, a)| (o.to_string(), a.to_string()))
        .collect();
    assert_eq!(seen, shipped);
}

/// The check itself can fail: each breakage krew rejects is rejected.
#[test]
fn the_rule_check_rejects_what_krew_rejects() {
    let m = load(&testkit::lab::repo_root().join("krew-manifest.yaml"));
    let real = |mut m: Value| {
        for p in m["spec"]["platforms"].as_sequence_mut().unwrap() {
            p["sha256"] = "ab".repeat(32).into();
        }
        m
    };
    assert_eq!(rules::check("imgdup", &real(m.clone()), Sums::Real), Ok(()));
    type Breakage = fn(&mut Value);
    let breakages: [(&str, Breakage); 10] = [
        ("uppercase sha256", |m| {
            m["spec"]["platforms"][0]["sha256"] = "AB".repeat(32).into()
        }),
        ("short sha256", |m| {
            m["spec"]["platforms"][0]["sha256"] = "abc".into()
        }),
        ("two lines", |m| {
            m["spec"]["shortDescription"] = "one\ntwo".into()
        }),
        ("no v", |m| {
            m["spec"]["version"] = env!("CARGO_PKG_VERSION").into()
        }),
        ("no bin", |m| m["spec"]["platforms"][1]["bin"] = "".into()),
        ("overlap", |m| {
            m["spec"]["platforms"][1]["selector"]["matchLabels"]["arch"] = "amd64".into()
        }),
        ("bad key", |m| {
            m["spec"]["platforms"][2]["selector"]["matchLabels"]["distro"] = "x".into()
        }),
        ("no license", |m| {
            m["spec"]["platforms"][0]["files"]
                .as_sequence_mut()
                .unwrap()
                .pop();
        }),
        ("unknown arch", |m| {
            m["spec"]["platforms"][0]["selector"]["matchLabels"]["arch"] = "s390x".into()
        }),
        ("kind", |m| m["kind"] = "Plugins".into()),
    ];
    for (what, breakage) in breakages {
        let mut broken = real(m.clone());
        breakage(&mut broken);
        assert!(
            rules::check("imgdup", &broken, Sums::Real).is_err(),
            "{what} passed"
        );
    }
    assert!(
        rules::check("imgdup", &m, Sums::Real).is_err(),
        "placeholders are no sums"
    );
    assert!(
        rules::check("img-dup", &m, Sums::Placeholders).is_err(),
        "name != file name"
    );
    assert!(!rules::is_semver_with_v("v1.02.3") && rules::is_semver_with_v("v1.2.3-rc.1"));
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

fn host_platform() -> (&'static str, &'static str) {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => panic!("no krew arch for {other}"),
    };
    (std::env::consts::OS, arch)
}

fn tar_list(archive: &Path) -> BTreeSet<String> {
    let out = Command::new("tar")
        .arg("-tzf")
        .arg(archive)
        .output()
        .unwrap();
    assert_exit(&out, 0);
    stdout(&out).lines().map(String::from).collect()
}

#[test]
fn release_packages_the_archive_the_rendered_manifest_describes() {
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

    let m = load(&dist.join("krew-manifest.yaml"));
    rules::check("imgdup", &m, Sums::Real).unwrap();
    assert_eq!(m["spec"]["version"].as_str(), Some(tag().as_str()));
    let rendered = platforms(&m);
    let [p] = &rendered[..] else {
        panic!("one platform, the host's: {m:?}")
    };
    let (os, arch) = host_platform();
    assert_eq!(os_arch(p), (os.to_string(), arch.to_string()));
    let archive_path = dist.join(archive(os, arch));
    let uri = format!("file://{}", archive_path.display());
    assert_eq!(p["uri"].as_str(), Some(uri.as_str()));
    let sum = sha256(&archive_path);
    assert_eq!(
        p["sha256"].as_str(),
        Some(sum.as_str()),
        "the archive's real sha256"
    );
    let sidecar =
        std::fs::read_to_string(dist.join(format!("{}.sha256", archive(os, arch)))).unwrap();
    assert_eq!(sidecar, format!("{sum}  {}\n", archive(os, arch)));

    // What the archive holds, and what krew would install from it.
    let mut expected: BTreeSet<String> = ["kubectl-imgdup", "crictl-which", "LICENSE"]
        .map(String::from)
        .into();
    if testkit::lab::repo_root()
        .join("kubectl_complete-imgdup")
        .is_file()
    {
        expected.insert("kubectl_complete-imgdup".into());
    }
    let entries = tar_list(&archive_path);
    assert_eq!(entries, expected);
    for f in p["files"].as_sequence().unwrap() {
        assert!(
            entries.contains(f["from"].as_str().unwrap()),
            "{f:?} not in the archive"
        );
        assert_eq!(f["to"].as_str(), Some("."));
    }
    assert!(entries.contains(p["bin"].as_str().unwrap()));

    let x = tmp.path().join("x");
    std::fs::create_dir(&x).unwrap();
    let out = Command::new("tar")
        .arg("-xzf")
        .arg(&archive_path)
        .arg("-C")
        .arg(&x)
        .output()
        .unwrap();
    assert_exit(&out, 0);
    assert_eq!(
        sha256(&x.join("LICENSE")),
        sha256(&testkit::lab::repo_root().join("LICENSE"))
    );
    for b in ["kubectl-imgdup", "crictl-which"] {
        assert_eq!(
            sha256(&x.join(b)),
            sha256(&bins.join(b)),
            "{b}: the binary given"
        );
    }
    for b in ["kubectl-imgdup", "crictl-which"] {
        let out = Command::new(x.join(b)).arg("--version").output().unwrap();
        assert_exit(&out, 0);
        assert!(
            stdout(&out).contains(env!("CARGO_PKG_VERSION")),
            "{b}: {}",
            stdout(&out)
        );
    }

    // Other platforms render from the archives present in dist/; `all`
    // refuses to render while any of the five is missing.
    let other = dist.join(archive("darwin", "arm64"));
    std::fs::write(&other, b"stand-in for the darwin/arm64 archive").unwrap();
    let dist_arg = dist.to_str().unwrap();
    let out = release(&[
        "--render-only",
        "--dist",
        dist_arg,
        "--platforms",
        "present",
    ]);
    assert_exit(&out, 0);
    let m = load(&dist.join("krew-manifest.yaml"));
    rules::check("imgdup", &m, Sums::Real).unwrap();
    let rendered: Vec<_> = platforms(&m)
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
    assert!(testkit::cmd::stderr(&out).contains(&archive("windows", "amd64")));
}
