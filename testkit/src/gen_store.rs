//! Synthetic node roots for scale tests and benchmarks of `node --local`.
//!
//! Real nodes with thousands of images cannot be pulled here (no registry),
//! so we write the two offline stores a runtime switch leaves behind:
//! - Docker's graph-driver store at `var/lib/docker` (overlay2): imagedb
//!   configs, `repositories.json`, layerdb entries keyed by ChainID, and one
//!   `overlay2/<cache-id>/diff/` directory per ChainID;
//! - k3s's containerd content store at `var/lib/rancher/k3s/agent/containerd`:
//!   manifest, config and layer blobs, and an empty `meta.db` (enough for
//!   discovery; unreadable as bolt, so the offline reader counts the blobs).
//!
//! A `dup_ratio` share of the Docker images is written to containerd too with
//! the very same config bytes (same image ID, same DiffIDs): those, and only
//! those, are duplicates. Layers come from shared base and middle pools, as
//! on a real node, and every image ends in a layer of its own, so no two
//! images have the same DiffIDs. Layers are real uncompressed tars, so a
//! DiffID is the sha256 of the layer blob. Same options, same bytes.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::json;
use sha2::{Digest, Sha256};

/// Host paths of the generated stores, relative to the output root.
pub const DOCKER_ROOT: &str = "var/lib/docker";
pub const CONTAINERD_ROOT: &str = "var/lib/rancher/k3s/agent/containerd";

/// The socket k3s's containerd would serve; nothing listens on it here.
pub const K3S_CONTAINERD_URL: &str = "unix:///run/k3s/containerd/containerd.sock";

#[derive(Debug, Clone)]
pub struct Options {
    pub out: PathBuf,
    /// Docker images.
    pub images: usize,
    /// Share of the Docker images that containerd holds too (0.0–1.0).
    pub dup_ratio: f64,
    pub seed: u64,
    /// Size of the one file each layer holds.
    pub layer_bytes: usize,
}

/// What was written (the summary line, and the expectations of tests).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub docker_images: usize,
    /// Distinct ChainIDs, i.e. `overlay2/<cache-id>` directories.
    pub docker_layers: usize,
    pub containerd_images: usize,
    pub containerd_only: usize,
    /// Images held by both stores.
    pub duplicates: usize,
    pub blobs: usize,
    pub files: usize,
    /// Apparent bytes of every file written.
    pub bytes: u64,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self;
        write!(
            f,
            "docker: {} images, {} layers; containerd: {} images ({} containerd-only), {} blobs; duplicates: {}; {} files, {} bytes",
            s.docker_images,
            s.docker_layers,
            s.containerd_images,
            s.containerd_only,
            s.blobs,
            s.duplicates,
            s.files,
            s.bytes
        )
    }
}

/// SplitMix64: tiny, seedable, and the same on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// A layer's identity in the plan; its bytes derive from it and the seed, so
/// a shared layer is rebuilt identically wherever it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Layer {
    Base(usize),
    Mid(usize),
    /// Layer `pos` of image `image` (containerd-only images follow Docker's).
    Own(usize, usize),
}

impl Layer {
    fn file_name(self) -> String {
        match self {
            Layer::Base(i) => format!("base-{i}.bin"),
            Layer::Mid(i) => format!("mid-{i}.bin"),
            Layer::Own(img, pos) => format!("img-{img}-{pos}.bin"),
        }
    }

    fn data(self, seed: u64, len: usize) -> Vec<u8> {
        let tag = match self {
            Layer::Base(i) => (1 << 60) | i as u64,
            Layer::Mid(i) => (2 << 60) | i as u64,
            Layer::Own(img, pos) => (3 << 60) | ((img as u64) << 3) | pos as u64,
        };
        let mut rng = Rng(seed ^ tag.wrapping_mul(0xA24B_AED4_963E_E407));
        let mut out = Vec::with_capacity(len + 8);
        while out.len() < len {
            out.extend_from_slice(&rng.next().to_le_bytes());
        }
        out.truncate(len);
        out
    }
}

/// An uncompressed tar holding one regular file: what an OCI
/// `layer.v1.tar` blob is, so its sha256 is the layer's DiffID.
fn tar_one(name: &str, data: &[u8]) -> Vec<u8> {
    let mut h = [0u8; 512];
    let mut put = |at: usize, s: &[u8]| h[at..at + s.len()].copy_from_slice(s);
    put(0, name.as_bytes());
    put(100, b"0000644\0");
    put(108, b"0000000\0");
    put(116, b"0000000\0");
    put(124, format!("{:011o}\0", data.len()).as_bytes());
    put(136, b"14577335200\0"); // 2024-01-01T00:00:00Z
    put(148, b"        ");
    put(156, b"0");
    put(257, b"ustar\0");
    put(263, b"00");
    let sum: u32 = h.iter().map(|b| u32::from(*b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let padded = data.len().div_ceil(512) * 512;
    let mut out = Vec::with_capacity(512 + padded + 1024);
    out.extend_from_slice(&h);
    out.extend_from_slice(data);
    out.resize(512 + padded + 1024, 0);
    out
}

fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// Writes files and counts them; knows where each store's pieces go.
struct Writer<'a> {
    opts: &'a Options,
    layerdb: PathBuf,
    overlay: PathBuf,
    blobs: PathBuf,
    files: usize,
    bytes: u64,
}

impl Writer<'_> {
    fn put(&mut self, path: &Path, bytes: &[u8]) -> Result<()> {
        fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
        self.files += 1;
        self.bytes += bytes.len() as u64;
        Ok(())
    }

    /// `layerdb/sha256/<chain>/{diff,cache-id,size,parent}` and the layer
    /// directory `overlay2/<cache-id>/diff/<file>` it names.
    fn docker_layer(
        &mut self,
        layer: Layer,
        chain: &str,
        diff: &str,
        parent: Option<&str>,
    ) -> Result<()> {
        let (seed, len) = (self.opts.seed, self.opts.layer_bytes);
        let cache_id = sha256_hex(format!("cache-id {seed} {chain}").as_bytes());
        let entry = self.layerdb.join(chain.trim_start_matches("sha256:"));
        mkdir(&entry)?;
        self.put(&entry.join("diff"), diff.as_bytes())?;
        self.put(&entry.join("cache-id"), cache_id.as_bytes())?;
        self.put(&entry.join("size"), len.to_string().as_bytes())?;
        if let Some(p) = parent {
            self.put(&entry.join("parent"), p.as_bytes())?;
        }
        let dir = self.overlay.join(&cache_id).join("diff");
        mkdir(&dir)?;
        self.put(&dir.join(layer.file_name()), &layer.data(seed, len))
    }

    /// The config blob (same bytes as Docker's) and an OCI manifest naming it.
    fn manifest(&mut self, config: &[u8], config_hex: &str, diff_ids: &[String]) -> Result<()> {
        let layer_size = 512 + self.opts.layer_bytes.div_ceil(512) * 512 + 1024;
        let layers: Vec<_> = diff_ids
            .iter()
            .map(|d| json!({"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": d, "size": layer_size}))
            .collect();
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": format!("sha256:{config_hex}"),
                "size": config.len(),
            },
            "layers": layers,
        })
        .to_string();
        self.put(&self.blobs.join(config_hex), config)?;
        self.put(
            &self.blobs.join(sha256_hex(manifest.as_bytes())),
            manifest.as_bytes(),
        )
    }
}

fn mkdir(path: &Path) -> Result<()> {
    fs::create_dir_all(path).with_context(|| format!("cannot create {}", path.display()))
}

/// Writes the whole host root under `opts.out`, which must be absent or empty
/// (we never mix generated stores with real files).
pub fn generate(opts: &Options) -> Result<Summary> {
    if !(0.0..=1.0).contains(&opts.dup_ratio) {
        bail!(
            "--dup-ratio must be between 0 and 1, not {}",
            opts.dup_ratio
        );
    }
    if fs::read_dir(&opts.out).is_ok_and(|mut e| e.next().is_some()) {
        bail!(
            "{} is not empty; remove it first (the generator never overwrites)",
            opts.out.display()
        );
    }
    let plan = Plan::new(opts);
    let docker = opts.out.join(DOCKER_ROOT);
    let containerd = opts.out.join(CONTAINERD_ROOT);
    let image_dir = docker.join("image/overlay2");
    let imagedb = image_dir.join("imagedb/content/sha256");
    let layerdb = image_dir.join("layerdb/sha256");
    let overlay = docker.join("overlay2");
    let blobs = containerd.join("io.containerd.content.v1.content/blobs/sha256");
    let meta = containerd.join("io.containerd.metadata.v1.bolt");
    let (etc, proc) = (opts.out.join("etc"), opts.out.join("proc"));
    for dir in [&imagedb, &layerdb, &overlay, &blobs, &meta, &etc, &proc] {
        mkdir(dir)?;
    }
    let mut w = Writer {
        opts,
        layerdb,
        overlay,
        blobs,
        files: 0,
        bytes: 0,
    };
    w.put(&meta.join("meta.db"), b"")?;
    let crictl = format!(
        "runtime-endpoint: {K3S_CONTAINERD_URL}\nimage-endpoint: {K3S_CONTAINERD_URL}\ntimeout: 2\n"
    );
    w.put(&etc.join("crictl.yaml"), crictl.as_bytes())?;

    let mut summary = Summary::default();
    let diff_ids = write_layer_blobs(&mut w, &plan, &mut summary)?;

    let mut chains_written: HashSet<String> = HashSet::new();
    let mut repositories = serde_json::Map::new();
    for (n, layers) in plan.images.iter().enumerate() {
        let ids: Vec<String> = layers.iter().map(|l| diff_ids[l].clone()).collect();
        let config = config_json(&plan.name(n), &ids);
        let config_hex = sha256_hex(&config);
        if n < opts.images {
            write_docker_layers(&mut w, layers, &ids, &mut chains_written)?;
            w.put(&imagedb.join(&config_hex), &config)?;
            let repo = plan.name(n);
            repositories.insert(
                repo.clone(),
                json!({ format!("{repo}:1"): format!("sha256:{config_hex}") }),
            );
            summary.docker_images += 1;
        }
        if plan.in_containerd(n) {
            w.manifest(&config, &config_hex, &ids)?;
            summary.blobs += 2;
            summary.containerd_images += 1;
            if n < opts.images {
                summary.duplicates += 1;
            } else {
                summary.containerd_only += 1;
            }
        }
    }
    let repositories = serde_json::to_vec(&json!({ "Repositories": repositories }))?;
    w.put(&image_dir.join("repositories.json"), &repositories)?;
    summary.docker_layers = chains_written.len();
    summary.files = w.files;
    summary.bytes = w.bytes;
    Ok(summary)
}

/// Each distinct layer once: its DiffID, and its blob when containerd holds it.
fn write_layer_blobs(
    w: &mut Writer<'_>,
    plan: &Plan,
    summary: &mut Summary,
) -> Result<HashMap<Layer, String>> {
    let mut diff_ids: HashMap<Layer, String> = HashMap::new();
    for layers in &plan.images {
        for &layer in layers {
            if diff_ids.contains_key(&layer) {
                continue;
            }
            let tar = tar_one(
                &layer.file_name(),
                &layer.data(w.opts.seed, w.opts.layer_bytes),
            );
            let hex = sha256_hex(&tar);
            if plan.containerd_layers.contains(&layer) {
                w.put(&w.blobs.join(&hex), &tar)?;
                summary.blobs += 1;
            }
            diff_ids.insert(layer, format!("sha256:{hex}"));
        }
    }
    Ok(diff_ids)
}

/// One image's layerdb chain, each ChainID written once across images.
fn write_docker_layers(
    w: &mut Writer<'_>,
    layers: &[Layer],
    ids: &[String],
    chains_written: &mut HashSet<String>,
) -> Result<()> {
    let mut parent: Option<String> = None;
    for (layer, diff) in layers.iter().zip(ids) {
        let chain = match &parent {
            None => diff.clone(),
            Some(p) => format!("sha256:{}", sha256_hex(format!("{p} {diff}").as_bytes())),
        };
        if chains_written.insert(chain.clone()) {
            w.docker_layer(*layer, &chain, diff, parent.as_deref())?;
        }
        parent = Some(chain);
    }
    Ok(())
}

/// Which images exist, their layers, and which of them containerd holds.
struct Plan {
    docker: usize,
    /// Docker images first, then the containerd-only ones.
    images: Vec<Vec<Layer>>,
    duplicates: HashSet<usize>,
    /// Layers of containerd images (their blobs must exist).
    containerd_layers: HashSet<Layer>,
}

impl Plan {
    fn new(opts: &Options) -> Self {
        let mut rng = Rng(opts.seed);
        let n = opts.images;
        let only = if n == 0 { 0 } else { (n / 10).max(1) };
        // Few bases shared by many images; more middle layers, shared less.
        let bases = (n / 100).clamp(3, 64);
        let mids = (n / 20).clamp(4, 256);
        let images: Vec<Vec<Layer>> = (0..n + only)
            .map(|img| {
                let count = 1 + rng.below(5);
                let mut layers = Vec::with_capacity(count);
                if count >= 2 {
                    layers.push(Layer::Base(rng.below(bases)));
                }
                if count >= 3 {
                    layers.push(Layer::Mid(rng.below(mids)));
                }
                // The image's own layers (at least one: no two images alike).
                while layers.len() < count {
                    layers.push(Layer::Own(img, layers.len()));
                }
                layers
            })
            .collect();
        // An exact share, spread over the images (partial Fisher-Yates).
        let want = ((n as f64) * opts.dup_ratio).round() as usize;
        let mut order: Vec<usize> = (0..n).collect();
        for i in 0..want.min(n) {
            let j = i + rng.below(n - i);
            order.swap(i, j);
        }
        let duplicates: HashSet<usize> = order.into_iter().take(want).collect();
        let mut plan = Plan {
            docker: n,
            images,
            duplicates,
            containerd_layers: HashSet::new(),
        };
        plan.containerd_layers = (0..plan.images.len())
            .filter(|i| plan.in_containerd(*i))
            .flat_map(|i| plan.images[i].iter().copied())
            .collect();
        plan
    }

    fn in_containerd(&self, image: usize) -> bool {
        image >= self.docker || self.duplicates.contains(&image)
    }

    fn name(&self, image: usize) -> String {
        if image < self.docker {
            format!("imgdup.test/gen-{image:05}")
        } else {
            format!("imgdup.test/ctr-only-{:05}", image - self.docker)
        }
    }
}

/// An image config, compact: both stores get these exact bytes, hence the
/// same image ID.
fn config_json(name: &str, diff_ids: &[String]) -> Vec<u8> {
    let history: Vec<_> = (0..diff_ids.len())
        .map(|i| json!({"created": "2024-01-01T00:00:00Z", "created_by": format!("imgdup-gen-store layer {i}")}))
        .collect();
    let config = json!({
        "architecture": "amd64",
        "os": "linux",
        "created": "2024-01-01T00:00:00Z",
        "config": {
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            "Cmd": [format!("/{}", name.rsplit('/').next().unwrap_or(name))],
            "Labels": {"org.opencontainers.image.title": name},
        },
        "history": history,
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    });
    config.to_string().into_bytes()
}
