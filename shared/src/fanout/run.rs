//! The fan-out: one agent pod per node, at most `concurrency` at a time,
//! one watch for all their phases, the report read from each pod's log, and
//! every pod deleted — on success, error, timeout and cancellation.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{DeleteParams, ListParams, LogParams, PostParams};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client};
use tokio::sync::broadcast;

use super::cluster_report::ApiCalls;
use super::pod::{AgentPod, RUN_ID_LABEL};
use crate::node_report::NodeReport;

/// How a run behaves.
#[derive(Debug, Clone)]
pub struct FanoutConfig {
    pub namespace: String,
    pub image: String,
    pub run_id: String,
    pub concurrency: usize,
    /// The agent's scan deadline.
    pub timeout: Duration,
    /// How long a pod may stay Pending before the node is `unknown`.
    pub pending_timeout: Duration,
    /// Debugging only: leave the pods for inspection.
    pub keep_pods: bool,
}

/// The largest pod log read: a report is a few hundred KiB even on big nodes.
const MAX_LOG_BYTES: i64 = 16 << 20;

/// Per-run request counters, shared by the node tasks.
#[derive(Debug, Default)]
pub struct Counters {
    list: AtomicU32,
    watch: AtomicU32,
    create: AtomicU32,
    get: AtomicU32,
    log: AtomicU32,
    delete: AtomicU32,
}

impl Counters {
    /// Counts a list made outside the fan-out (the node list).
    pub fn note_list(&self) {
        self.list.fetch_add(1, Ordering::Relaxed);
    }

    pub fn snapshot(&self, preflight: u32) -> ApiCalls {
        let n = |c: &AtomicU32| c.load(Ordering::Relaxed);
        ApiCalls {
            preflight,
            list: n(&self.list),
            watch: n(&self.watch),
            create: n(&self.create),
            get: n(&self.get),
            log: n(&self.log),
            delete: n(&self.delete),
        }
    }
}

/// Scans `nodes` and returns one report per node (`unknown` with a reason
/// when a node could not be scanned). `done` is told each finished node.
pub async fn fan_out(
    client: Client,
    nodes: Vec<String>,
    cfg: &FanoutConfig,
    counters: Arc<Counters>,
    done: impl Fn(&NodeReport),
) -> Vec<NodeReport> {
    let pods: Api<Pod> = Api::namespaced(client, &cfg.namespace);
    let (updates, _) = broadcast::channel::<Pod>(4096);
    // One watch for every pod of this run, instead of polling each pod.
    let selector = format!("{RUN_ID_LABEL}={}", cfg.run_id);
    let watch_task = {
        let pods = pods.clone();
        let updates = updates.clone();
        let counters = counters.clone();
        tokio::spawn(async move {
            counters.watch.fetch_add(1, Ordering::Relaxed);
            let stream =
                watcher(pods, watcher::Config::default().labels(&selector)).default_backoff();
            let mut stream = std::pin::pin!(stream);
            while let Some(event) = stream.next().await {
                match event {
                    Ok(
                        watcher::Event::Apply(pod)
                        | watcher::Event::InitApply(pod)
                        | watcher::Event::Delete(pod),
                    ) => {
                        let _ = updates.send(pod);
                    }
                    Ok(_) => {}
                    // The watcher re-lists and re-watches by itself, with backoff.
                    Err(_) => {
                        counters.watch.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        })
    };
    let reports: Vec<NodeReport> = futures::stream::iter(nodes)
        .map(|node| {
            let pods = pods.clone();
            let updates = updates.subscribe();
            let counters = counters.clone();
            async move { scan_node(&pods, node, cfg, updates, &counters).await }
        })
        .buffer_unordered(cfg.concurrency.max(1))
        .inspect(|report| done(report))
        .collect()
        .await;
    watch_task.abort();
    if !cfg.keep_pods {
        sweep(&pods, &cfg.run_id, &counters).await;
    }
    reports
}

/// Deletes every pod of a run by its label: the safety net behind the
/// per-pod deletes, and the whole cleanup after Ctrl-C.
pub async fn sweep(pods: &Api<Pod>, run_id: &str, counters: &Counters) {
    counters.delete.fetch_add(1, Ordering::Relaxed);
    let selector = format!("{RUN_ID_LABEL}={run_id}");
    let _ = pods
        .delete_collection(
            &DeleteParams::default().grace_period(0),
            &ListParams::default().labels(&selector),
        )
        .await;
}

async fn scan_node(
    pods: &Api<Pod>,
    node: String,
    cfg: &FanoutConfig,
    mut updates: broadcast::Receiver<Pod>,
    counters: &Counters,
) -> NodeReport {
    let spec = AgentPod {
        node: node.clone(),
        namespace: cfg.namespace.clone(),
        image: cfg.image.clone(),
        run_id: cfg.run_id.clone(),
        timeout: cfg.timeout,
    }
    .build();
    counters.create.fetch_add(1, Ordering::Relaxed);
    let created = match pods.create(&PostParams::default(), &spec).await {
        Ok(p) => p,
        Err(e) => return NodeReport::unknown(node, reason_for_api_error(&e)),
    };
    let Some(name) = created.metadata.name.clone() else {
        return NodeReport::unknown(node, "the API server returned a pod without a name");
    };
    let report = follow(pods, &node, &name, created, cfg, &mut updates, counters).await;
    if !cfg.keep_pods {
        counters.delete.fetch_add(1, Ordering::Relaxed);
        let _ = pods
            .delete(&name, &DeleteParams::default().grace_period(0))
            .await;
    }
    report
}

/// Waits for the pod to finish (or to be hopelessly Pending), then reads the report.
async fn follow(
    pods: &Api<Pod>,
    node: &str,
    name: &str,
    mut pod: Pod,
    cfg: &FanoutConfig,
    updates: &mut broadcast::Receiver<Pod>,
    counters: &Counters,
) -> NodeReport {
    let started = Instant::now();
    let deadline = cfg.timeout + super::pod::DEADLINE_MARGIN;
    loop {
        match phase(&pod) {
            "Succeeded" => return read_report(pods, node, name, counters).await,
            "Failed" => {
                let why = failure(&pod);
                let log = tail_log(pods, name, counters).await;
                return NodeReport::unknown(node.into(), format!("AgentFailed: {why}{log}"));
            }
            "Pending" if started.elapsed() > cfg.pending_timeout => {
                return NodeReport::unknown(node.into(), pending_reason(&pod));
            }
            _ if started.elapsed() > deadline => {
                return NodeReport::unknown(node.into(), "Timeout");
            }
            _ => {}
        }
        let wait = if phase(&pod) == "Pending" {
            cfg.pending_timeout
        } else {
            deadline
        }
        .saturating_sub(started.elapsed());
        match tokio::time::timeout(wait.max(Duration::from_millis(10)), updates.recv()).await {
            Ok(Ok(update)) if update.metadata.name.as_deref() == Some(name) => pod = update,
            Ok(Ok(_)) => {}
            // Missed updates (a slow consumer): ask for the pod once.
            Ok(Err(broadcast::error::RecvError::Lagged(_))) => {
                counters.get.fetch_add(1, Ordering::Relaxed);
                if let Ok(fresh) = pods.get(name).await {
                    pod = fresh;
                }
            }
            Ok(Err(broadcast::error::RecvError::Closed)) => {
                return NodeReport::unknown(node.into(), "Timeout: the pod watch ended");
            }
            Err(_) => {}
        }
    }
}

async fn read_report(pods: &Api<Pod>, node: &str, name: &str, counters: &Counters) -> NodeReport {
    counters.log.fetch_add(1, Ordering::Relaxed);
    let params = LogParams {
        limit_bytes: Some(MAX_LOG_BYTES),
        ..Default::default()
    };
    match pods.logs(name, &params).await {
        Ok(text) => match serde_json::from_str::<NodeReport>(&text) {
            Ok(mut report) => {
                report.node = node.to_string();
                report
            }
            Err(e) => NodeReport::unknown(
                node.into(),
                format!(
                    "BadReport: the agent's output is not a NodeReport ({e}); {} bytes",
                    text.len()
                ),
            ),
        },
        Err(e) => NodeReport::unknown(node.into(), format!("LogUnavailable: {e}")),
    }
}

async fn tail_log(pods: &Api<Pod>, name: &str, counters: &Counters) -> String {
    counters.log.fetch_add(1, Ordering::Relaxed);
    let params = LogParams {
        tail_lines: Some(3),
        limit_bytes: Some(4096),
        ..Default::default()
    };
    match pods.logs(name, &params).await {
        Ok(text) if !text.trim().is_empty() => format!(": {}", text.trim().replace('\n', " | ")),
        _ => String::new(),
    }
}

fn phase(pod: &Pod) -> &str {
    pod.status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or("Pending")
}

/// Why a pod failed: the container's terminated reason and exit code, or the pod's.
pub fn failure(pod: &Pod) -> String {
    let status = pod.status.as_ref();
    let terminated = status
        .and_then(|s| s.container_statuses.as_ref())
        .and_then(|cs| {
            cs.iter()
                .find_map(|c| c.state.as_ref().and_then(|st| st.terminated.clone()))
        });
    match (terminated, status.and_then(|s| s.reason.clone())) {
        (Some(t), _) => format!(
            "{} (exit {})",
            t.reason.unwrap_or_else(|| "Error".into()),
            t.exit_code
        ),
        (None, Some(reason)) => reason,
        (None, None) => "Failed".into(),
    }
}

/// SPEC §4 reason for a pod that never ran: `PodPending: Unschedulable`,
/// `ImagePullBackOff`, …, from its conditions and container states.
pub fn pending_reason(pod: &Pod) -> String {
    let status = pod.status.as_ref();
    let waiting = status
        .and_then(|s| s.container_statuses.as_ref())
        .and_then(|cs| {
            cs.iter().find_map(|c| {
                c.state
                    .as_ref()
                    .and_then(|st| st.waiting.as_ref())
                    .and_then(|w| w.reason.clone())
            })
        });
    if let Some(reason) = waiting.filter(|r| r != "ContainerCreating") {
        return reason;
    }
    let unscheduled = status
        .and_then(|s| s.conditions.as_ref())
        .and_then(|cs| {
            cs.iter()
                .find(|c| c.type_ == "PodScheduled" && c.status == "False")
        })
        .and_then(|c| c.reason.clone());
    match unscheduled {
        Some(reason) => format!("PodPending: {reason}"),
        None => "PodPending".into(),
    }
}

fn reason_for_api_error(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(status) if status.code == 403 => format!("Forbidden: {}", status.message),
        other => format!("CreateFailed: {other}"),
    }
}

/// Nodes by reason they are skipped before any pod: `NotReady`, `Windows`.
pub fn skip_reason(node: &k8s_openapi::api::core::v1::Node) -> Option<&'static str> {
    let labels = node.metadata.labels.clone().unwrap_or_default();
    let os = node
        .status
        .as_ref()
        .and_then(|s| s.node_info.as_ref())
        .map(|i| i.operating_system.as_str())
        .or(labels.get("kubernetes.io/os").map(String::as_str));
    if os == Some("windows") {
        return Some("Windows");
    }
    let ready = node
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|cs| cs.iter().find(|c| c.type_ == "Ready"))
        .map(|c| c.status == "True");
    if ready == Some(false) {
        Some("NotReady")
    } else {
        None
    }
}

/// Groups workload findings by node name.
pub fn findings_by_node(pods: &[Pod]) -> HashMap<String, Vec<crate::node_report::PodFinding>> {
    let mut out: HashMap<String, Vec<_>> = HashMap::new();
    for pod in pods {
        for (node, finding) in super::workload::findings(pod) {
            out.entry(node).or_default().push(finding);
        }
    }
    out
}

/// Lists every pod of the cluster once, for the workload findings.
pub async fn list_all_pods(client: &Client, counters: &Counters) -> Result<Vec<Pod>, kube::Error> {
    counters.list.fetch_add(1, Ordering::Relaxed);
    let api: Api<Pod> = Api::all(client.clone());
    Ok(api.list(&ListParams::default()).await?.items)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(status: serde_json::Value) -> Pod {
        serde_json::from_value(serde_json::json!({"metadata": {"name": "p"}, "status": status}))
            .unwrap()
    }

    #[test]
    fn pending_reasons_name_the_cause() {
        let unschedulable = pod(
            serde_json::json!({"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}]}),
        );
        assert_eq!(pending_reason(&unschedulable), "PodPending: Unschedulable");
        let pull = pod(
            serde_json::json!({"phase": "Pending", "containerStatuses": [{"name": "agent", "image": "i", "imageID": "", "ready": false, "restartCount": 0, "state": {"waiting": {"reason": "ImagePullBackOff"}}}]}),
        );
        assert_eq!(pending_reason(&pull), "ImagePullBackOff");
        let creating = pod(
            serde_json::json!({"phase": "Pending", "containerStatuses": [{"name": "agent", "image": "i", "imageID": "", "ready": false, "restartCount": 0, "state": {"waiting": {"reason": "ContainerCreating"}}}]}),
        );
        assert_eq!(pending_reason(&creating), "PodPending");
    }

    #[test]
    fn failures_name_the_reason_and_exit_code() {
        let crashed = pod(
            serde_json::json!({"phase": "Failed", "containerStatuses": [{"name": "agent", "image": "i", "imageID": "", "ready": false, "restartCount": 0, "state": {"terminated": {"reason": "Error", "exitCode": 101}}}]}),
        );
        assert_eq!(failure(&crashed), "Error (exit 101)");
        let deadline = pod(serde_json::json!({"phase": "Failed", "reason": "DeadlineExceeded"}));
        assert_eq!(failure(&deadline), "DeadlineExceeded");
    }

    #[test]
    fn windows_and_not_ready_nodes_are_skipped() {
        let node = |labels: serde_json::Value, ready: &str| -> k8s_openapi::api::core::v1::Node {
            serde_json::from_value(serde_json::json!({"metadata": {"name": "n", "labels": labels}, "status": {"conditions": [{"type": "Ready", "status": ready}]}})).unwrap()
        };
        assert_eq!(
            skip_reason(&node(
                serde_json::json!({"kubernetes.io/os": "windows"}),
                "True"
            )),
            Some("Windows")
        );
        assert_eq!(
            skip_reason(&node(
                serde_json::json!({"kubernetes.io/os": "linux"}),
                "False"
            )),
            Some("NotReady")
        );
        assert_eq!(
            skip_reason(&node(
                serde_json::json!({"kubernetes.io/os": "linux"}),
                "True"
            )),
            None
        );
    }
}
