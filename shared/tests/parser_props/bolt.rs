//! bbolt files ([`crate::host::bolt`]): what is written reads back; truncated,
//! torn and garbage files are errors or other data, never a panic.

use proptest::prelude::*;

use super::bytes;
use crate::host::bolt::write::{Node, read_back, write};
use crate::host::bolt::{BoltError, Db};

/// Sorted, unique keys.
fn keys(max: usize) -> impl Strategy<Value = Vec<Vec<u8>>> {
    prop::collection::btree_set(prop::collection::vec(any::<u8>(), 1..12), 0..max)
        .prop_map(|s| s.into_iter().collect())
}

/// A bucket tree: values over 4 KiB reach overflow pages (one byte
/// repeated: random bytes that long would make the cases slow).
fn tree() -> impl Strategy<Value = Vec<(Vec<u8>, Node)>> {
    let leaf = prop_oneof![
        4 => prop::collection::vec(any::<u8>(), 0..40).prop_map(Node::Data),
        1 => (any::<u8>(), 4090..4200usize).prop_map(|(b, n)| Node::Data(vec![b; n])),
    ];
    let node = leaf.prop_recursive(3, 40, 10, |inner| {
        (keys(10), prop::collection::vec(inner, 10))
            .prop_map(|(k, v)| Node::Bucket(k.into_iter().zip(v).collect()))
    });
    (keys(8), prop::collection::vec(node, 8)).prop_map(|(k, v)| {
        // Only buckets may sit at the top, as in bbolt.
        k.into_iter()
            .zip(v)
            .map(|(k, n)| match n {
                Node::Data(_) => (k, Node::Bucket(Vec::new())),
                b => (k, b),
            })
            .collect()
    })
}

fn read_all(data: Vec<u8>) -> Result<Vec<(Vec<u8>, Node)>, BoltError> {
    let db = Db::from_bytes(data)?;
    read_back(&db.root(), 8)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn arbitrary_bytes_never_panic(input in bytes(20_000)) {
        let _ = read_all(input);
    }

    #[test]
    fn what_is_written_reads_back(t in tree(), inline in any::<bool>(), size in prop::sample::select(vec![4096usize, 16384])) {
        prop_assert_eq!(read_all(write(&t, size, inline)), Ok(t));
    }

    #[test]
    fn a_truncated_file_is_an_error(t in tree(), at in any::<prop::sample::Index>()) {
        let full = write(&t, 4096, true);
        let cut = full[..at.index(full.len())].to_vec();
        let refused = matches!(read_all(cut), Err(BoltError::Truncated { .. } | BoltError::NoMeta));
        prop_assert!(refused);
    }

    #[test]
    fn a_torn_meta_falls_back_to_the_other(t in tree(), which in 0usize..2, at in 16usize..80) {
        let mut file = write(&t, 4096, true);
        file[which * 4096 + at] ^= 0x5a;
        prop_assert_eq!(read_all(file), Ok(t));
    }

    #[test]
    fn garbage_pages_never_panic(t in tree(), hits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..40)) {
        let mut file = write(&t, 4096, true);
        let len = file.len();
        for (at, b) in hits {
            // Pages past the metas: the metas' checksums catch their damage.
            let i = 8192 + at.index(len - 8192);
            file[i] = b;
        }
        let _ = read_all(file);
    }
}
