//! What the template must get right by itself, and what `scripts/release`
//! renders from it for the five platforms we ship. krew checks the rest
//! (`install`), so the template test checks only what krew does not; the
//! rendered manifest is then installed by the real krew as on each of the
//! five platforms, from that platform's archive.

use std::collections::BTreeSet;

use super::harness::Krew;
use super::{
    SHIPPED, archive, exe, installed_files, load, names, os_arch, package_stand_in, platforms,
    release, sha256, tag,
};
use crate::util::*;
use testkit::cmd::stderr;

/// What krew does not check, and so the template must get right by itself.
/// (Everything krew does check is left to it: the five-platform test below
/// and the tests in `install`.)
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
