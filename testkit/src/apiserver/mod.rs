//! A simulated Kubernetes API server for tests (never shipped).
//!
//! It keeps only what a real cluster cannot do on demand: injected 429s and
//! 500s, dropped watches and a 410 on re-watch, nodes that fail in named
//! ways, and a thousand nodes on one machine. Everything else (real agent
//! runs, PodSecurity, RBAC, pods/exec, completion) is tested against the
//! lab's real cluster (`testkit/lab/cluster`).
//!
//! It speaks the subset of the API that `kubectl imgdup` and the
//! `bench/fanout.sh` peer (kubectl 1.32: `create -f --validate=false`,
//! `debug node/X`, `wait`, `logs`, `delete`) use, JSON over HTTP/1.1 on
//! 127.0.0.1: discovery, nodes (list, get, watch), pods (create with
//! dryRun, get, list, watch, delete, deletecollection, log) and
//! SelfSubjectAccessReviews, which it always allows. Every node is fake: its
//! kubelet runs no process, a pod's phases follow a timer and its log is a
//! fixed text.
//!
//! ```yaml
//! listen: 127.0.0.1:0                 # random port
//! kubeconfig: /tmp/sim/kubeconfig     # cluster/context "sim"
//! nodes:
//!   - {name: healthy, fake: {seconds: 1, output: "{node} ok\n"}}
//!   - {name: crash, fake: {seconds: 0.5, exitCode: 101, output: "panicked\n"}}
//!   - {name: stuck, faults: {pending: true}}
//!   - {name: pull, faults: {imagePull: true}}
//!   - {name: gone, fake: {seconds: 30}, faults: {deleteAfterSeconds: 1}}
//! fakeNodes: {count: 1000, prefix: node-, fake: {seconds: 1, output: "{node}\n"}}
//! watchHistory: 1                     # a resumed watch soon gets 410 Expired
//! faults:
//!   - {endpoint: create, resource: pods, code: 429, retryAfterSeconds: 2, times: 1}
//!   - {endpoint: get, resource: pods/log, code: 500, rate: 0.25}
//!   - {endpoint: watch, dropAfterEvents: 3}
//!   - {endpoint: list, latencySeconds: 0.2}
//! ```
//!
//! Test-only endpoint: `GET|DELETE /debug/requests` (counters per verb and
//! resource, not counted themselves).

pub mod config;
mod debug;
mod discovery;
mod faults;
mod kubeconfig;
mod kubelet;
mod logs;
mod middleware;
mod nodes;
mod objects;
mod pods;
mod proto;
mod requestinfo;
mod routes;
mod selectors;
mod server;
mod status;
mod store;
mod watch;

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use k8s_openapi::api::core::v1::Pod;

pub use config::Config;
use config::NodeConfig;
use faults::Faults;
use kubelet::Kubelet;
pub use server::{Bound, SimApiServer, bind};
use store::{Key, Kind, Store};

/// The namespaces every cluster has, plus `imgdup` as deploy/rbac.yaml and
/// the lab's real cluster create it; pods can be created in these only.
const NAMESPACES: [&str; 5] = [
    "default",
    "kube-system",
    "kube-public",
    "kube-node-lease",
    "imgdup",
];

/// A node's configuration and its place in the node list.
#[derive(Debug, Clone)]
struct NodeRuntime {
    cfg: NodeConfig,
    index: usize,
}

/// The server's shared state.
pub struct Sim {
    cfg: Config,
    url: String,
    store: Store,
    kubelet: Kubelet,
    faults: Mutex<Faults>,
    counters: Mutex<BTreeMap<String, u64>>,
    nodes: BTreeMap<String, NodeRuntime>,
    /// Holds the kubeconfig when the config names none; removed at stop.
    temp_dir: Option<PathBuf>,
    deletions: Mutex<HashSet<String>>,
    closing: tokio::sync::watch::Sender<bool>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Sim {
    fn new(cfg: Config, url: String) -> anyhow::Result<Arc<Self>> {
        cfg.validate()?;
        let temp_dir = match cfg.kubeconfig {
            Some(_) => None,
            None => {
                static N: AtomicUsize = AtomicUsize::new(0);
                let dir = std::env::temp_dir().join(format!(
                    "imgdup-sim-{}-{}",
                    std::process::id(),
                    N.fetch_add(1, Ordering::Relaxed)
                ));
                std::fs::create_dir_all(&dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
                Some(dir)
            }
        };
        let store = Store::new(cfg.watch_history);
        let mut nodes = BTreeMap::new();
        for (index, n) in cfg.all_nodes().into_iter().enumerate() {
            let node = nodes::node_object(&n.name, index, &cfg.kubernetes_version);
            store
                .create(Kind::Node, serde_json::to_value(node)?)
                .map_err(|e| anyhow::anyhow!(e.message))?;
            nodes.insert(n.name.clone(), NodeRuntime { cfg: n, index });
        }
        Ok(Arc::new(Sim {
            store,
            kubelet: Kubelet::default(),
            faults: Mutex::new(Faults::new(cfg.faults.clone(), cfg.seed)),
            counters: Mutex::new(BTreeMap::new()),
            nodes,
            temp_dir,
            deletions: Mutex::new(HashSet::new()),
            closing: tokio::sync::watch::channel(false).0,
            url,
            cfg,
        }))
    }

    /// A node that still exists.
    fn node_runtime(&self, name: &str) -> Option<NodeRuntime> {
        self.store
            .get(Kind::Node, &(String::new(), name.to_string()))?;
        self.nodes.get(name).cloned()
    }

    /// Changes a pod if it is still the one with this uid.
    fn update_pod(&self, key: &Key, uid: &str, f: impl FnOnce(&mut Pod)) -> Option<Pod> {
        let mut same = false;
        let out = self.store.update::<Pod, _>(Kind::Pod, key, |p| {
            if p.metadata.uid.as_deref() != Some(uid) {
                return false;
            }
            same = true;
            f(p);
            true
        });
        if same { out } else { None }
    }

    /// The node's `deleteAfterSeconds` fault starts with its first running pod.
    fn node_started_pod(self: &Arc<Self>, node: &NodeRuntime) {
        let Some(after) = node.cfg.faults.delete_after_seconds else {
            return;
        };
        if !lock(&self.deletions).insert(node.cfg.name.clone()) {
            return;
        }
        let sim = self.clone();
        let name = node.cfg.name.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs_f64(after.max(0.0))).await;
            sim.delete_node(&name);
        });
    }

    fn closing(&self) -> tokio::sync::watch::Receiver<bool> {
        self.closing.subscribe()
    }

    /// Pods in the store (every namespace).
    pub fn pods(&self) -> Vec<Pod> {
        self.store.list_typed(Kind::Pod, None)
    }

    /// Requests so far, keyed `verb resource`, plus `total`.
    pub fn request_counts(&self) -> BTreeMap<String, u64> {
        lock(&self.counters).clone()
    }
}
