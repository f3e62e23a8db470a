//! In-process hot paths of `node --local` on a generated node root: reading
//! Docker's imagedb/layerdb and containerd's content blobs, and the verdict
//! math over the two inventories.
//!
//! `cargo bench -p imgdup --bench inventory` (env IMGDUP_BENCH_IMAGES,
//! default 2000 Docker images; bench/run passes a small count in --quick).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use imgdup::host::root::HostRoot;
use imgdup::inventory::StoreInventory;
use imgdup::inventory::containerd_blobs::read_containerd_blobs;
use imgdup::inventory::docker_files::read_docker_root;
use imgdup::judge::verdict::judge;
use imgdup::model::store::{Store, StoreRuntime};
use testkit::gen_store::{CONTAINERD_ROOT, DOCKER_ROOT, Options, generate};

fn store(runtime: StoreRuntime, path: &str, active: bool, inv: &StoreInventory) -> Store {
    Store {
        id: Store::make_id(runtime, path, None, false),
        runtime,
        path: path.into(),
        device: Some(1),
        namespace: None,
        live: false,
        active,
        endpoint: None,
        reached_by: Vec::new(),
        proof: None,
        images: inv.images.len(),
        disk_bytes: 0,
        partial: false,
        gaps: Vec::new(),
        containers: Vec::new(),
    }
}

fn benches(c: &mut Criterion) {
    let images = std::env::var("IMGDUP_BENCH_IMAGES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2000);
    let dir = tempfile::tempdir().expect("temp dir");
    let summary = generate(&Options {
        out: dir.path().to_path_buf(),
        images,
        dup_ratio: 0.3,
        seed: 1,
        layer_bytes: 512,
    })
    .expect("generate a node root");
    eprintln!("inventory bench root: {summary}");
    let host = HostRoot::new(dir.path());
    let (docker_root, ctrd_root) = (format!("/{DOCKER_ROOT}"), format!("/{CONTAINERD_ROOT}"));

    let mut group = c.benchmark_group(format!("{images}_images"));
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500));
    group.bench_function("read_docker_root", |b| {
        b.iter(|| read_docker_root(&host, black_box(&docker_root)).expect("docker store"))
    });
    group.bench_function("read_containerd_blobs", |b| {
        b.iter(|| read_containerd_blobs(&host, black_box(&ctrd_root)).expect("content store"))
    });
    let (_, docker) = read_docker_root(&host, &docker_root).expect("docker store");
    let ctrd = read_containerd_blobs(&host, &ctrd_root).expect("content store");
    let stores = [
        store(StoreRuntime::Dockerd, &docker_root, false, &docker),
        store(StoreRuntime::Containerd, &ctrd_root, true, &ctrd),
    ];
    let inventories = [docker, ctrd];
    group.bench_function("judge", |b| {
        b.iter(|| judge(black_box(&stores), black_box(&inventories)))
    });
    group.finish();
}

criterion_group!(inventory, benches);
criterion_main!(inventory);
