//! The fake kubelets: one task per pod bound to a node, moving its status
//! along a timer (`runner`), as the kubelet would write it (`status`). No
//! process runs.

mod runner;
pub mod status;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use tokio::sync::mpsc;

use super::Sim;
use super::logs::LogBuf;
use super::store::{Key, Kind};

#[derive(Debug, Clone, Copy)]
pub enum Ctl {
    /// The pod was deleted with this grace period.
    Delete(Duration),
    /// Its node was deleted.
    NodeGone,
    /// The server is stopping.
    Shutdown,
}

struct PodEntry {
    node: String,
    ctl: mpsc::UnboundedSender<Ctl>,
    logs: BTreeMap<String, Arc<LogBuf>>,
}

#[derive(Default)]
pub struct Kubelet {
    pods: Mutex<HashMap<String, PodEntry>>,
    ips: AtomicU32,
}

impl Kubelet {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, PodEntry>> {
        self.pods.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn logs(&self, uid: &str, container: &str) -> Option<Arc<LogBuf>> {
        self.lock().get(uid)?.logs.get(container).cloned()
    }

    /// Sends to a pod's task; false when it has none.
    pub fn send(&self, uid: &str, ctl: Ctl) -> bool {
        self.lock()
            .get(uid)
            .is_some_and(|e| e.ctl.send(ctl).is_ok())
    }

    /// Drops a pod's task channel and logs (its task then ends).
    pub fn forget(&self, uid: &str) {
        self.lock().remove(uid);
    }

    fn next_ip(&self, node_index: usize) -> String {
        let n = self.ips.fetch_add(1, Ordering::Relaxed);
        format!("10.244.{}.{}", node_index % 250, n % 250 + 2)
    }
}

impl Sim {
    /// A pod was created. One bound to a node gets a kubelet task; an
    /// unbound one stays Pending, as with no scheduler running.
    pub fn start_pod(self: &Arc<Self>, pod: &Pod) {
        let node = pod
            .spec
            .as_ref()
            .and_then(|s| s.node_name.clone())
            .unwrap_or_default();
        if node.is_empty() {
            return;
        }
        let uid = pod.metadata.uid.clone().unwrap_or_default();
        let key = (
            pod.metadata.namespace.clone().unwrap_or_default(),
            pod.metadata.name.clone().unwrap_or_default(),
        );
        let logs = pod
            .spec
            .iter()
            .flat_map(|s| s.containers.iter())
            .map(|c| (c.name.clone(), Arc::new(LogBuf::default())))
            .collect();
        let (tx, rx) = mpsc::unbounded_channel();
        self.kubelet.lock().insert(
            uid.clone(),
            PodEntry {
                node,
                ctl: tx,
                logs,
            },
        );
        let sim = self.clone();
        tokio::spawn(async move { runner::run_pod(sim, key, uid, rx).await });
    }

    /// Removes a pod for good (DELETED) and forgets its task.
    pub fn remove_pod(&self, key: &Key, uid: &str) {
        let same = self
            .store
            .get(Kind::Pod, key)
            .is_some_and(|p| p["metadata"]["uid"].as_str() == Some(uid));
        if same {
            self.store.delete(Kind::Pod, key);
        }
        self.kubelet.forget(uid);
    }

    /// Deletes a node; PodGC then takes its pods.
    pub fn delete_node(&self, name: &str) {
        if self
            .store
            .delete(Kind::Node, &(String::new(), name.to_string()))
            .is_none()
        {
            return;
        }
        let uids: Vec<String> = self
            .kubelet
            .lock()
            .iter()
            .filter(|(_, e)| e.node == name)
            .map(|(u, _)| u.clone())
            .collect();
        for uid in uids {
            self.kubelet.send(&uid, Ctl::NodeGone);
        }
    }

    /// Tells every pod task to end.
    pub fn stop_all_pods(&self) {
        for e in self.kubelet.lock().values() {
            let _ = e.ctl.send(Ctl::Shutdown);
        }
    }
}
