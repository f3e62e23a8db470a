//! What removing image copies really frees: a layer or blob frees only
//! when every image that references it goes, so references are counted once
//! up front and each question is a lookup, not a pass over the node.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::inventory::{Image, StoreInventory};
use crate::model::store::{Store, StoreRuntime};

/// Who references which layer and blob, counted once up front, so what a
/// removal frees is a lookup per reference instead of a pass over the node.
pub(crate) struct Usage<'a> {
    inventories: &'a [StoreInventory],
    /// Content-store domain per store: stores sharing one containerd root share blobs.
    domain: Vec<usize>,
    /// Per store: how many of its images use each layer key.
    layer_refs: Vec<HashMap<String, u32>>,
    /// Per (domain, digest): how many images of the domain use the blob.
    blob_refs: HashMap<(usize, &'a str), u32>,
}

/// An image's layer keys and blob digests, each once.
fn refs(image: &Image) -> (BTreeSet<String>, BTreeSet<&str>) {
    let layers = image.chain_ids.iter().map(|c| image.layer_key(c)).collect();
    let blobs = image.blobs.iter().map(String::as_str).collect();
    (layers, blobs)
}

impl<'a> Usage<'a> {
    pub(crate) fn new(stores: &[Store], inventories: &'a [StoreInventory]) -> Self {
        let mut first: BTreeMap<(StoreRuntime, &str), usize> = BTreeMap::new();
        let domain: Vec<usize> = stores
            .iter()
            .enumerate()
            .map(|(i, s)| *first.entry((s.runtime, s.path.as_str())).or_insert(i))
            .collect();
        let mut layer_refs = vec![HashMap::new(); inventories.len()];
        let mut blob_refs = HashMap::new();
        for (s, inv) in inventories.iter().enumerate() {
            for image in &inv.images {
                let (layers, blobs) = refs(image);
                for key in layers {
                    *layer_refs[s].entry(key).or_insert(0) += 1;
                }
                for blob in blobs {
                    *blob_refs.entry((domain[s], blob)).or_insert(0) += 1;
                }
            }
        }
        Self {
            inventories,
            domain,
            layer_refs,
            blob_refs,
        }
    }

    /// Bytes freed by removing `removed` images from store `s` alone.
    pub(crate) fn freed(&self, s: usize, removed: &BTreeSet<usize>) -> u64 {
        let mut plan = vec![BTreeSet::new(); self.inventories.len()];
        plan[s] = removed.clone();
        self.freed_all(&plan)
    }

    /// Bytes freed by removing every planned image: a layer or blob frees
    /// when every image that references it is removed.
    pub(crate) fn freed_all(&self, plan: &[BTreeSet<usize>]) -> u64 {
        let mut gone_layers: HashMap<(usize, String), u32> = HashMap::new();
        let mut gone_blobs: HashMap<(usize, &str), u32> = HashMap::new();
        for (s, removed) in plan.iter().enumerate() {
            for &i in removed {
                let (layers, blobs) = refs(&self.inventories[s].images[i]);
                for key in layers {
                    *gone_layers.entry((s, key)).or_insert(0) += 1;
                }
                for blob in blobs {
                    *gone_blobs.entry((self.domain[s], blob)).or_insert(0) += 1;
                }
            }
        }
        let layers: u64 = gone_layers
            .iter()
            .filter(|((s, key), n)| self.layer_refs[*s].get(key) == Some(n))
            .filter_map(|((s, key), _)| self.inventories[*s].layers.get(key))
            .map(|d| d.disk_bytes)
            .sum();
        let blobs: u64 = gone_blobs
            .iter()
            .filter(|(key, n)| self.blob_refs.get(key) == Some(n))
            .filter_map(|((d, digest), _)| self.blob_size(*d, digest))
            .sum();
        layers + blobs
    }

    /// A blob's size, from any store of its content-store domain.
    fn blob_size(&self, domain: usize, digest: &str) -> Option<u64> {
        self.inventories
            .iter()
            .enumerate()
            .filter(|(s, _)| self.domain[*s] == domain)
            .find_map(|(_, inv)| inv.blobs.get(digest))
            .map(|b| b.disk_bytes)
    }
}
