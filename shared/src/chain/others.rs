//! Runtimes on the node that crictl's chain does not reach: a leftover Docker
//! after a runtime switch, a second containerd, CRI-O. Found three ways —
//! running processes, well-known sockets, and well-known roots on disk — and
//! merged by canonical root, so one runtime seen three ways is listed once.

use std::path::{Path, PathBuf};

use crate::chain::k3s::K3sView;
use crate::chain::running_roots::running_roots;
use crate::chain::setting::read_config;
use crate::host::daemon_config::DaemonJson;
use crate::host::defaults as d;
use crate::host::process::Process;
use crate::host::view::HostView;
use crate::model::chain::{Hop, HopKind, OtherRuntime};
use crate::model::evidence::{Evidence, Source};
use crate::runtime::{containerd, docker};

/// A runtime seen one way, before merging.
#[derive(Debug, Clone)]
struct Candidate {
    kind: HopKind,
    socket: Option<String>,
    root: Option<String>,
    pid: Option<u32>,
    evidence: Vec<Evidence>,
}

impl Candidate {
    /// A runtime seen as a running process, with its cmdline as proof.
    fn from_process(kind: HopKind, socket: String, root: String, p: &Process) -> Self {
        let proof = Evidence::new(
            Source::ProcessCmdline,
            format!("pid {}: {}", p.pid, p.cmdline.display()),
        );
        Self {
            kind,
            socket: Some(socket),
            root: Some(root),
            pid: Some(p.pid),
            evidence: vec![proof],
        }
    }
}

/// Lists the runtimes that are not on `chain`.
pub async fn discover(
    node: &HostView,
    chain: &[&Hop],
    warnings: &mut Vec<String>,
) -> Vec<OtherRuntime> {
    let mut candidates = from_processes(node, warnings);
    candidates.extend(from_sockets(node, warnings));
    candidates.extend(from_disk(node, warnings));

    // Runtimes on the chain are proven already: don't dial them again.
    candidates.retain(|c| !on_chain(node, &c.kind, c.root.as_deref(), c.socket.as_deref(), chain));
    // Dial each socket once, all at the same time.
    let mut dialled = std::collections::HashSet::new();
    let confirms = candidates.into_iter().map(|c| {
        let dial = c
            .socket
            .as_deref()
            .is_some_and(|s| dialled.insert(node.canonical(s)));
        confirm(node, c, dial)
    });
    let mut found: Vec<OtherRuntime> = Vec::new();
    for seen in futures::future::join_all(confirms).await {
        merge(node, &mut found, seen);
    }
    found.retain(|o| {
        !on_chain(
            node,
            &o.kind,
            o.root.as_deref(),
            endpoint_path(node, o).as_deref(),
            chain,
        )
    });
    found.sort_by(|a, b| (a.kind.as_str(), &a.root).cmp(&(b.kind.as_str(), &b.root)));
    found
}

fn from_processes(node: &HostView, warnings: &mut Vec<String>) -> Vec<Candidate> {
    running_roots(node, warnings)
        .into_iter()
        .filter_map(|r| {
            let socket = r.socket?;
            let p = node.procs.get(r.pid)?;
            Some(Candidate::from_process(r.kind, socket, r.root, p))
        })
        .collect()
}

/// k3s's and rke2's containerd roots, from a k3s process or the defaults.
fn agent_roots(node: &HostView, warnings: &mut Vec<String>) -> Vec<String> {
    let k3s = node.procs.named("k3s").next();
    let mut roots = vec![d::agent_containerd_root(
        &K3sView::of(node, k3s, warnings).data_dir.value,
    )];
    roots.push(d::agent_containerd_root(d::RKE2_DATA_DIR));
    roots
}

fn from_sockets(node: &HostView, warnings: &mut Vec<String>) -> Vec<Candidate> {
    let docker_root = read_config(node, d::DOCKER_CONFIG, DaemonJson::parse, warnings)
        .and_then(|j| j.data_root().map(str::to_string))
        .unwrap_or_else(|| d::DOCKER_ROOT.into());
    let k3s_root = agent_roots(node, warnings).remove(0);
    let known = [
        (
            HopKind::Containerd,
            d::CONTAINERD_SOCKET,
            d::CONTAINERD_ROOT.to_string(),
        ),
        (HopKind::Containerd, d::K3S_CONTAINERD_SOCKET, k3s_root),
        (
            HopKind::Containerd,
            d::DOCKER_MANAGED_CONTAINERD_SOCKET,
            d::DOCKER_MANAGED_CONTAINERD_ROOT.to_string(),
        ),
        (
            HopKind::Containerd,
            d::MICROK8S_CONTAINERD_SOCKET,
            d::MICROK8S_CONTAINERD_ROOT.to_string(),
        ),
        (HopKind::Dockerd, d::DOCKER_SOCKET, docker_root),
        (
            HopKind::CriO,
            d::CRIO_SOCKET,
            d::CRIO_STORAGE_ROOT.to_string(),
        ),
    ];
    known
        .into_iter()
        .filter(|(_, socket, _)| node.exists(socket))
        .map(|(kind, socket, root)| Candidate {
            kind,
            socket: Some(socket.to_string()),
            root: Some(root),
            pid: node.listener(Path::new(socket)).map(|p| p.pid),
            evidence: vec![Evidence::new(
                Source::Filesystem,
                format!("socket {socket} exists"),
            )],
        })
        .collect()
}

fn from_disk(node: &HostView, warnings: &mut Vec<String>) -> Vec<Candidate> {
    let mut roots: Vec<(HopKind, String, &str)> = Vec::new();
    let docker_json = read_config(node, d::DOCKER_CONFIG, DaemonJson::parse, warnings);
    for root in [
        Some(d::DOCKER_ROOT.to_string()),
        docker_json.and_then(|j| j.data_root().map(str::to_string)),
    ]
    .into_iter()
    .flatten()
    {
        roots.push((HopKind::Dockerd, root, "image"));
    }
    let mut containerd_roots = vec![
        d::CONTAINERD_ROOT.to_string(),
        d::DOCKER_MANAGED_CONTAINERD_ROOT.to_string(),
        d::MICROK8S_CONTAINERD_ROOT.to_string(),
    ];
    containerd_roots.extend(agent_roots(node, warnings));
    for root in containerd_roots {
        roots.push((
            HopKind::Containerd,
            root,
            "io.containerd.metadata.v1.bolt/meta.db",
        ));
    }
    roots.push((
        HopKind::CriO,
        d::CRIO_STORAGE_ROOT.to_string(),
        "overlay-images",
    ));
    for (_, root, _) in &roots {
        if crate::host::root::is_loop(&node.host.canonical(root)) {
            let msg = format!(
                "{root} is a symlink loop (too many levels of symbolic links); not read. Fix or remove the link"
            );
            if !warnings.contains(&msg) {
                warnings.push(msg);
            }
        }
    }
    roots
        .into_iter()
        .filter(|(_, root, marker)| node.exists(PathBuf::from(root).join(marker)))
        .map(|(kind, root, marker)| Candidate {
            kind,
            socket: None,
            evidence: vec![Evidence::new(
                Source::Filesystem,
                format!("{root}/{marker} exists: a store is on disk"),
            )],
            root: Some(root),
            pid: None,
        })
        .collect()
}

/// Asks the runtime itself when it answers; its answer replaces our guesses.
async fn confirm(node: &HostView, c: Candidate, dial: bool) -> OtherRuntime {
    let mut other = OtherRuntime {
        kind: c.kind,
        endpoint: c.socket.as_deref().map(d::unix_url),
        root: c.root.as_deref().map(|r| node.canonical(r)),
        namespaces: Vec::new(),
        running: c.pid.is_some(),
        pid: c.pid,
        version: None,
        evidence: c.evidence,
    };
    let Some(socket) = c.socket.filter(|_| dial && !node.offline) else {
        return other;
    };
    let socket = PathBuf::from(socket);
    let local = node.host.local(&socket);
    match c.kind {
        HopKind::Containerd => match containerd::info(&local, &socket, node.timeout).await {
            Ok(i) => {
                other.running = true;
                other.version = Some(i.version.clone());
                other.namespaces = i.namespaces;
                if let Some(root) = i.root {
                    other.root = Some(node.canonical(&root));
                }
                other.evidence.push(Evidence::new(
                    Source::Api,
                    format!("containerd {} answers on {}", i.version, socket.display()),
                ));
            }
            Err(e) => other
                .evidence
                .push(Evidence::new(Source::Api, format!("not answering: {e}"))),
        },
        HopKind::Dockerd => match docker::info(&local, &socket, node.timeout).await {
            Ok(i) => {
                other.running = true;
                other.version = Some(i.server_version.clone());
                other.root = Some(node.canonical(&i.root_dir));
                other.evidence.push(Evidence::new(
                    Source::Api,
                    format!(
                        "dockerd {} answers on {} (Driver {})",
                        i.server_version,
                        socket.display(),
                        i.driver
                    ),
                ));
            }
            Err(e) => other
                .evidence
                .push(Evidence::new(Source::Api, format!("not answering: {e}"))),
        },
        _ => {}
    }
    other
}

/// One entry per (kind, root); an entry without a root merges by endpoint.
fn merge(node: &HostView, found: &mut Vec<OtherRuntime>, new: OtherRuntime) {
    let same = |o: &OtherRuntime| {
        o.kind == new.kind
            && match (&o.root, &new.root) {
                (Some(a), Some(b)) => a == b,
                _ => endpoint_path(node, o) == endpoint_path(node, &new) && o.endpoint.is_some(),
            }
    };
    match found.iter_mut().find(|o| same(o)) {
        Some(o) => {
            o.running |= new.running;
            o.pid = o.pid.or(new.pid);
            o.endpoint = o.endpoint.take().or(new.endpoint);
            o.version = o.version.take().or(new.version);
            if o.namespaces.is_empty() {
                o.namespaces = new.namespaces;
            }
            for e in new.evidence {
                if !o.evidence.contains(&e) {
                    o.evidence.push(e);
                }
            }
        }
        None => found.push(new),
    }
}

fn endpoint_path(node: &HostView, o: &OtherRuntime) -> Option<String> {
    o.endpoint
        .as_deref()
        .and_then(d::unix_path)
        .map(|p| node.canonical(p))
}

/// Whether a runtime (by kind and root, or by socket) is a hop of the chain.
fn on_chain(
    node: &HostView,
    kind: &HopKind,
    root: Option<&str>,
    socket: Option<&str>,
    chain: &[&Hop],
) -> bool {
    let root = root.map(|r| node.canonical(r));
    let socket = socket.and_then(d::unix_path).map(|p| node.canonical(p));
    chain.iter().any(|hop| {
        let same_root = hop.kind == *kind
            && root.is_some()
            && hop.root.as_deref().map(|r| node.canonical(r)) == root;
        let same_socket =
            socket.is_some() && d::unix_path(&hop.endpoint).map(|p| node.canonical(p)) == socket;
        same_root || same_socket
    })
}
