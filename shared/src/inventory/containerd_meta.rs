//! containerd's two bolt databases, read from a copy of their bytes (see
//! [`crate::host::bolt`]) without the daemon:
//! - `io.containerd.metadata.v1.bolt/meta.db` (containerd's
//!   `core/metadata/buckets.go`, the same in 1.6 and 2.x):
//!   `v1/<namespace>/{images,containers,snapshots,content/blob,leases}`;
//! - a snapshotter's `metadata.db` (`core/snapshots/storage/bolt.go`):
//!   `v1/snapshots/<key>/{id,kind,parent}`, where `id` names the
//!   snapshot's directory `snapshots/<id>`.
//!
//! A namespace's snapshot key (a ChainID for an unpacked layer) maps to a
//! backend key (`<ns>/<n>/<chainid>`) through meta.db's `name`, and that to
//! its directory through the snapshotter's `id`.

use std::collections::BTreeMap;
use std::io::Read;

use crate::host::bolt::{BoltError, Bucket, Db, Value};
use crate::host::dir_handle::HostDir;
use crate::host::root::HostRoot;

/// meta.db under a containerd root.
pub(crate) const META_DIR: &str = "io.containerd.metadata.v1.bolt";
/// The overlayfs snapshotter's directory under a containerd root.
pub(crate) const OVERLAY_DIR: &str = "io.containerd.snapshotter.v1.overlayfs";
/// Larger than any meta.db we have seen by far (10k images is a few MB);
/// a bigger file is read as a gap rather than into memory.
const MAX_DB: u64 = 512 * 1024 * 1024;
/// Copies taken before a database that keeps changing is a gap.
const TRIES: usize = 3;
/// Read again after a copy: both metas, for any page size bbolt writes.
const HEAD: usize = 2 * 65536;

/// One namespace of meta.db.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Namespace {
    /// Image name → its target digest.
    pub images: BTreeMap<String, String>,
    /// Container id → the image name it was created from.
    pub containers: BTreeMap<String, String>,
    /// Snapshotter → snapshot key → its key in the snapshotter (`name`).
    pub snapshots: BTreeMap<String, BTreeMap<String, String>>,
    /// Blob digest → its labels (`containerd.io/gc.ref.*`,
    /// `containerd.io/uncompressed`, ...).
    pub content: BTreeMap<String, BTreeMap<String, String>>,
    /// Lease id → the blobs it holds (the GC keeps them while it lives).
    pub leases: BTreeMap<String, Vec<String>>,
}

/// What meta.db says, by namespace.
pub type Meta = BTreeMap<String, Namespace>;

/// One snapshot of a snapshotter's metadata.db.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// Its directory is `snapshots/<id>`.
    pub id: u64,
    /// 1 view, 2 active, 3 committed (containerd's `snapshots.Kind`).
    pub kind: u8,
    pub parent: Option<String>,
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Keys of `bucket` that are plain data, with their values as text.
fn strings(bucket: Option<Bucket<'_>>) -> Result<BTreeMap<String, String>, BoltError> {
    let mut out = BTreeMap::new();
    for (k, v) in bucket.map(|b| b.entries()).transpose()?.unwrap_or_default() {
        if let Value::Data(v) = v {
            out.insert(text(k), text(v));
        }
    }
    Ok(out)
}

/// Nested buckets of `bucket`, by name.
fn buckets<'a>(bucket: Option<Bucket<'a>>) -> Result<Vec<(String, Bucket<'a>)>, BoltError> {
    let mut out = Vec::new();
    for (k, v) in bucket.map(|b| b.entries()).transpose()?.unwrap_or_default() {
        if let Value::Bucket(b) = v {
            out.push((text(k), b));
        }
    }
    Ok(out)
}

/// Parses meta.db. Objects with missing fields are skipped, as containerd
/// itself would not list them.
pub fn parse_meta(db: &Db) -> Result<Meta, BoltError> {
    let mut meta = Meta::new();
    for (name, ns) in buckets(db.root().bucket(b"v1")?)? {
        let mut out = Namespace::default();
        for (image, b) in buckets(ns.bucket(b"images")?)? {
            if let Some(digest) = b
                .path(&[b"target"])?
                .map(|t| t.get(b"digest"))
                .transpose()?
            {
                out.images.insert(image, text(digest.unwrap_or_default()));
            }
        }
        out.images.retain(|_, d| !d.is_empty());
        for (id, b) in buckets(ns.bucket(b"containers")?)? {
            if let Some(image) = b.get(b"image")? {
                out.containers.insert(id, text(image));
            }
        }
        for (snapshotter, b) in buckets(ns.bucket(b"snapshots")?)? {
            let keys = out.snapshots.entry(snapshotter).or_default();
            for (key, s) in buckets(Some(b))? {
                if let Some(name) = s.get(b"name")? {
                    keys.insert(key, text(name));
                }
            }
        }
        for (digest, b) in buckets(ns.path(&[b"content", b"blob"])?)? {
            out.content.insert(digest, strings(b.bucket(b"labels")?)?);
        }
        for (id, b) in buckets(ns.bucket(b"leases")?)? {
            let blobs = strings(b.bucket(b"content")?)?.into_keys().collect();
            out.leases.insert(id, blobs);
        }
        meta.insert(name, out);
    }
    Ok(meta)
}

/// Parses a snapshotter's metadata.db: backend key → snapshot.
pub fn parse_snapshots(db: &Db) -> Result<BTreeMap<String, Snapshot>, BoltError> {
    let mut out = BTreeMap::new();
    for (key, b) in buckets(db.root().path(&[b"v1", b"snapshots"])?)? {
        let Some(id) = b.get(b"id")?.and_then(uvarint) else {
            continue;
        };
        let kind = b
            .get(b"kind")?
            .and_then(|k| k.first().copied())
            .unwrap_or(0);
        let parent = b.get(b"parent")?.filter(|p| !p.is_empty()).map(text);
        out.insert(key, Snapshot { id, kind, parent });
    }
    Ok(out)
}

/// Go's `binary.Uvarint`; `None` when malformed.
fn uvarint(b: &[u8]) -> Option<u64> {
    let mut x = 0u64;
    for (i, byte) in b.iter().enumerate().take(10) {
        let low = u64::from(byte & 0x7f);
        if i == 9 && *byte > 1 {
            return None;
        }
        x |= low << (7 * i);
        if byte & 0x80 == 0 {
            return Some(x);
        }
    }
    None
}

/// A consistent copy of the bolt file `dir/name` (host path `dir`): read
/// whole, then its two meta pages read again; a copy whose metas changed
/// meanwhile was torn by a commit and is taken again. Never locks (a live
/// containerd holds bolt's flock) and never writes. `Err` is the gap.
pub fn load(host: &HostRoot, dir: &str, name: &str) -> Result<Option<Db>, String> {
    let path = format!("{}/{name}", dir.trim_end_matches('/'));
    let opened = match HostDir::open(host, dir) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {dir}: {e} (run as root?)")),
    };
    for _ in 0..TRIES {
        let bytes = match opened.read_capped(name, MAX_DB) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("cannot read {path}: {e} (run as root?)")),
        };
        let before = bytes[..bytes.len().min(HEAD)].to_vec();
        let db = Db::from_bytes(bytes).map_err(|e| format!("{path}: {e}"));
        let mut after = Vec::new();
        let again = opened
            .open_file(name, MAX_DB)
            .and_then(|(f, _)| f.take(HEAD as u64).read_to_end(&mut after));
        if again.is_ok() && after == before {
            return db.map(Some);
        }
    }
    Err(format!(
        "{path} kept changing while it was read ({TRIES} copies): is its containerd running after all?"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::bolt::write::{Node, write};

    fn b(entries: Vec<(&str, Node)>) -> Node {
        Node::Bucket(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }
    fn d(v: &[u8]) -> Node {
        Node::Data(v.to_vec())
    }

    #[test]
    fn meta_db_layout_reads_back() {
        let ns = b(vec![
            (
                "containers",
                b(vec![("c1", b(vec![("image", d(b"app:1"))]))]),
            ),
            (
                "content",
                b(vec![(
                    "blob",
                    b(vec![(
                        "sha256:cfg",
                        b(vec![(
                            "labels",
                            b(vec![(
                                "containerd.io/gc.ref.snapshot.overlayfs",
                                d(b"sha256:c"),
                            )]),
                        )]),
                    )]),
                )]),
            ),
            (
                "images",
                b(vec![
                    (
                        "app:1",
                        b(vec![("target", b(vec![("digest", d(b"sha256:m"))]))]),
                    ),
                    ("broken", b(vec![("target", b(vec![]))])),
                ]),
            ),
            (
                "leases",
                b(vec![(
                    "l1",
                    b(vec![("content", b(vec![("sha256:m", d(b""))]))]),
                )]),
            ),
            (
                "snapshots",
                b(vec![(
                    "overlayfs",
                    b(vec![(
                        "sha256:c",
                        b(vec![("name", d(b"k8s.io/3/sha256:c"))]),
                    )]),
                )]),
            ),
        ]);
        let file = write(&[(b"v1".to_vec(), b(vec![("k8s.io", ns)]))], 4096, true);
        let meta = parse_meta(&Db::from_bytes(file).unwrap()).unwrap();
        let ns = &meta["k8s.io"];
        assert_eq!(
            ns.images.len(),
            1,
            "an image without a target digest is skipped"
        );
        assert_eq!(ns.images["app:1"], "sha256:m");
        assert_eq!(ns.containers["c1"], "app:1");
        assert_eq!(ns.snapshots["overlayfs"]["sha256:c"], "k8s.io/3/sha256:c");
        assert_eq!(
            ns.content["sha256:cfg"]["containerd.io/gc.ref.snapshot.overlayfs"],
            "sha256:c"
        );
        assert_eq!(ns.leases["l1"], vec!["sha256:m".to_string()]);
    }

    #[test]
    fn snapshot_ids_are_go_uvarints() {
        let snap = |id: &[u8], parent: &[u8]| {
            b(vec![
                ("id", d(id)),
                ("kind", d(&[3])),
                ("parent", d(parent)),
            ])
        };
        let snaps = b(vec![
            ("a", snap(&[0x96, 0x01], b"")),
            ("b", snap(&[7], b"a")),
            ("bad", snap(&[0x80], b"")),
        ]);
        let file = write(
            &[(b"v1".to_vec(), b(vec![("snapshots", snaps)]))],
            4096,
            false,
        );
        let got = parse_snapshots(&Db::from_bytes(file).unwrap()).unwrap();
        assert_eq!(
            got["a"],
            Snapshot {
                id: 150,
                kind: 3,
                parent: None
            }
        );
        assert_eq!(got["b"].parent.as_deref(), Some("a"));
        assert!(!got.contains_key("bad"), "a malformed id is skipped");
    }
}
