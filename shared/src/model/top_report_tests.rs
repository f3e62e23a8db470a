use super::*;
use crate::model::image_finding::ImageFinding;
use crate::model::store::{Store, StoreRuntime};

fn image(id: &str, tag: &str, verdict: Verdict, stores: &[&str], bytes: u64) -> ImageFinding {
    ImageFinding {
        id: id.into(),
        tags: vec![tag.into()],
        verdict,
        stores: stores.iter().map(|s| s.to_string()).collect(),
        reclaimable_bytes: bytes,
        reason: String::new(),
        diff_ids: Vec::new(),
        repo_digests: Vec::new(),
        removals: Vec::new(),
        layers: Vec::new(),
        incomplete_in: Vec::new(),
    }
}

fn store(id: &str, live: bool, bytes: u64) -> Store {
    let (runtime, path) = id.split_once(':').unwrap();
    Store {
        id: id.into(),
        runtime: if runtime == "dockerd" {
            StoreRuntime::Dockerd
        } else {
            StoreRuntime::Containerd
        },
        path: path.into(),
        device: None,
        namespace: None,
        live,
        active: live,
        endpoint: None,
        reached_by: Vec::new(),
        proof: None,
        images: 3,
        disk_bytes: bytes,
        partial: false,
        gaps: Vec::new(),
        containers: Vec::new(),
    }
}

fn node(name: &str, images: Vec<ImageFinding>, stores: Vec<Store>, total: u64) -> Sourced {
    let mut report = NodeReport::new(name.into(), None);
    report.verdict = images
        .iter()
        .map(|i| i.verdict)
        .max()
        .unwrap_or(Verdict::Ok);
    report.images = images;
    report.stores = stores;
    report.reclaimable_bytes = total;
    Sourced {
        report,
        source: Source::AgentPod,
        detail: None,
    }
}

const D: &str = "dockerd:/var/lib/docker";
const C: &str = "containerd:/var/lib/containerd";
const K: &str = "containerd:/var/lib/rancher/k3s/agent/containerd";

fn fleet(sort: SortBy) -> TopReport {
    let a = "sha256:aaa";
    let b = "sha256:bbb";
    let mut partial = image(b, "app-b:1", Verdict::Duplicate, &[C, K, D], 7);
    partial.incomplete_in = vec![D.into()];
    let nodes = vec![
        node(
            "n2",
            vec![
                image(a, "app-a:1", Verdict::Duplicate, &[C, K], 10),
                partial,
            ],
            vec![store(C, true, 1), store(K, true, 1), store(D, false, 500)],
            15,
        ),
        node(
            "n1",
            vec![
                image(a, "app-a:2", Verdict::Duplicate, &[D, K], 20),
                image(b, "app-b:1", Verdict::Ok, &[K], 0),
            ],
            vec![store(D, true, 1), store(K, true, 1)],
            20,
        ),
        node("n3", Vec::new(), Vec::new(), 0),
    ];
    TopReport::new("r".into(), nodes, ApiCalls::default(), sort)
}

#[test]
fn one_row_per_image_summed_over_the_nodes_where_it_is_a_duplicate() {
    let top = fleet(SortBy::Reclaimable);
    assert_eq!(top.kind, "TopReport");
    let a = &top.images[0];
    assert_eq!(a.id, "sha256:aaa");
    assert_eq!((a.copies, a.nodes, a.reclaimable_bytes), (4, 2, 30));
    assert_eq!(a.tags, ["app-a:1", "app-a:2"]);
    assert_eq!(a.stores, [C, K, D]);
    assert_eq!(a.node_names, ["n1", "n2"]);
    // An incomplete copy is not a copy; a node where it is `ok` is not counted.
    let b = &top.images[1];
    assert_eq!((b.copies, b.nodes, b.reclaimable_bytes), (2, 1, 7));
    assert!(!b.stores.contains(&D.to_string()));
}

#[test]
fn the_total_is_the_nodes_totals_and_leftovers_are_offline_stores() {
    let top = fleet(SortBy::Name);
    let t = &top.total;
    assert_eq!((t.images, t.copies, t.nodes), (2, 6, 2));
    assert_eq!(t.reclaimable_bytes, 35, "node totals, not the rows' 37");
    assert_eq!((t.leftover_stores, t.leftover_bytes), (1, 500));
    assert_eq!(top.leftover_stores[0].node, "n2");
    assert_eq!(top.leftover_stores[0].store, D);
    assert_eq!(top.nodes.len(), 3);
}

#[test]
fn sort_orders() {
    let names = |s| -> Vec<String> {
        fleet(s)
            .images
            .iter()
            .map(|i| i.name().to_string())
            .collect()
    };
    assert_eq!(names(SortBy::Name), ["app-a:1", "app-b:1"]);
    assert_eq!(names(SortBy::Copies), ["app-a:1", "app-b:1"]);
    let mut top = fleet(SortBy::Name);
    top.images[0].copies = 1;
    top.sort(SortBy::Copies);
    assert_eq!(top.images[0].name(), "app-b:1");
}
