//! A simulated Kubernetes API server for tests (never shipped).
//!
//! It speaks the subset of the real API that `kubectl imgdup` and kubectl
//! 1.32 use (JSON over HTTP/1.1 on 127.0.0.1): discovery, nodes,
//! namespaces, pods (create, get, list, watch, delete, deletecollection,
//! log, exec over websockets), events and SelfSubjectAccessReviews, with
//! PodSecurity admission, configurable RBAC and fault injection. Pods bound to a node really run:
//! on a lab node (a `testkit/lab` scenario) or a dir node the container's
//! command is a real process in a sandbox built from the node's files; on a
//! fake node the phases follow a timer.
//!
//! ```yaml
//! listen: 127.0.0.1:0                 # random port
//! kubeconfig: /tmp/sim/kubeconfig     # cluster/context "sim", token user
//! namespaces:
//!   - name: imgdup
//!     labels: {pod-security.kubernetes.io/enforce: baseline}
//! nodes:
//!   - {name: worker-1, lab: two-containerds}
//!   - {name: gen-1, dir: /tmp/root}
//!   - {name: stuck, fake: {seconds: 1}, faults: {pending: true}}
//! fakeNodes: {count: 200, prefix: node-, fake: {seconds: 2, output: "{node}\n"}}
//! images:
//!   busybox: /usr/bin/busybox
//!   ghcr.io/imgdup/kubectl-imgdup:0.1.0: /work/main/target/debug/kubectl-imgdup
//! rbac: {default: allow, deny: [{verbs: [create], resources: [pods], namespaces: [locked]}]}
//! faults:
//!   - {endpoint: create, resource: pods, code: 429, retryAfterSeconds: 2, times: 1}
//!   - {endpoint: watch, dropAfterEvents: 3}
//!   - {endpoint: list, latencySeconds: 0.2}
//! ```
//!
//! Test-only endpoints: `GET|DELETE /debug/requests` (counters per verb and
//! resource), `GET|PUT|POST /debug/faults`, `PUT /debug/nodes/NAME/faults`,
//! `PUT /debug/rbac`, `GET /debug/processes`, `POST /debug/compact`.

pub mod config;
mod debug;
pub mod discovery;
mod events;
mod exec;
pub mod faults;
pub mod kubeconfig;
pub mod kubelet;
pub mod logs;
mod middleware;
pub mod nodes;
pub mod objects;
pub mod openapi;
mod pods;
pub mod printers;
pub mod proto;
pub mod psa;
pub mod rbac;
pub mod requestinfo;
mod routes;
pub mod selectors;
mod server;
pub mod status;
pub mod store;
pub mod table;
mod watch;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use k8s_openapi::api::core::v1::{Node, Pod};
use serde_json::Value;

pub use config::Config;
use config::{NodeConfig, RbacConfig};
use faults::Faults;
use kubelet::Kubelet;
pub use server::{Bound, SimApiServer, bind};
use store::{Key, Kind, Store};

/// A node's configuration and runtime facts.
#[derive(Debug, Clone)]
pub struct NodeRuntime {
    pub cfg: NodeConfig,
    pub index: usize,
    pub ip: String,
}

/// The server's shared state.
pub struct Sim {
    pub cfg: Config,
    pub url: String,
    pub store: Store,
    pub kubelet: Kubelet,
    pub faults: Mutex<Faults>,
    pub rbac: Mutex<RbacConfig>,
    pub counters: Mutex<BTreeMap<String, u64>>,
    pub nodes: Mutex<BTreeMap<String, NodeRuntime>>,
    pub state_dir: PathBuf,
    pub helper: Option<PathBuf>,
    pub(crate) event_index: Mutex<HashMap<(String, String, String), Key>>,
    deletions: Mutex<HashSet<String>>,
    closing: tokio::sync::watch::Sender<bool>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// `imgdup-sim-exec`: next to the running binary (or its parent, for test
/// binaries in target/debug/deps), else `<repo>/target/debug`.
fn find_helper() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let mut candidates = Vec::new();
    if let Some(d) = exe.parent() {
        candidates.push(d.join("imgdup-sim-exec"));
        if let Some(p) = d.parent() {
            candidates.push(p.join("imgdup-sim-exec"));
        }
    }
    candidates.push(crate::lab::repo_root().join("target/debug/imgdup-sim-exec"));
    candidates.into_iter().find(|p| p.is_file())
}

fn lab_node_up(scenario: &str) -> bool {
    let path = crate::lab::lab_dir().join(scenario).join("state.env");
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| crate::lab::parse_state(&t).get("HOLDER_PID").cloned())
        .is_some_and(|p| Path::new(&format!("/proc/{p}")).exists())
}

impl Sim {
    fn new(mut cfg: Config, url: String) -> anyhow::Result<Arc<Self>> {
        cfg.validate()?;
        // Relative binaries are relative to here (sandboxes start elsewhere).
        for image in cfg.images.values_mut() {
            let bin = match image {
                config::ImageConfig::Binary(p) => p,
                config::ImageConfig::Full(s) => &mut s.binary,
            };
            if bin.is_relative() {
                *bin = std::path::absolute(&*bin)?;
            }
        }
        for n in &mut cfg.nodes {
            if let Some(d) = n.dir.as_mut().filter(|d| d.is_relative()) {
                *d = std::path::absolute(&*d)?;
            }
        }
        for p in [&mut cfg.state_dir, &mut cfg.exec_helper]
            .into_iter()
            .flatten()
        {
            if p.is_relative() {
                *p = std::path::absolute(&*p)?;
            }
        }
        static N: AtomicUsize = AtomicUsize::new(0);
        let state_dir = cfg.state_dir.clone().unwrap_or_else(|| {
            PathBuf::from(format!(
                "/tmp/imgdup-sim-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ))
        });
        std::fs::create_dir_all(&state_dir)
            .with_context(|| format!("creating {}", state_dir.display()))?;
        let helper = cfg.exec_helper.clone().or_else(find_helper);
        let sim = Arc::new(Sim {
            store: Store::new(cfg.watch_history),
            kubelet: Kubelet::default(),
            faults: Mutex::new(Faults::new(cfg.faults.clone(), cfg.seed)),
            rbac: Mutex::new(cfg.rbac.clone()),
            counters: Mutex::new(BTreeMap::new()),
            nodes: Mutex::new(BTreeMap::new()),
            state_dir,
            helper,
            event_index: Mutex::new(HashMap::new()),
            deletions: Mutex::new(HashSet::new()),
            closing: tokio::sync::watch::channel(false).0,
            url,
            cfg,
        });
        let mut namespaces = sim.cfg.namespaces.clone();
        for n in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            if !namespaces.iter().any(|x| x.name == n) {
                namespaces.push(config::NamespaceConfig {
                    name: n.into(),
                    ..Default::default()
                });
            }
        }
        for ns in &namespaces {
            sim.store
                .create(
                    Kind::Namespace,
                    serde_json::to_value(nodes::namespace_object(ns))?,
                )
                .map_err(|e| anyhow::anyhow!(e.message))?;
        }
        for (index, n) in sim.cfg.all_nodes().into_iter().enumerate() {
            let ready = n.ready.unwrap_or(true) && n.lab.as_deref().is_none_or(lab_node_up);
            let node = nodes::node_object(&n, index, &sim.cfg.kubernetes_version, ready);
            sim.store
                .create(Kind::Node, serde_json::to_value(node)?)
                .map_err(|e| anyhow::anyhow!(e.message))?;
            let ip = nodes::node_ip(&n, index);
            lock(&sim.nodes).insert(n.name.clone(), NodeRuntime { cfg: n, index, ip });
        }
        Ok(sim)
    }

    pub fn node_runtime(&self, name: &str) -> Option<NodeRuntime> {
        self.store
            .get(Kind::Node, &(String::new(), name.to_string()))?;
        lock(&self.nodes).get(name).cloned()
    }

    /// The node exists and its Ready condition is True.
    pub fn node_ready(&self, name: &str) -> bool {
        self.store
            .get_typed::<Node>(Kind::Node, &(String::new(), name.to_string()))
            .and_then(|n| n.status?.conditions)
            .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
    }

    fn set_node_ready(&self, name: &str, ready: bool) {
        let key = (String::new(), name.to_string());
        self.store.update::<Node, _>(Kind::Node, &key, |n| {
            let conds = n
                .status
                .get_or_insert_with(Default::default)
                .conditions
                .get_or_insert_with(Vec::new);
            let want = if ready { "True" } else { "False" };
            match conds.iter_mut().find(|c| c.type_ == "Ready") {
                Some(c) if c.status == want => false,
                Some(c) => {
                    *c = nodes::ready_condition(ready);
                    true
                }
                None => {
                    conds.push(nodes::ready_condition(ready));
                    true
                }
            }
        });
    }

    /// Lab nodes follow their scenario: NotReady while it is down.
    async fn watch_node_health(self: Arc<Self>) {
        let mut closing = self.closing.subscribe();
        loop {
            let labs: Vec<(String, String, bool)> = lock(&self.nodes)
                .values()
                .filter_map(|n| {
                    n.cfg
                        .lab
                        .clone()
                        .map(|l| (n.cfg.name.clone(), l, n.cfg.ready.unwrap_or(true)))
                })
                .collect();
            for (name, scn, configured) in labs {
                if self
                    .store
                    .get(Kind::Node, &(String::new(), name.clone()))
                    .is_some()
                {
                    self.set_node_ready(&name, configured && lab_node_up(&scn));
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(2)) => {}
                _ = closing.changed() => return,
            }
        }
    }

    /// Changes a pod if it is still the one with this uid.
    pub fn update_pod(&self, key: &Key, uid: &str, f: impl FnOnce(&mut Pod)) -> Option<Pod> {
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
    pub fn node_started_pod(self: &Arc<Self>, node: &NodeRuntime) {
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

    pub fn closing(&self) -> tokio::sync::watch::Receiver<bool> {
        self.closing.subscribe()
    }

    /// Pods in the store (every namespace).
    pub fn pods(&self) -> Vec<Pod> {
        self.store.list_typed(Kind::Pod, None)
    }

    pub fn request_counts(&self) -> BTreeMap<String, u64> {
        lock(&self.counters).clone()
    }

    pub fn object(&self, kind: Kind, ns: &str, name: &str) -> Option<Arc<Value>> {
        self.store.get(kind, &(ns.to_string(), name.to_string()))
    }
}
