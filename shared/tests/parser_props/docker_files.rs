//! Docker's image config, as the offline reader takes DiffIDs from it
//! ([`crate::inventory::docker_files::config_diff_ids`]).

use proptest::prelude::*;
use serde_json::json;

use super::{bytes, digest, texty};
use crate::inventory::docker_files::config_diff_ids;

/// An image config as dockerd writes it (compact, no trailing newline).
fn config(diff_ids: &[String]) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "architecture": "amd64",
        "config": {"Env": ["PATH=/bin"], "Cmd": ["/app"]},
        "created": "2024-01-01T00:00:00Z",
        "history": [{"created_by": "COPY . /"}],
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }))
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(input in bytes(512), text in texty(256)) {
        let _ = config_diff_ids(&input);
        let _ = config_diff_ids(&text);
    }

    #[test]
    fn diff_ids_read_back_in_order(ids in prop::collection::vec(digest(), 0..8)) {
        prop_assert_eq!(config_diff_ids(&config(&ids)), Ok(ids));
    }

    #[test]
    fn a_truncated_config_is_an_error(ids in prop::collection::vec(digest(), 0..4), at in any::<prop::sample::Index>()) {
        let full = config(&ids);
        prop_assert!(config_diff_ids(&full[..at.index(full.len())]).is_err());
    }

    #[test]
    fn invalid_utf8_is_an_error(ids in prop::collection::vec(digest(), 0..4), at in any::<prop::sample::Index>()) {
        let mut full = config(&ids);
        full.insert(at.index(full.len() + 1), 0xff);
        prop_assert!(config_diff_ids(&full).is_err());
    }

    #[test]
    fn diff_ids_of_the_wrong_shape_are_errors(bad in prop_oneof![
        Just(json!("sha256:abc")),
        Just(json!({"0": "sha256:abc"})),
        any::<i64>().prop_map(|n| json!([n])),
        Just(json!(["sha256:abc", null])),
    ]) {
        let doc = serde_json::to_vec(&json!({"rootfs": {"diff_ids": bad}})).unwrap();
        prop_assert!(config_diff_ids(&doc).is_err());
    }
}

#[test]
fn a_config_without_rootfs_is_an_error_and_an_empty_one_has_no_layers() {
    assert!(config_diff_ids(br#"{"os":"linux"}"#).is_err());
    assert_eq!(
        config_diff_ids(br#"{"rootfs":{"type":"layers"}}"#),
        Ok(vec![])
    );
    let deep = format!(
        "{{\"rootfs\": {}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert!(config_diff_ids(deep.as_bytes()).is_err());
}
