//! The simulated kubelets: one runner task per pod bound to a node. Lab and
//! dir nodes run the container's command as a real process in a sandbox;
//! fake nodes only move the phases along a timer.

pub mod container;
pub mod images;
pub mod process;
pub mod runner;
pub mod running;
pub mod sandbox;
pub mod status;
pub mod volumes;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use tokio::sync::mpsc;

use super::Sim;
use super::logs::LogBuf;
use super::store::{Key, Kind};
use process::ProcRegistry;

#[derive(Debug, Clone, Copy)]
pub enum Ctl {
    /// The pod was deleted with this grace period.
    Delete(Duration),
    /// Its node was deleted.
    NodeGone,
    /// The server is stopping: kill everything now.
    Shutdown,
}

pub struct PodEntry {
    pub key: Key,
    pub node: String,
    ctl: mpsc::UnboundedSender<Ctl>,
    pub logs: BTreeMap<String, Arc<LogBuf>>,
}

#[derive(Default)]
pub struct Kubelet {
    pods: Mutex<HashMap<String, PodEntry>>,
    pub procs: ProcRegistry,
    busybox: Mutex<HashMap<PathBuf, PathBuf>>,
    ips: AtomicU32,
}

impl Kubelet {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, PodEntry>> {
        self.pods.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn logs(&self, uid: &str, container: &str) -> Option<Arc<LogBuf>> {
        self.lock().get(uid)?.logs.get(container).cloned()
    }

    /// Sends to a pod's runner; false when it has none.
    pub fn send(&self, uid: &str, ctl: Ctl) -> bool {
        self.lock()
            .get(uid)
            .is_some_and(|e| e.ctl.send(ctl).is_ok())
    }

    /// Drops a pod's runner channel and logs (its runner then ends).
    pub fn forget(&self, uid: &str) {
        self.lock().remove(uid);
    }

    pub fn pods_on(&self, node: &str) -> Vec<String> {
        self.lock()
            .iter()
            .filter(|(_, e)| e.node == node)
            .map(|(u, _)| u.clone())
            .collect()
    }

    pub fn uids(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }

    pub fn next_ip(&self, node_index: usize) -> String {
        let n = self.ips.fetch_add(1, Ordering::Relaxed);
        format!("10.244.{}.{}", node_index % 250, n % 250 + 2)
    }

    /// The /bin of a busybox image, made once per binary.
    pub fn busybox_bin(&self, state_dir: &Path, binary: &Path) -> std::io::Result<PathBuf> {
        let mut g = self.busybox.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = g.get(binary) {
            return Ok(p.clone());
        }
        let p = images::busybox_bin(state_dir, binary)?;
        g.insert(binary.to_path_buf(), p.clone());
        Ok(p)
    }
}

impl Sim {
    /// A pod was created: its kubelet (or the missing scheduler) takes it.
    pub fn start_pod(self: &Arc<Self>, pod: &Pod) {
        let uid = pod.metadata.uid.clone().unwrap_or_default();
        let key = (
            pod.metadata.namespace.clone().unwrap_or_default(),
            pod.metadata.name.clone().unwrap_or_default(),
        );
        let node = pod
            .spec
            .as_ref()
            .and_then(|s| s.node_name.clone())
            .unwrap_or_default();
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
                key: key.clone(),
                node,
                ctl: tx,
                logs,
            },
        );
        let sim = self.clone();
        tokio::spawn(async move { runner::run_pod(sim, key, uid, rx).await });
    }

    /// Removes a pod for good (DELETED) and forgets its runner.
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
    pub fn delete_node(&self, name: &str) -> Option<Arc<serde_json::Value>> {
        let gone = self
            .store
            .delete(Kind::Node, &(String::new(), name.to_string()))?;
        for uid in self.kubelet.pods_on(name) {
            self.kubelet.send(&uid, Ctl::NodeGone);
        }
        Some(gone)
    }

    /// Stops every runner and waits (up to 10 s) for their processes to end.
    pub async fn stop_all_pods(&self) {
        for uid in self.kubelet.uids() {
            self.kubelet.send(&uid, Ctl::Shutdown);
        }
        for _ in 0..200 {
            if self.kubelet.procs.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
