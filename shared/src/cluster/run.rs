//! The fan-out: one agent pod per node, at most `concurrency` at a time,
//! one watch for all their phases, the output read from each pod's log, and
//! every pod deleted — on success, error, timeout and cancellation.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{DeleteParams, ListParams, LogParams, PostParams};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client};
use tokio::sync::broadcast;

use super::calls::{Calls, Verb};
use super::fanout_config::{AgentOutput, FanoutConfig, MAX_LOG_BYTES};
use super::pod::RUN_ID_LABEL;
use super::pod_status::{failure, pending_reason, phase};
use super::retry::CallError;
use crate::model::node_report::NodeReport;
use crate::model::unknown_reason::{UnknownReason, last_lines};

// Here rather than beside the struct: the air-gapped form comes from
// `upload`, which reads `FanoutConfig` itself.
impl FanoutConfig {
    /// The pod to create on `node`: the agent pod, or its air-gapped form.
    pub fn pod(&self, node: &str) -> Pod {
        let mut pod = self.agent_pod(node).build();
        if let Some(order) = self.prune.get(node) {
            pod = super::prune_pod::prune_pod(pod, order, self.timeout);
        }
        match self.agent_binary {
            Some(_) => super::upload::shell_pod(pod),
            None => pod,
        }
    }
}

/// A pod change seen by the run's watch.
#[derive(Debug, Clone)]
struct PodUpdate {
    pod: Pod,
    deleted: bool,
}

/// Scans `nodes` and returns one report per node (`unknown` with a reason
/// when a node could not be scanned). `done` is told each finished node.
pub async fn fan_out(
    client: Client,
    nodes: Vec<String>,
    cfg: &FanoutConfig,
    calls: Arc<Calls>,
    done: impl Fn(&NodeReport),
) -> Vec<NodeReport> {
    run_agents(client, nodes, cfg, calls, parse_report, done).await
}

/// A node's `NodeReport` from its agent's output.
pub fn parse_report(node: &str, output: AgentOutput) -> NodeReport {
    match output.and_then(|text| {
        serde_json::from_str::<NodeReport>(&text).map_err(|e| UnknownReason::NotANodeReport {
            error: e.to_string(),
            bytes: text.len(),
        })
    }) {
        Ok(mut report) => {
            report.node = node.to_string();
            report
        }
        Err(reason) => NodeReport::unknown(node.to_string(), reason),
    }
}

/// Runs the agent on every node (bounded concurrency) and turns each
/// output into a `T` with `parse`.
pub async fn run_agents<T>(
    client: Client,
    nodes: Vec<String>,
    cfg: &FanoutConfig,
    calls: Arc<Calls>,
    parse: impl Fn(&str, AgentOutput) -> T,
    done: impl Fn(&T),
) -> Vec<T> {
    let pods: Api<Pod> = Api::namespaced(client, &cfg.namespace);
    let (updates, _) = broadcast::channel::<PodUpdate>(4096);
    let watch_task = tokio::spawn(watch_run(
        pods.clone(),
        cfg.run_id.clone(),
        updates.clone(),
        calls.clone(),
    ));
    let parse = &parse;
    let results: Vec<T> = futures::stream::iter(nodes)
        .map(|node| {
            let pods = pods.clone();
            let updates = updates.subscribe();
            let calls = calls.clone();
            async move {
                let output = run_agent(&pods, &node, cfg, updates, &calls).await;
                parse(&node, output)
            }
        })
        .buffer_unordered(cfg.concurrency.max(1))
        .inspect(|result| done(result))
        .collect()
        .await;
    watch_task.abort();
    if !cfg.keep_pods {
        sweep(&pods, cfg, &calls).await;
    }
    results
}

/// One watch for every pod of this run, instead of polling each pod. The
/// watcher relists after a dropped watch or a `410 Gone`, with backoff.
async fn watch_run(
    pods: Api<Pod>,
    run_id: String,
    updates: broadcast::Sender<PodUpdate>,
    calls: Arc<Calls>,
) {
    // Its watch connections are counted by the client (`counting_client`).
    calls.note(Verb::List, None);
    let selector = format!("{RUN_ID_LABEL}={run_id}");
    let stream = watcher(pods, watcher::Config::default().labels(&selector)).default_backoff();
    let mut stream = std::pin::pin!(stream);
    while let Some(event) = stream.next().await {
        let update = match event {
            Ok(watcher::Event::Apply(pod) | watcher::Event::InitApply(pod)) => PodUpdate {
                pod,
                deleted: false,
            },
            Ok(watcher::Event::Delete(pod)) => PodUpdate { pod, deleted: true },
            Ok(_) => continue,
            // The watcher relists and re-watches by itself.
            Err(_) => {
                calls.note(Verb::List, None);
                continue;
            }
        };
        let _ = updates.send(update);
    }
}

/// Deletes every pod of a run by its label: the safety net behind the
/// per-pod deletes, and the whole cleanup after Ctrl-C or SIGTERM.
pub async fn sweep(pods: &Api<Pod>, cfg: &FanoutConfig, calls: &Calls) {
    let now = DeleteParams::default().grace_period(cfg.stop_grace());
    let ours = ListParams::default().labels(&format!("{RUN_ID_LABEL}={}", cfg.run_id));
    let _ = calls
        .run(Verb::Delete, None, |_| pods.delete_collection(&now, &ours))
        .await;
}

/// Create, wait, read, delete: one node's agent pod from start to end.
async fn run_agent(
    pods: &Api<Pod>,
    node: &str,
    cfg: &FanoutConfig,
    mut updates: broadcast::Receiver<PodUpdate>,
    calls: &Calls,
) -> AgentOutput {
    let spec = cfg.pod(node);
    let name = spec.metadata.name.clone().unwrap_or_default();
    let created = calls
        .run(Verb::Create, Some(node), |attempt| {
            let (pods, spec, name) = (pods.clone(), spec.clone(), name.clone());
            async move {
                match pods.create(&PostParams::default(), &spec).await {
                    // An earlier attempt was created but its answer was lost.
                    Err(kube::Error::Api(s)) if s.code == 409 && attempt > 0 => {
                        pods.get(&name).await
                    }
                    other => other,
                }
            }
        })
        .await;
    // A create the server answered with an error made no pod; one that timed
    // out or lost its connection may have.
    let may_exist = !matches!(&created, Err(CallError::Api(kube::Error::Api(_))));
    let output = match created {
        Ok(pod) => match follow(pods, node, &name, pod, cfg, &mut updates, calls).await {
            Ok(()) if cfg.agent_binary.is_some() => {
                super::upload::run(pods, node, &name, cfg, calls).await
            }
            Ok(()) => read_log(pods, node, &name, calls).await,
            Err(reason) => Err(reason),
        },
        Err(e) => Err(reason_for_create_error(&e)),
    };
    if may_exist && !cfg.keep_pods {
        let now = DeleteParams::default().grace_period(cfg.stop_grace());
        let _ = calls
            .run(Verb::Delete, Some(node), |_| pods.delete(&name, &now))
            .await;
    }
    output
}

/// Waits for the pod to succeed; anything else is the node's `unknown` reason.
async fn follow(
    pods: &Api<Pod>,
    node: &str,
    name: &str,
    mut pod: Pod,
    cfg: &FanoutConfig,
    updates: &mut broadcast::Receiver<PodUpdate>,
    calls: &Calls,
) -> Result<(), UnknownReason> {
    let started = Instant::now();
    // The pod's own deadline: a prune pod's grows with its plan.
    let deadline = pod
        .spec
        .as_ref()
        .and_then(|s| s.active_deadline_seconds)
        .map(|s| Duration::from_secs(s.max(1) as u64))
        .unwrap_or(cfg.timeout + super::pod::DEADLINE_MARGIN);
    loop {
        match phase(&pod) {
            "Succeeded" => return Ok(()),
            // Air-gapped: the shell waits; the agent is exec'd into it.
            "Running" if cfg.agent_binary.is_some() => return Ok(()),
            "Failed" => {
                return Err(UnknownReason::AgentFailed {
                    why: failure(&pod),
                    last_lines: tail_log(pods, node, name, calls).await,
                });
            }
            "Pending" if started.elapsed() > cfg.pending_timeout => {
                return Err(node_lost(pods, node, calls)
                    .await
                    .unwrap_or_else(|| pending_reason(&pod)));
            }
            _ if started.elapsed() > deadline => {
                return Err(node_lost(pods, node, calls)
                    .await
                    .unwrap_or(UnknownReason::Timeout));
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
            Ok(Ok(update)) if update.pod.metadata.name.as_deref() == Some(name) => {
                if update.deleted && phase(&update.pod) != "Succeeded" {
                    return Err(UnknownReason::PodDeleted {
                        phase: phase(&update.pod).to_string(),
                    });
                }
                pod = update.pod;
            }
            Ok(Ok(_)) => {}
            // Missed updates (a slow consumer): ask for the pod once.
            Ok(Err(broadcast::error::RecvError::Lagged(_))) => {
                match calls.run(Verb::Get, Some(node), |_| pods.get(name)).await {
                    Ok(fresh) => pod = fresh,
                    Err(e) if e.code() == Some(404) => {
                        return Err(UnknownReason::PodGone);
                    }
                    Err(_) => {}
                }
            }
            Ok(Err(broadcast::error::RecvError::Closed)) => {
                return Err(UnknownReason::WatchEnded);
            }
            Err(_) => {}
        }
    }
}

/// The node's own failure (a dead kubelet, a node not Ready), which explains
/// a pod that never finished better than its phase does.
async fn node_lost(pods: &Api<Pod>, node: &str, calls: &Calls) -> Option<UnknownReason> {
    super::node_health::lost_reason(&pods.clone().into_client(), node, calls).await
}

async fn read_log(pods: &Api<Pod>, node: &str, name: &str, calls: &Calls) -> AgentOutput {
    let params = LogParams {
        limit_bytes: Some(MAX_LOG_BYTES as i64 + 1),
        ..Default::default()
    };
    match calls
        .run(Verb::Log, Some(node), |_| pods.logs(name, &params))
        .await
    {
        Ok(text) if text.len() > MAX_LOG_BYTES => Err(UnknownReason::LogTooLarge {
            mib: MAX_LOG_BYTES >> 20,
        }),
        Ok(text) => Ok(text),
        Err(e) => Err(UnknownReason::LogUnavailable(e.to_string())),
    }
}

/// The agent's last log lines, for [`UnknownReason::AgentFailed`].
async fn tail_log(pods: &Api<Pod>, node: &str, name: &str, calls: &Calls) -> String {
    let params = LogParams {
        tail_lines: Some(3),
        limit_bytes: Some(4096),
        ..Default::default()
    };
    match calls
        .run(Verb::Log, Some(node), |_| pods.logs(name, &params))
        .await
    {
        Ok(text) => last_lines(&text),
        Err(_) => String::new(),
    }
}

fn reason_for_create_error(e: &CallError) -> UnknownReason {
    match e {
        CallError::Api(kube::Error::Api(status)) if status.code == 403 => {
            UnknownReason::CreateForbidden(status.message.clone())
        }
        other => UnknownReason::CreateFailed(other.to_string()),
    }
}
