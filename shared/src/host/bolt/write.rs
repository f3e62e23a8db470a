//! Writes small bbolt files in the layout bbolt itself writes, so the
//! reader's tests can check that what goes in reads back: nested buckets,
//! inline buckets, branch pages (a leaf holds at most [`PER_LEAF`] keys
//! here, to reach them with few keys) and overflow pages.

use super::{BRANCH, BUCKET_LEAF, HEADER, LEAF, MAGIC, META, VERSION, fnv1a64};

const PER_LEAF: usize = 4;
const FREELIST: u16 = 0x10;

/// A key's value: plain bytes, or a nested bucket (keys sorted, unique).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node {
    Data(Vec<u8>),
    Bucket(Vec<(Vec<u8>, Node)>),
}

struct Writer {
    page_size: usize,
    pages: Vec<u8>,
    inline: bool,
}

impl Writer {
    fn next_id(&self) -> u64 {
        (self.pages.len() / self.page_size) as u64
    }

    /// Appends a page (and its overflow pages) with its header filled in.
    fn push(&mut self, flags: u16, count: usize, body: Vec<u8>) -> u64 {
        let id = self.next_id();
        let total = HEADER + body.len();
        let pages = total.div_ceil(self.page_size).max(1);
        let mut page = vec![0u8; pages * self.page_size];
        page[0..8].copy_from_slice(&id.to_le_bytes());
        page[8..10].copy_from_slice(&flags.to_le_bytes());
        page[10..12].copy_from_slice(&(count as u16).to_le_bytes());
        page[12..16].copy_from_slice(&((pages - 1) as u32).to_le_bytes());
        page[HEADER..total].copy_from_slice(&body);
        self.pages.extend(page);
        id
    }

    /// Leaf page body: the elements, then keys and values.
    fn leaf_body(entries: &[(Vec<u8>, u32, Vec<u8>)]) -> Vec<u8> {
        let mut elements = Vec::new();
        let mut data: Vec<u8> = Vec::new();
        let base = entries.len() * 16;
        for (i, (key, flags, value)) in entries.iter().enumerate() {
            let pos = (base + data.len() - i * 16) as u32;
            elements.extend(flags.to_le_bytes());
            elements.extend(pos.to_le_bytes());
            elements.extend((key.len() as u32).to_le_bytes());
            elements.extend((value.len() as u32).to_le_bytes());
            data.extend(key);
            data.extend(value);
        }
        elements.extend(data);
        elements
    }

    /// Writes a bucket's entries; its bucket value (header, inline page).
    fn bucket(&mut self, entries: &[(Vec<u8>, Node)]) -> Vec<u8> {
        let mut encoded = Vec::new();
        for (key, node) in entries {
            match node {
                Node::Data(v) => encoded.push((key.clone(), 0, v.clone())),
                Node::Bucket(sub) => encoded.push((key.clone(), BUCKET_LEAF, self.bucket(sub))),
            }
        }
        let no_sub = entries.iter().all(|(_, n)| matches!(n, Node::Data(_)));
        let body = Self::leaf_body(&encoded);
        let mut value = vec![0u8; 16];
        if self.inline && no_sub && HEADER + body.len() <= self.page_size / 4 {
            let mut page = vec![0u8; HEADER];
            page[8..10].copy_from_slice(&LEAF.to_le_bytes());
            page[10..12].copy_from_slice(&(encoded.len() as u16).to_le_bytes());
            value.extend(page);
            value.extend(body);
            return value;
        }
        let root = self.tree(&encoded);
        value[0..8].copy_from_slice(&root.to_le_bytes());
        value
    }

    /// Leaf pages of at most [`PER_LEAF`] keys under one branch page.
    fn tree(&mut self, encoded: &[(Vec<u8>, u32, Vec<u8>)]) -> u64 {
        if encoded.len() <= PER_LEAF {
            return self.push(LEAF, encoded.len(), Self::leaf_body(encoded));
        }
        let children: Vec<(Vec<u8>, u64)> = encoded
            .chunks(PER_LEAF)
            .map(|c| (c[0].0.clone(), self.push(LEAF, c.len(), Self::leaf_body(c))))
            .collect();
        let mut elements = Vec::new();
        let mut keys: Vec<u8> = Vec::new();
        let base = children.len() * 16;
        for (i, (key, id)) in children.iter().enumerate() {
            elements.extend(((base + keys.len() - i * 16) as u32).to_le_bytes());
            elements.extend((key.len() as u32).to_le_bytes());
            elements.extend(id.to_le_bytes());
            keys.extend(key);
        }
        elements.extend(keys);
        self.push(BRANCH, children.len(), elements)
    }
}

/// The file bbolt would hold for `root` (the named root buckets).
pub(crate) fn write(root: &[(Vec<u8>, Node)], page_size: usize, inline: bool) -> Vec<u8> {
    let mut w = Writer {
        page_size,
        pages: vec![0u8; 2 * page_size],
        inline,
    };
    w.push(FREELIST, 0, Vec::new());
    // The root bucket is never inline: the meta points at its page.
    let was = std::mem::replace(&mut w.inline, false);
    let mut encoded = Vec::new();
    for (key, node) in root {
        w.inline = was;
        if let Node::Bucket(sub) = node {
            encoded.push((key.clone(), BUCKET_LEAF, w.bucket(sub)));
        }
    }
    let root_page = w.tree(&encoded);
    let high = w.next_id();
    for (i, txid) in [(0usize, 1u64), (1, 2)] {
        let mut m = Vec::new();
        m.extend(MAGIC.to_le_bytes());
        m.extend(VERSION.to_le_bytes());
        m.extend((page_size as u32).to_le_bytes());
        m.extend(0u32.to_le_bytes());
        m.extend(root_page.to_le_bytes());
        m.extend(0u64.to_le_bytes());
        m.extend(2u64.to_le_bytes());
        m.extend(high.to_le_bytes());
        m.extend(txid.to_le_bytes());
        m.extend(fnv1a64(&m).to_le_bytes());
        let at = i * page_size;
        w.pages[at..at + 8].copy_from_slice(&(i as u64).to_le_bytes());
        w.pages[at + 8..at + 10].copy_from_slice(&META.to_le_bytes());
        w.pages[at + HEADER..at + HEADER + m.len()].copy_from_slice(&m);
    }
    w.pages
}

/// Reads a bucket back into [`Node`]s, nested buckets at most `depth` deep
/// (garbage can make a bucket its own child).
pub(crate) fn read_back(
    bucket: &super::Bucket<'_>,
    depth: usize,
) -> Result<Vec<(Vec<u8>, Node)>, super::BoltError> {
    let mut out = Vec::new();
    for (key, value) in bucket.entries()? {
        let node = match value {
            super::Value::Data(d) => Node::Data(d.to_vec()),
            super::Value::Bucket(_) if depth == 0 => Node::Bucket(Vec::new()),
            super::Value::Bucket(b) => Node::Bucket(read_back(&b, depth - 1)?),
        };
        out.push((key.to_vec(), node));
    }
    Ok(out)
}
