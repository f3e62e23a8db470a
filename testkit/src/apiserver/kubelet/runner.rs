//! One pod's life on its node, as the scheduler and kubelet would drive it:
//! admission, image pulls, volume setup, the containers' processes, the
//! deadline, deletion with a grace period, and PodGC when the node goes.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Container, Pod};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::container::PrepError;
use super::process::Running;
use super::running::{Proc, prepare_real, pull_failure, run_containers};
use super::sandbox::Sandbox;
use super::status;
use super::{Ctl, images};
use crate::apiserver::Sim;
use crate::apiserver::config::ImageSpec;
use crate::apiserver::events::Source;
use crate::apiserver::store::{Key, Kind};

const SCHEDULER: Source<'static> = Source {
    component: "default-scheduler",
    host: "",
};

pub(super) enum Wake {
    Delete(Duration),
    NodeGone,
    Shutdown,
    Deadline,
    /// The runner was forgotten (the pod is gone).
    Closed,
    /// The timer of the wait elapsed.
    Timer,
}

pub(super) async fn wait(
    ctl: &mut mpsc::UnboundedReceiver<Ctl>,
    deadline: Option<Instant>,
    timer: Option<Instant>,
) -> Wake {
    let far = Instant::now() + Duration::from_secs(86400 * 365);
    tokio::select! {
        c = ctl.recv() => match c {
            Some(Ctl::Delete(g)) => Wake::Delete(g),
            Some(Ctl::NodeGone) => Wake::NodeGone,
            Some(Ctl::Shutdown) => Wake::Shutdown,
            None => Wake::Closed,
        },
        _ = tokio::time::sleep_until(deadline.unwrap_or(far)) => Wake::Deadline,
        _ = tokio::time::sleep_until(timer.unwrap_or(far)) => Wake::Timer,
    }
}

pub(super) struct Ctx {
    pub(super) sim: Arc<Sim>,
    pub(super) key: Key,
    pub(super) uid: String,
    pub(super) node_name: String,
}

impl Ctx {
    pub(super) fn update(&self, f: impl FnOnce(&mut Pod)) -> Option<Pod> {
        self.sim.update_pod(&self.key, &self.uid, f)
    }

    pub(super) fn event(
        &self,
        pod: &Pod,
        typ: &str,
        reason: &str,
        message: &str,
        container: Option<&str>,
    ) {
        let fp = container.map(|c| format!("spec.containers{{{c}}}"));
        let src = Source {
            component: "kubelet",
            host: &self.node_name,
        };
        self.sim
            .pod_event(pod, typ, reason, message, src, fp.as_deref());
    }

    pub(super) fn remove(&self) {
        self.sim.remove_pod(&self.key, &self.uid);
    }

    /// PodGC: the node is gone; mark the pod failed, then delete it.
    pub(super) async fn pod_gc(&self, ctl: &mut mpsc::UnboundedReceiver<Ctl>) {
        self.update(|p| {
            status::set_condition(
                p,
                "DisruptionTarget",
                true,
                Some("DeletionByPodGC"),
                Some("PodGC: node no longer exists"),
            );
            if !status::is_terminal(p) {
                status::fail(
                    p,
                    "NodeLost",
                    &format!(
                        "Node {} which was running pod {} is unresponsive",
                        self.node_name, self.key.1
                    ),
                );
            }
        });
        let gc = Instant::now() + Duration::from_secs_f64(self.sim.cfg.pod_gc_seconds.max(0.0));
        if !matches!(
            wait(ctl, None, Some(gc)).await,
            Wake::Shutdown | Wake::Closed
        ) {
            self.remove();
        }
    }

    /// Nothing runs: wait until the pod is deleted (or the node goes).
    /// `kubelet`: a live kubelet finishes graceful deletions.
    pub(super) async fn idle(&self, ctl: &mut mpsc::UnboundedReceiver<Ctl>, kubelet: bool) {
        loop {
            match wait(ctl, None, None).await {
                Wake::Delete(g) if kubelet || g.is_zero() => return self.remove(),
                Wake::Delete(_) | Wake::Deadline | Wake::Timer => continue,
                Wake::NodeGone => return self.pod_gc(ctl).await,
                Wake::Shutdown | Wake::Closed => return,
            }
        }
    }
}

pub async fn run_pod(sim: Arc<Sim>, key: Key, uid: String, mut ctl: mpsc::UnboundedReceiver<Ctl>) {
    let Some(pod) = sim.store.get_typed::<Pod>(Kind::Pod, &key) else {
        return;
    };
    let spec = pod.spec.clone().unwrap_or_default();
    let node_name = spec.node_name.clone().unwrap_or_default();
    let cx = Ctx {
        sim: sim.clone(),
        key,
        uid,
        node_name: node_name.clone(),
    };
    let nodes = sim.store.count(Kind::Node);
    if node_name.is_empty() {
        let msg = format!(
            "0/{nodes} nodes are available: the simulated API server has no scheduler; set spec.nodeName."
        );
        if let Some(p) = cx.update(|p| status::unschedulable(p, &msg)) {
            sim.pod_event(&p, "Warning", "FailedScheduling", &msg, SCHEDULER, None);
        }
        return cx.idle(&mut ctl, true).await;
    }
    let Some(node) = sim.node_runtime(&node_name) else {
        // No such node: no kubelet ever sees the pod; PodGC deletes it.
        return cx.pod_gc(&mut ctl).await;
    };
    let faults = node.cfg.faults.clone();
    if faults.pending {
        let msg = faults.pending_message.clone().unwrap_or_else(|| {
            format!("0/{nodes} nodes are available: 1 Insufficient cpu. preemption: 0/{nodes} nodes are available: 1 No preemption victims found for incoming pod.")
        });
        if let Some(p) = cx.update(|p| status::unschedulable(p, &msg)) {
            sim.pod_event(&p, "Warning", "FailedScheduling", &msg, SCHEDULER, None);
        }
        return cx.idle(&mut ctl, true).await;
    }
    if !sim.node_ready(&node_name) {
        return cx.idle(&mut ctl, false).await;
    }
    if faults.out_of_cpu {
        let msg =
            "Node didn't have enough resource: cpu, requested: 100, used: 1950, capacity: 2000";
        if let Some(p) =
            cx.update(|p| status::fail(p, "OutOfcpu", &format!("Pod was rejected: {msg}")))
        {
            cx.event(&p, "Warning", "OutOfcpu", msg, None);
        }
        return cx.idle(&mut ctl, true).await;
    }
    let host_ip = node.ip.clone();
    let pod_ip = if spec.host_network == Some(true) {
        host_ip.clone()
    } else {
        sim.kubelet.next_ip(node.index)
    };
    let Some(pod) = cx.update(|p| status::admit(p, &host_ip, &pod_ip)) else {
        return;
    };
    let deadline = spec
        .active_deadline_seconds
        .map(|s| Instant::now() + Duration::from_secs(s.max(0) as u64));
    let grace =
        Duration::from_secs(spec.termination_grace_period_seconds.unwrap_or(30).max(0) as u64);
    if node.cfg.start_seconds > 0.0 {
        let t = Instant::now() + Duration::from_secs_f64(node.cfg.start_seconds);
        match wait(&mut ctl, deadline, Some(t)).await {
            Wake::Timer => {}
            w => return blocked(&cx, &mut ctl, w, deadline).await,
        }
    }

    // Image pulls.
    let mut pulled: Vec<(Container, ImageSpec)> = Vec::new();
    for c in &spec.containers {
        let image = c.image.clone().unwrap_or_default();
        let policy = c.image_pull_policy.clone().unwrap_or_default();
        let found = if faults.image_pull {
            None
        } else {
            images::resolve(&sim.cfg.images, &image)
        };
        let Some(found) = found.filter(|_| node.cfg.os.as_deref() != Some("windows")) else {
            let err = if node.cfg.os.as_deref() == Some("windows") {
                format!(
                    "rpc error: code = NotFound desc = failed to pull and unpack image \"{}\": no match for platform in manifest: not found",
                    images::normalize(&image)
                )
            } else if faults.image_pull {
                images::unreachable_message(&image)
            } else {
                images::not_found_message(&image)
            };
            return pull_failure(&cx, &mut ctl, &pod, c, &image, &policy, &err, deadline).await;
        };
        if policy == "Always" {
            cx.event(
                &pod,
                "Normal",
                "Pulling",
                &format!("Pulling image \"{image}\""),
                Some(&c.name),
            );
            cx.event(&pod, "Normal", "Pulled", &format!("Successfully pulled image \"{image}\" in 3ms (3ms including waiting). Image size: 1048576 bytes."), Some(&c.name));
        } else {
            cx.event(
                &pod,
                "Normal",
                "Pulled",
                &format!("Container image \"{image}\" already present on machine"),
                Some(&c.name),
            );
        }
        pulled.push((c.clone(), found));
    }

    // Volumes and sandboxes (real nodes), retried like the kubelet does.
    let sandboxes: Vec<Option<Sandbox>> = loop {
        let Some(pod) = sim.store.get_typed::<Pod>(Kind::Pod, &cx.key) else {
            return;
        };
        let mut out = Vec::new();
        let mut failure = None;
        for (c, img) in &pulled {
            if node.cfg.fake.is_some() {
                out.push(None);
                continue;
            }
            match prepare_real(&cx, &node.cfg, &pod, c, img) {
                Ok(sb) => out.push(Some(sb)),
                Err(e) => {
                    failure = Some((c.name.clone(), e));
                    break;
                }
            }
        }
        match failure {
            None => break out,
            Some((_, PrepError::Mount { volume, message })) => {
                cx.event(
                    &pod,
                    "Warning",
                    "FailedMount",
                    &format!("MountVolume.SetUp failed for volume \"{volume}\" : {message}"),
                    None,
                );
            }
            Some((name, PrepError::Config(msg))) => {
                if let Some(p) = cx
                    .update(|p| status::waiting(p, &name, "CreateContainerConfigError", Some(&msg)))
                {
                    cx.event(
                        &p,
                        "Warning",
                        "Failed",
                        &format!("Error: {msg}"),
                        Some(&name),
                    );
                }
            }
        }
        match wait(
            &mut ctl,
            deadline,
            Some(Instant::now() + Duration::from_secs(2)),
        )
        .await
        {
            Wake::Timer => continue,
            w => return blocked(&cx, &mut ctl, w, deadline).await,
        }
    };
    let mut procs = Vec::new();
    for ((c, _), sb) in pulled.iter().zip(sandboxes) {
        let log = sim.kubelet.logs(&cx.uid, &c.name).unwrap_or_default();
        let label = format!("{}/{}/{}", cx.key.0, cx.key.1, c.name);
        procs.push(match (sb, node.cfg.fake.clone()) {
            (Some(sb), _) => {
                match Running::spawn(sb, log.clone(), sim.kubelet.procs.clone(), label) {
                    Ok(r) => Proc::Real(Box::new(r)),
                    Err(e) => Proc::Failed(format!("failed to start the sandbox: {e}"), log),
                }
            }
            (None, f) => Proc::Fake(
                f.unwrap_or_default(),
                log,
                cx.key.clone(),
                node_name.clone(),
            ),
        });
    }
    run_containers(cx, ctl, pulled, procs, deadline, grace, node).await
}

/// A wait in a state where nothing runs ended for `w`.
pub(super) async fn blocked(
    cx: &Ctx,
    ctl: &mut mpsc::UnboundedReceiver<Ctl>,
    w: Wake,
    _deadline: Option<Instant>,
) {
    match w {
        Wake::Delete(_) => cx.remove(),
        Wake::NodeGone => cx.pod_gc(ctl).await,
        Wake::Deadline => {
            deadline_exceeded(cx);
            cx.idle(ctl, true).await
        }
        Wake::Shutdown | Wake::Closed | Wake::Timer => {}
    }
}

pub(super) fn deadline_exceeded(cx: &Ctx) {
    let msg = "Pod was active on the node longer than the specified deadline";
    if let Some(p) = cx.update(|p| status::fail(p, "DeadlineExceeded", msg)) {
        cx.event(&p, "Warning", "DeadlineExceeded", msg, None);
    }
}
