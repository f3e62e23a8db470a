//! Property tests for every parser that reads a node file (issue 8).
//!
//! Each parser gets the same questions: arbitrary bytes, truncations of
//! valid input, non-UTF-8 and huge input must never panic; valid input must
//! read back exactly; invalid input must be an error, never a quiet wrong
//! value. Case counts are set per property so the whole suite stays within
//! a few seconds on two cores (`cargo fuzz` needs nightly, which we lack).

mod bolt;
mod cmdline;
mod containerd_blobs;
mod containerd_meta;
mod containerd_store;
mod crictl_yaml;
mod daemon_config;
mod docker_files;
mod docker_store;
mod net_unix;

use proptest::prelude::*;

/// Arbitrary bytes up to `max` long.
pub(super) fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..max)
}

/// Bytes that are mostly text: printable ASCII, newlines, YAML/JSON/TOML
/// punctuation and a few invalid UTF-8 bytes, which reach deeper into a
/// parser than uniform noise does.
pub(super) fn texty(max: usize) -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        8 => 0x20u8..0x7f,
        2 => prop::sample::select(b"\n\t:-[]{}\"'#=,.&*!|>".to_vec()),
        1 => prop::sample::select(vec![0xffu8, 0xc3, 0x80, 0x00]),
    ];
    prop::collection::vec(byte, 0..max)
}

/// A `sha256:<hex>` digest.
pub(super) fn digest() -> impl Strategy<Value = String> {
    "[0-9a-f]{64}".prop_map(|h| format!("sha256:{h}"))
}

/// A plain absolute path, safe unquoted in YAML, JSON and TOML.
pub(super) fn host_path() -> impl Strategy<Value = String> {
    "/[a-z0-9][a-z0-9/._-]{0,30}"
}
