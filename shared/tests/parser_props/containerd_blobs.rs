//! containerd content blobs: indexes, manifests and configs
//! ([`crate::inventory::containerd_blobs`]).

use proptest::prelude::*;
use serde_json::json;

use super::{bytes, digest, texty};
use crate::inventory::containerd_blobs::{
    CONTENT_DIR, Doc, blob_host_path, matches_digest, node_arch, parse_diff_ids, parse_doc,
};

fn manifest(config: &str, layers: &[String]) -> Vec<u8> {
    let layers: Vec<_> = layers
        .iter()
        .map(|d| json!({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": 1}))
        .collect();
    serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": 1},
        "layers": layers,
    }))
    .unwrap()
}

/// An index child: its digest, platform, and whether it is an attestation.
fn child() -> impl Strategy<Value = (String, &'static str, bool)> {
    let arch = prop::sample::select(vec!["amd64", "arm64", "s390x", "unknown"]);
    (digest(), arch, prop::bool::weighted(0.2))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(input in bytes(512), text in texty(256)) {
        for b in [&input, &text] {
            let _ = (parse_doc(b), parse_diff_ids(b));
        }
    }

    #[test]
    fn manifests_read_back(config in digest(), layers in prop::collection::vec(digest(), 0..6)) {
        let want = Doc::Manifest { config: Some(config.clone()), layers: layers.clone() };
        prop_assert_eq!(parse_doc(&manifest(&config, &layers)), Some(want));
    }

    #[test]
    fn a_truncated_manifest_is_no_document(config in digest(), layers in prop::collection::vec(digest(), 0..3), at in any::<prop::sample::Index>()) {
        let full = manifest(&config, &layers);
        prop_assert_eq!(parse_doc(&full[..at.index(full.len())]), None);
        // ... and the reader never trusts it: it no longer hashes to its name.
        let name = format!("sha256:{:x}", <sha2::Sha256 as sha2::Digest>::digest(&full));
        prop_assert!(matches_digest(&name, &full));
        prop_assert!(!matches_digest(&name, &full[..at.index(full.len())]));
    }

    #[test]
    fn indexes_put_this_node_first_and_drop_attestations(children in prop::collection::vec(child(), 0..6)) {
        let manifests: Vec<_> = children
            .iter()
            .map(|(d, arch, att)| {
                let mut m = json!({"digest": d, "platform": {"os": "linux", "architecture": arch}});
                if *att {
                    m["annotations"] = json!({"vnd.docker.reference.type": "attestation-manifest"});
                }
                m
            })
            .collect();
        let doc = serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": manifests})).unwrap();
        let kept: Vec<&(String, &str, bool)> = children.iter().filter(|c| !c.2).collect();
        let mut want: Vec<String> = kept.iter().filter(|c| c.1 == node_arch()).map(|c| c.0.clone()).collect();
        want.extend(kept.iter().filter(|c| c.1 != node_arch()).map(|c| c.0.clone()));
        prop_assert_eq!(parse_doc(&doc), Some(Doc::Index(want)));
    }

    #[test]
    fn configs_read_back_and_their_prefixes_do_not(ids in prop::collection::vec(digest(), 0..6), at in any::<prop::sample::Index>()) {
        let config = serde_json::to_vec(&json!({"os": "linux", "rootfs": {"type": "layers", "diff_ids": ids}})).unwrap();
        prop_assert_eq!(parse_diff_ids(&config), Some(ids));
        prop_assert_eq!(parse_diff_ids(&config[..at.index(config.len())]), None);
    }

    #[test]
    fn blob_paths_never_leave_the_content_store(digest in "(?s).{0,80}") {
        if let Some(path) = blob_host_path("/var/lib/containerd", &digest) {
            let prefix = format!("/var/lib/containerd/{CONTENT_DIR}/blobs/");
            let rest = path.strip_prefix(&prefix).expect("under blobs/");
            let parts: Vec<&str> = rest.split('/').collect();
            prop_assert_eq!(parts.len(), 2, "{}", path);
            prop_assert!(parts.iter().all(|p| !p.is_empty() && *p != ".." && *p != "."), "{}", path);
        }
    }
}
