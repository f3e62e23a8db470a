//! A read-only reader of bbolt files (go.etcd.io/bbolt), the format of
//! containerd's `meta.db` and of its snapshotters' `metadata.db`.
//!
//! Why our own: `bolt-lite` (the one crate made for meta.db) indexes pages
//! without bounds checks on branch pages and never verifies the meta
//! checksum, so a torn copy reads as garbage or panics; `bbolt-rs` opens
//! files read-only with a blocking `flock(LOCK_SH)` that a running
//! containerd's exclusive lock would hang, and maps untrusted bytes through
//! unsafe casts. This reader works on a copy of the bytes in memory: it
//! never opens the file itself, never locks, never writes. Every offset is
//! bounds-checked, each tree walk visits a page at most once, and a meta
//! page is only trusted when its FNV-1a checksum holds, as bbolt does.
//!
//! Layout (bbolt `internal/common`): pages of `page_size` bytes with a
//! 16-byte header `{id u64, flags u16, count u16, overflow u32}`; pages 0
//! and 1 hold the two metas, the newer valid one wins; a bucket value is
//! `{root u64, sequence u64}`, followed by the bucket's own leaf page when
//! `root` is 0 (an inline bucket).

#[cfg(test)]
pub(crate) mod write;

use std::collections::HashSet;

const MAGIC: u32 = 0xED0C_DAED;
const VERSION: u32 = 2;
const HEADER: usize = 16;
const ELEMENT: usize = 16;
const BRANCH: u16 = 0x01;
const LEAF: u16 = 0x02;
const META: u16 = 0x04;
const BUCKET_LEAF: u32 = 0x01;
/// Page sizes bbolt writes (the OS page size); meta 1 sits one page in.
const PAGE_SIZES: [usize; 4] = [4096, 8192, 16384, 65536];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BoltError {
    #[error("not a bolt database (no valid meta page: bad magic, version or checksum)")]
    NoMeta,
    #[error(
        "the database ends at {len} bytes but its meta names {needed}: truncated, or copied while it was written"
    )]
    Truncated { len: usize, needed: u64 },
    #[error("page {page}: {why} (corrupt, or copied while it was written)")]
    Corrupt { page: u64, why: &'static str },
}

fn corrupt(page: u64, why: &'static str) -> BoltError {
    BoltError::Corrupt { page, why }
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}
fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}
fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// FNV-1a 64, bbolt's meta checksum.
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// One meta page, when it is a valid one.
#[derive(Debug, Clone, Copy)]
struct Meta {
    page_size: usize,
    root: u64,
    high: u64,
    txid: u64,
}

fn meta_at(data: &[u8], offset: usize) -> Option<Meta> {
    let page = data.get(offset..)?;
    if u16_at(page, 8)? & META == 0 {
        return None;
    }
    let m = page.get(HEADER..HEADER + 64)?;
    let ok =
        u32_at(m, 0)? == MAGIC && u32_at(m, 4)? == VERSION && fnv1a64(&m[..56]) == u64_at(m, 56)?;
    let page_size = u32_at(m, 8)? as usize;
    (ok && PAGE_SIZES.contains(&page_size)).then_some(Meta {
        page_size,
        root: u64_at(m, 16)?,
        high: u64_at(m, 40)?,
        txid: u64_at(m, 48)?,
    })
}

/// A bolt database held in memory.
pub struct Db {
    data: Vec<u8>,
    meta: Meta,
}

impl Db {
    /// Reads the newest valid meta of `data` (the whole file). Pages are
    /// checked lazily, as buckets are walked.
    pub fn from_bytes(data: Vec<u8>) -> Result<Self, BoltError> {
        let first = meta_at(&data, 0);
        let size = first.map(|m| m.page_size);
        let second = PAGE_SIZES
            .iter()
            .filter(|s| size.is_none_or(|p| p == **s))
            .find_map(|s| meta_at(&data, *s).filter(|m| m.page_size == *s));
        let meta = match (first, second) {
            (Some(a), Some(b)) => {
                if b.txid > a.txid {
                    b
                } else {
                    a
                }
            }
            (Some(m), None) | (None, Some(m)) => m,
            (None, None) => return Err(BoltError::NoMeta),
        };
        let needed = meta.high.saturating_mul(meta.page_size as u64);
        if (data.len() as u64) < needed {
            return Err(BoltError::Truncated {
                len: data.len(),
                needed,
            });
        }
        Ok(Self { data, meta })
    }

    /// The top-level bucket, whose entries are the named root buckets.
    pub fn root(&self) -> Bucket<'_> {
        Bucket {
            db: self,
            root: self.meta.root,
            inline: None,
        }
    }

    /// Page `id` with its overflow pages; only pages below the meta's high
    /// water mark exist in this transaction.
    fn page(&self, id: u64) -> Result<&[u8], BoltError> {
        if id < 2 || id >= self.meta.high {
            return Err(corrupt(id, "page id out of range"));
        }
        let size = self.meta.page_size;
        let start = (id as usize).saturating_mul(size);
        let head = self
            .data
            .get(start..start + HEADER)
            .ok_or(corrupt(id, "past the end"))?;
        if u64_at(head, 0) != Some(id) {
            return Err(corrupt(id, "page header names another page"));
        }
        let overflow = u32_at(head, 12).unwrap_or(0) as u64;
        if id.saturating_add(overflow) >= self.meta.high {
            return Err(corrupt(id, "overflow past the last page"));
        }
        let end = start + (1 + overflow as usize) * size;
        self.data.get(start..end).ok_or(corrupt(id, "past the end"))
    }
}

/// A bucket: a B+tree of pages, or one inline leaf page.
#[derive(Clone, Copy)]
pub struct Bucket<'a> {
    db: &'a Db,
    root: u64,
    inline: Option<&'a [u8]>,
}

/// One key of a bucket: plain data, or a nested bucket.
pub enum Value<'a> {
    Data(&'a [u8]),
    Bucket(Bucket<'a>),
}

impl<'a> Bucket<'a> {
    /// Every entry, in key order.
    pub fn entries(&self) -> Result<Vec<(&'a [u8], Value<'a>)>, BoltError> {
        let mut out = Vec::new();
        match self.inline {
            Some(page) => self.leaf(0, page, &mut out)?,
            None => {
                let mut seen = HashSet::new();
                self.walk(self.root, &mut seen, &mut out)?;
            }
        }
        Ok(out)
    }

    /// The nested bucket `name`; `None` when absent or plain data.
    pub fn bucket(&self, name: &[u8]) -> Result<Option<Bucket<'a>>, BoltError> {
        Ok(self.find(name)?.and_then(|v| match v {
            Value::Bucket(b) => Some(b),
            Value::Data(_) => None,
        }))
    }

    /// The value of `key`; `None` when absent or a bucket.
    pub fn get(&self, key: &[u8]) -> Result<Option<&'a [u8]>, BoltError> {
        Ok(self.find(key)?.and_then(|v| match v {
            Value::Data(d) => Some(d),
            Value::Bucket(_) => None,
        }))
    }

    /// Follows `path` down nested buckets.
    pub fn path(&self, path: &[&[u8]]) -> Result<Option<Bucket<'a>>, BoltError> {
        let mut at = *self;
        for name in path {
            match at.bucket(name)? {
                Some(b) => at = b,
                None => return Ok(None),
            }
        }
        Ok(Some(at))
    }

    fn find(&self, key: &[u8]) -> Result<Option<Value<'a>>, BoltError> {
        Ok(self
            .entries()?
            .into_iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v))
    }

    fn walk(
        &self,
        id: u64,
        seen: &mut HashSet<u64>,
        out: &mut Vec<(&'a [u8], Value<'a>)>,
    ) -> Result<(), BoltError> {
        if !seen.insert(id) {
            return Err(corrupt(id, "page reached twice (a cycle)"));
        }
        let page = self.db.page(id)?;
        let flags = u16_at(page, 8).unwrap_or(0);
        if flags & LEAF != 0 {
            return self.leaf(id, page, out);
        }
        if flags & BRANCH == 0 {
            return Err(corrupt(id, "neither a branch nor a leaf page"));
        }
        let count = u16_at(page, 10).unwrap_or(0) as usize;
        for i in 0..count {
            let at = HEADER + i * ELEMENT;
            let child = u64_at(page, at + 8).ok_or(corrupt(id, "branch element past the page"))?;
            self.walk(child, seen, out)?;
        }
        Ok(())
    }

    fn leaf(
        &self,
        id: u64,
        page: &'a [u8],
        out: &mut Vec<(&'a [u8], Value<'a>)>,
    ) -> Result<(), BoltError> {
        if u16_at(page, 8).is_none_or(|f| f & LEAF == 0) {
            return Err(corrupt(id, "inline bucket is not a leaf page"));
        }
        let count = u16_at(page, 10).unwrap_or(0) as usize;
        for i in 0..count {
            let at = HEADER + i * ELEMENT;
            let field = |o| u32_at(page, at + o).ok_or(corrupt(id, "leaf element past the page"));
            let (flags, pos, ksize, vsize) = (field(0)?, field(4)?, field(8)?, field(12)?);
            let key_at = at + pos as usize;
            let value_at = key_at + ksize as usize;
            let key = page.get(key_at..value_at);
            let value = page.get(value_at..value_at + vsize as usize);
            let (Some(key), Some(value)) = (key, value) else {
                return Err(corrupt(id, "key or value past the page"));
            };
            let value = if flags & BUCKET_LEAF == 0 {
                Value::Data(value)
            } else {
                let root = u64_at(value, 0).ok_or(corrupt(id, "short bucket header"))?;
                let inline = (root == 0)
                    .then(|| value.get(HEADER..).filter(|p| p.len() >= HEADER))
                    .map(|p| p.ok_or(corrupt(id, "short inline bucket")))
                    .transpose()?;
                Value::Bucket(Bucket {
                    db: self.db,
                    root,
                    inline,
                })
            };
            out.push((key, value));
        }
        Ok(())
    }
}
