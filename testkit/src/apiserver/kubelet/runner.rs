//! One pod's life on a fake node, as its kubelet would drive it: admission,
//! a failing image pull (the node's `imagePull` fault), the containers
//! "running" for the node's `fake.seconds`, then exiting with its exit code
//! and output; deletion with a grace period, activeDeadlineSeconds, and
//! PodGC when the node goes.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::{Ctl, status};
use crate::apiserver::nodes::node_ip;
use crate::apiserver::objects::{hex_id, now};
use crate::apiserver::store::{Key, Kind};
use crate::apiserver::{NodeRuntime, Sim};

enum Wake {
    Delete(Duration),
    NodeGone,
    Shutdown,
    Deadline,
    /// The task was forgotten (the pod is gone).
    Closed,
    /// The timer of the wait elapsed.
    Timer,
}

async fn wait(
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

struct Ctx {
    sim: Arc<Sim>,
    key: Key,
    uid: String,
    node_name: String,
}

impl Ctx {
    fn update(&self, f: impl FnOnce(&mut Pod)) -> Option<Pod> {
        self.sim.update_pod(&self.key, &self.uid, f)
    }

    fn remove(&self) {
        self.sim.remove_pod(&self.key, &self.uid);
    }

    /// PodGC: the node is gone; mark the pod failed, then delete it.
    async fn pod_gc(&self, ctl: &mut mpsc::UnboundedReceiver<Ctl>) {
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
    /// `kubelet`: a kubelet that acts finishes graceful deletions.
    async fn idle(&self, ctl: &mut mpsc::UnboundedReceiver<Ctl>, kubelet: bool) {
        loop {
            match wait(ctl, None, None).await {
                Wake::Delete(g) if kubelet || g.is_zero() => return self.remove(),
                Wake::Delete(_) | Wake::Deadline | Wake::Timer => continue,
                Wake::NodeGone => return self.pod_gc(ctl).await,
                Wake::Shutdown | Wake::Closed => return,
            }
        }
    }

    /// A wait in a state where nothing runs ended for `w`.
    async fn blocked(&self, ctl: &mut mpsc::UnboundedReceiver<Ctl>, w: Wake) {
        match w {
            Wake::Delete(_) => self.remove(),
            Wake::NodeGone => self.pod_gc(ctl).await,
            Wake::Deadline => {
                self.deadline_exceeded();
                self.idle(ctl, true).await
            }
            Wake::Shutdown | Wake::Closed | Wake::Timer => {}
        }
    }

    fn deadline_exceeded(&self) {
        self.update(|p| {
            status::fail(
                p,
                "DeadlineExceeded",
                "Pod was active on the node longer than the specified deadline",
            )
        });
    }
}

/// containerd's answer when the registry cannot be reached.
fn unreachable_message(image: &str) -> String {
    let first = image.split('/').next().unwrap_or_default();
    let registry = if image.contains('/') && (first.contains('.') || first.contains(':')) {
        first
    } else {
        "registry-1.docker.io"
    };
    format!(
        "rpc error: code = Unknown desc = failed to pull and unpack image \"{image}\": failed to resolve reference \"{image}\": failed to do request: Head \"https://{registry}/v2/\": dial tcp: lookup {registry}: i/o timeout"
    )
}

/// Every pull fails: ErrImagePull, then ImagePullBackOff, until the pod goes.
async fn pull_failure(
    cx: &Ctx,
    ctl: &mut mpsc::UnboundedReceiver<Ctl>,
    images: &[(String, String)],
    deadline: Option<Instant>,
) {
    cx.update(|p| {
        for (name, image) in images {
            status::waiting(p, name, "ErrImagePull", Some(&unreachable_message(image)));
        }
    });
    let backoff =
        Instant::now() + Duration::from_secs_f64(cx.sim.cfg.image_pull_backoff_seconds.max(0.0));
    match wait(ctl, deadline, Some(backoff)).await {
        Wake::Timer => {}
        w => return cx.blocked(ctl, w).await,
    }
    cx.update(|p| {
        for (name, image) in images {
            let msg = format!(
                "Back-off pulling image \"{image}\": ErrImagePull: {}",
                unreachable_message(image)
            );
            status::waiting(p, name, "ImagePullBackOff", Some(&msg));
        }
    });
    let w = wait(ctl, deadline, None).await;
    cx.blocked(ctl, w).await
}

pub(super) async fn run_pod(
    sim: Arc<Sim>,
    key: Key,
    uid: String,
    mut ctl: mpsc::UnboundedReceiver<Ctl>,
) {
    let Some(pod) = sim.store.get_typed::<Pod>(Kind::Pod, &key) else {
        return;
    };
    let spec = pod.spec.clone().unwrap_or_default();
    let cx = Ctx {
        sim: sim.clone(),
        key,
        uid,
        node_name: spec.node_name.clone().unwrap_or_default(),
    };
    let Some(node) = sim.node_runtime(&cx.node_name) else {
        // No such node: no kubelet ever sees the pod; PodGC deletes it.
        return cx.pod_gc(&mut ctl).await;
    };
    if node.cfg.faults.pending {
        // The kubelet never acts: the pod keeps the status it was created
        // with, and a graceful delete waits for it forever.
        return cx.idle(&mut ctl, false).await;
    }
    let host_ip = node_ip(node.index);
    let pod_ip = if spec.host_network == Some(true) {
        host_ip.clone()
    } else {
        sim.kubelet.next_ip(node.index)
    };
    if cx.update(|p| status::admit(p, &host_ip, &pod_ip)).is_none() {
        return;
    }
    let deadline = spec
        .active_deadline_seconds
        .map(|s| Instant::now() + Duration::from_secs(s.max(0) as u64));
    let images: Vec<(String, String)> = spec
        .containers
        .iter()
        .map(|c| (c.name.clone(), c.image.clone().unwrap_or_default()))
        .collect();
    if node.cfg.faults.image_pull {
        return pull_failure(&cx, &mut ctl, &images, deadline).await;
    }
    run_containers(&cx, &mut ctl, &node, &images, deadline).await
}

/// Runs the pod's containers as the node's fake says (for so long, then
/// that exit code and output), or until it is deleted or its deadline
/// passes; then writes how they ended.
async fn run_containers(
    cx: &Ctx,
    ctl: &mut mpsc::UnboundedReceiver<Ctl>,
    node: &NodeRuntime,
    images: &[(String, String)],
    deadline: Option<Instant>,
) {
    let sim = &cx.sim;
    let started = now();
    cx.update(|p| {
        for (name, image) in images {
            let image_id = format!("{image}@sha256:{}", hex_id(64));
            let container_id = format!("containerd://{}", hex_id(64));
            status::running(p, name, &started, &container_id, &image_id);
        }
    });
    sim.node_started_pod(node);
    let fake = &node.cfg.fake;
    let end = Instant::now() + Duration::from_secs_f64(fake.seconds.max(0.0));
    let wake = wait(ctl, deadline, Some(end)).await;
    let (exit_code, output) = match wake {
        Wake::Timer => (
            fake.exit_code,
            fake.output
                .replace("{node}", &cx.node_name)
                .replace("{pod}", &cx.key.1)
                .replace("{namespace}", &cx.key.0),
        ),
        // SIGTERM at once (the container honours it), SIGKILL for grace 0.
        Wake::Delete(g) if g.is_zero() => (137, String::new()),
        Wake::Delete(_) | Wake::Deadline => (143, String::new()),
        // A deleted node's kubelet reports nothing more: PodGC alone
        // writes the pod's final status.
        Wake::NodeGone => return cx.pod_gc(ctl).await,
        Wake::Shutdown | Wake::Closed => return,
    };
    for (name, _) in images {
        if let Some(log) = sim.kubelet.logs(&cx.uid, name) {
            log.close(output.clone());
        }
    }
    cx.update(|p| {
        for (name, _) in images {
            status::terminated(p, name, exit_code, &started);
        }
        status::settle_phase(p);
    });
    match wake {
        Wake::Delete(_) => cx.remove(),
        Wake::Deadline => {
            cx.deadline_exceeded();
            cx.idle(ctl, true).await
        }
        _ => cx.idle(ctl, true).await,
    }
}
