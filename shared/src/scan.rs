//! One node, end to end: chain → stores → inventories → verdicts.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::chain::endpoint::{CrictlInputs, Resolution};
use crate::chain::follow::follow_cri;
use crate::chain::kubelet::kubelet_endpoint;
use crate::chain::running_roots::running_roots;
use crate::chain::which::which;
use crate::host::defaults as d;
use crate::host::view::HostView;
use crate::inventory::{
    InventoryError, StoreInventory, containerd_api, containerd_offline, docker_api, docker_files,
    layer_in_namespace, on_blocking_thread,
};
use crate::judge::verdict::judge;
use crate::model::causes;
use crate::model::chain::{Chain, Hop, HopKind, OtherRuntime, StoreRef};
use crate::model::evidence::{Evidence, Source};
use crate::model::image_finding::Verdict;
use crate::model::node_report::NodeReport;
use crate::model::store::{Store, StoreRuntime};
use crate::model::unknown_reason::UnknownReason;
use crate::runtime::containerd;

/// A store to read, before its inventory is known.
#[derive(Debug, Clone)]
struct Planned {
    runtime: StoreRuntime,
    root: String,
    endpoint: Option<String>,
    live: bool,
    active: bool,
    reached_by: Vec<String>,
    proof: Option<String>,
    /// The namespace the active chain reads (containerd); others are not active.
    active_namespace: Option<String>,
    /// Why a runtime on the chain could not be asked (its hop's error).
    unreachable: Option<String>,
    /// A process of its runtime runs on this root (answering or not).
    process: bool,
}

/// Scans one node: proves its chain, reads every store, judges every image.
pub async fn scan(
    node: &HostView,
    node_name: String,
    inputs: &CrictlInputs,
    resolution: &Resolution,
) -> NodeReport {
    let mut chain = which(node, inputs, resolution).await;
    let kubelet = kubelet_endpoint(node, &mut chain.warnings);
    // The kubelet's store is the one pods use; follow it when crictl points elsewhere.
    let kubelet_url = kubelet.as_ref().and_then(|k| Some((k, k.url.as_deref()?)));
    let kubelet_chain = match kubelet_url {
        Some((k, url)) if !node.same_socket(Some(url), chain.image_endpoint.url.as_deref()) => {
            chain.warnings.push(format!(
                "crictl ({}) and the kubelet ({url}) use different runtimes: `crictl images` does not show what pods run from; the kubelet's store is the active one",
                chain.image_endpoint.url.as_deref().unwrap_or("nothing")
            ));
            let mut followed =
                follow_cri(node, url, Evidence::new(k.source, k.detail.clone())).await;
            chain.warnings.append(&mut followed.warnings);
            Some(followed)
        }
        _ => None,
    };
    let active = match &kubelet_chain {
        Some(k) => k.store.clone(),
        None => chain.store.clone(),
    };
    let kubelet_hops = kubelet_chain.map(|k| k.hops).unwrap_or_default();
    let dead_ends = dead_ends(&chain, &kubelet_hops);
    let mut planned = plan(node, &chain, &kubelet_hops, active.as_ref());
    let running = running_roots(node, &mut Vec::new());
    for p in &mut planned {
        p.process = running.iter().any(|r| {
            StoreRuntime::of(r.kind) == Some(p.runtime) && node.canonical(&r.root) == p.root
        });
    }
    let mut stores = Vec::new();
    let mut inventories = Vec::new();
    // Stores are read together: each one's API calls and its disk work (on
    // a blocking thread) overlap with the others', so a big Docker store
    // does not hold up the containerd one.
    let reads = futures::future::join_all(planned.into_iter().map(|p| read(node, p))).await;
    for (store, inventory) in reads.into_iter().flatten() {
        stores.push(store);
        inventories.push(inventory);
    }
    let judgement = judge(&stores, &inventories);
    let mut report = NodeReport::new(node_name, Some(chain));
    report.kubelet_endpoint = kubelet;
    report.verdict = judgement.verdict;
    report.reclaimable_bytes = judgement.reclaimable_bytes;
    report.images = judgement.images;
    report.findings = dead_ends.clone();
    report.findings.extend(judgement.findings);
    // Nothing answered and no image is on disk: that is no scan, not an `ok`.
    let nothing = stores.iter().all(|s| !s.live && s.images == 0);
    if let (true, Some(first)) = (nothing, dead_ends.first()) {
        report.verdict = Verdict::Unknown;
        report.reason = Some(UnknownReason::NoRuntimeFound(first.clone()).to_string());
    }
    report.stores = stores;
    report
}

/// Hops of crictl's and the kubelet's chains that could not be reached,
/// each naming its socket and the fix (the hop's error says both), so the
/// table shows them instead of a quiet `ok`.
fn dead_ends(chain: &Chain, kubelet_hops: &[Hop]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if chain.runtime_endpoint.url.is_none() {
        let detail = &chain.runtime_endpoint.detail;
        out.push(if detail.contains("permission denied") {
            // The probe's error names the socket and says how to get in.
            format!("crictl's runtime: {detail}")
        } else {
            format!(
                "crictl's runtime: {detail}; set one with -r or `crictl config --set runtime-endpoint=unix:///path/to.sock`"
            )
        });
    }
    let labelled = [
        ("crictl's runtime", &chain.hops),
        ("crictl's image service", &chain.image_hops),
        ("the kubelet's runtime", &kubelet_hops.to_vec()),
    ];
    for (who, hops) in labelled {
        for hop in hops.iter() {
            let Some(error) = &hop.error else { continue };
            if out.iter().any(|o| o.ends_with(error.as_str())) {
                continue; // the same socket on two chains
            }
            // A hop whose endpoint crictl could not even parse has no URL.
            match hop.endpoint.as_str() {
                "" => out.push(format!("{who}: {error}")),
                url => out.push(format!("{who} at {url}: {error}")),
            }
        }
    }
    out
}

/// The stores to read: the chain's (active) first, then the others, one per root.
fn plan(
    node: &HostView,
    chain: &Chain,
    kubelet_hops: &[Hop],
    active: Option<&StoreRef>,
) -> Vec<Planned> {
    let on_chain = [kubelet_hops, &chain.hops, &chain.image_hops]
        .into_iter()
        .flat_map(|hops| (0..hops.len()).filter_map(move |i| hop_store(node, hops, i, active)));
    let off_chain = chain.others.iter().filter_map(other_store);
    let mut out: Vec<Planned> = Vec::new();
    for p in on_chain.chain(off_chain) {
        add_store(node, &mut out, p);
    }
    out
}

/// Adds a planned store, or merges it into the one it already is: one
/// store per canonical path, and per (device, inode) of its root, so a
/// bind-mounted data root reached under two paths is still one store.
fn add_store(node: &HostView, out: &mut Vec<Planned>, p: Planned) {
    let identity = |root: &str| {
        std::fs::metadata(node.host.local(root))
            .ok()
            .map(|m| (m.dev(), m.ino()))
    };
    let canon = node.canonical(&p.root);
    let id = identity(&canon);
    match out.iter_mut().find(|o| {
        o.runtime == p.runtime && (o.root == canon || (id.is_some() && identity(&o.root) == id))
    }) {
        Some(o) => {
            o.live |= p.live;
            o.active |= p.active;
            for e in p.reached_by {
                if !o.reached_by.contains(&e) {
                    o.reached_by.push(e);
                }
            }
            o.endpoint = o.endpoint.take().or(p.endpoint);
            o.proof = o.proof.take().or(p.proof);
            o.active_namespace = o.active_namespace.take().or(p.active_namespace);
            o.unreachable = o.unreachable.take().or(p.unreachable);
        }
        None => out.push(Planned { root: canon, ..p }),
    }
}

/// The store at `hops[i]`'s root, if it names one, reached by every
/// endpoint in front of it.
fn hop_store(
    node: &HostView,
    hops: &[Hop],
    i: usize,
    active: Option<&StoreRef>,
) -> Option<Planned> {
    let hop = &hops[i];
    // Live: its runtime answered us (a CRI error alone does not make it dead).
    let answered = !node.offline && hop.evidence.iter().any(|e| e.source == Source::Api);
    let root = hop.root.clone()?;
    let runtime = StoreRuntime::of(hop.kind)?;
    let is_active = active.is_some_and(|s| store_matches(node, s.runtime, &s.path, runtime, &root));
    // Every endpoint in front of this hop reaches its store too.
    let mut reached_by: Vec<String> = hops[..=i]
        .iter()
        .filter(|h| h.error.is_none())
        .map(|h| h.endpoint.clone())
        .collect();
    reached_by.dedup_by(|a, b| node.same_socket(Some(a), Some(b)));
    let proof = (i > 0).then(|| {
        hops[..=i]
            .iter()
            .map(|h: &Hop| h.kind.as_str())
            .collect::<Vec<_>>()
            .join(" → ")
    });
    Some(Planned {
        runtime,
        root,
        endpoint: Some(hop.endpoint.clone()),
        live: answered,
        active: is_active,
        reached_by,
        proof,
        active_namespace: active
            .filter(|_| is_active)
            .and_then(|s| s.namespace.clone()),
        unreachable: hop.error.clone().filter(|_| !answered),
        process: false,
    })
}

/// The store of a runtime off the chain, never active.
fn other_store(other: &OtherRuntime) -> Option<Planned> {
    let root = other.root.clone()?;
    let runtime = StoreRuntime::of(other.kind)?;
    let reached_by = if other.running {
        other.endpoint.iter().cloned().collect()
    } else {
        Vec::new()
    };
    Some(Planned {
        runtime,
        root,
        endpoint: other.endpoint.clone(),
        live: other.running,
        active: false,
        reached_by,
        proof: None,
        active_namespace: None,
        unreachable: None,
        process: false,
    })
}

/// Whether the chain's store (`<root>/overlay2` for Docker) belongs to a hop root.
fn store_matches(
    node: &HostView,
    store_runtime: HopKind,
    store_path: &str,
    runtime: StoreRuntime,
    root: &str,
) -> bool {
    let root = node.canonical(root);
    let kind_ok = matches!(
        (store_runtime, runtime),
        (HopKind::Dockerd, StoreRuntime::Dockerd)
            | (HopKind::Containerd, StoreRuntime::Containerd)
            | (HopKind::CriO, StoreRuntime::CriO)
    );
    kind_ok && (store_path == root || Path::new(store_path).parent() == Some(Path::new(&root)))
}

/// Asks the runtime itself, when it is live and reachable.
async fn read_live(node: &HostView, p: &Planned) -> Option<Result<StoreInventory, InventoryError>> {
    let socket = PathBuf::from(d::unix_path(p.endpoint.as_deref()?)?);
    if !p.live || node.offline {
        return None;
    }
    Some(match p.runtime {
        StoreRuntime::Dockerd => docker_api::read_docker_api(&node.host, &socket, node.timeout)
            .await
            .map(|(_, _, inventory)| inventory),
        StoreRuntime::Containerd => {
            match containerd::info(&node.host.local(&socket), &socket, node.timeout).await {
                Ok(info) => {
                    containerd_api::read_containerd_api(
                        &node.host,
                        &socket,
                        &p.root,
                        &info.namespaces,
                        node.timeout,
                    )
                    .await
                }
                Err(e) => Err(e.into()),
            }
        }
        StoreRuntime::CriO => return None,
    })
}

/// Reads the store's files: the runtime is not running (or not answering).
/// On a blocking thread, so the other stores are read meanwhile.
async fn read_offline(node: &HostView, p: &Planned) -> StoreInventory {
    let (host, runtime, root) = (node.host.clone(), p.runtime, p.root.clone());
    let read = move || match runtime {
        StoreRuntime::Dockerd => {
            docker_files::read_docker_root(&host, &root).map(|(_, inventory)| inventory)
        }
        StoreRuntime::Containerd => containerd_offline::read_containerd_root(&host, &root),
        StoreRuntime::CriO => Ok(StoreInventory {
            gaps: vec![format!(
                "{root}: CRI-O stores are listed but not inventoried yet"
            )],
            ..Default::default()
        }),
    };
    let result = on_blocking_thread(&p.root, read).await.and_then(|r| r);
    result.unwrap_or_else(|e| StoreInventory {
        gaps: vec![causes::joined(&e)],
        ..Default::default()
    })
}

/// Reads one planned store; a containerd with images in several namespaces
/// becomes one store per namespace.
async fn read(node: &HostView, mut p: Planned) -> Vec<(Store, StoreInventory)> {
    let inventory = read_inventory(node, &mut p).await;
    let device = std::fs::metadata(node.host.local(&p.root))
        .ok()
        .map(|m| m.dev());
    let namespaces = namespaces_of(&inventory);
    let split = namespaces.len() > 1;
    let mut out = Vec::new();
    // One namespace takes the inventory as is: a copy of a 10k-image store
    // is tens of MB of peak memory.
    let mut whole = Some(inventory);
    for ns in namespaces {
        let mut inv = match (split, &whole) {
            (true, Some(inventory)) => inventory.clone(),
            _ => whole.take().unwrap_or_default(),
        };
        if split {
            inv.images.retain(|i| i.namespace == ns);
            inv.containers.retain(|c| c.namespace == ns);
            if let Some(ns) = &ns {
                inv.layers.retain(|k, _| layer_in_namespace(k, ns));
            }
        }
        // An empty root (e.g. the containerd Docker used only for containers) is no store.
        if inv.images.is_empty() && inv.blobs.is_empty() && !p.active {
            continue;
        }
        // One content store serves every namespace: count its blobs once.
        let count_blobs = out.is_empty();
        let store = describe_store(&p, ns, split, device, &inv, count_blobs);
        out.push((store, inv));
    }
    out
}

/// The store's inventory from its runtime, else from disk: a runtime that
/// does not answer is read from disk, and is not live.
async fn read_inventory(node: &HostView, p: &mut Planned) -> StoreInventory {
    match read_live(node, p).await {
        Some(Ok(inventory)) => inventory,
        Some(Err(e)) => {
            p.live = false;
            let mut inventory = read_offline(node, p).await;
            inventory
                .gaps
                .insert(0, format!("{}; read from disk instead", causes::joined(&e)));
            inventory
        }
        None => {
            let mut inventory = read_offline(node, p).await;
            // The dead hop is a finding of its own (see `dead_ends`). A store
            // whose runtime no longer runs is read completely from disk (a
            // stopped containerd's bolt DBs) and is not partial for it; one
            // whose process still runs but does not answer may be mid-write.
            let keep = p.process || !inventory.gaps.is_empty();
            if let (Some(why), true) = (&p.unreachable, keep) {
                inventory
                    .gaps
                    .insert(0, format!("{why}; read from disk instead"));
            }
            inventory
        }
    }
}

/// The namespaces the inventory's images are in, sorted; `[None]` for none.
fn namespaces_of(inventory: &StoreInventory) -> Vec<Option<String>> {
    let mut ns: Vec<Option<String>> = inventory
        .images
        .iter()
        .map(|i| i.namespace.clone())
        .collect();
    ns.sort();
    ns.dedup();
    if ns.is_empty() { vec![None] } else { ns }
}

/// The [`Store`] of one namespace's share of a planned store.
fn describe_store(
    p: &Planned,
    ns: Option<String>,
    split: bool,
    device: Option<u64>,
    inv: &StoreInventory,
    count_blobs: bool,
) -> Store {
    let blob_bytes = if count_blobs {
        inv.blobs.values().map(|b| b.disk_bytes).sum::<u64>()
    } else {
        0
    };
    let disk_bytes = inv.layers.values().map(|l| l.disk_bytes).sum::<u64>() + blob_bytes;
    Store {
        id: Store::make_id(p.runtime, &p.root, ns.as_deref(), split),
        runtime: p.runtime,
        path: p.root.clone(),
        device,
        namespace: ns.clone(),
        live: p.live,
        active: p.active
            && (p.active_namespace.is_none() || ns.is_none() || ns == p.active_namespace),
        endpoint: p.endpoint.clone(),
        reached_by: p.reached_by.clone(),
        proof: p.proof.clone(),
        images: inv.images.len(),
        disk_bytes,
        partial: !inv.gaps.is_empty(),
        gaps: inv.gaps.clone(),
        containers: inv.containers.iter().map(|c| c.name.clone()).collect(),
    }
}
