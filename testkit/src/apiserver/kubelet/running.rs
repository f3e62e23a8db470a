//! The second half of a pod's life: failing image pulls, then the
//! containers themselves (real sandboxes or fake timers), until they end,
//! are deleted, hit the deadline or lose their node.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Container, Pod};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::container::{self, Inputs, PrepError};
use super::process::{Exit, Running};
use super::runner::{Ctx, Wake, blocked, deadline_exceeded, wait};
use super::sandbox::Sandbox;
use super::status::{self, Terminated};
use super::volumes::NodeRoot;
use super::{Ctl, images};
use crate::apiserver::NodeRuntime;
use crate::apiserver::config::{FakeSpec, ImageSpec, NodeConfig};
use crate::apiserver::logs::LogBuf;
use crate::apiserver::objects::{hex_id, now};
use crate::apiserver::store::{Key, Kind};

#[allow(clippy::too_many_arguments)]
pub(super) async fn pull_failure(
    cx: &Ctx,
    ctl: &mut mpsc::UnboundedReceiver<Ctl>,
    pod: &Pod,
    c: &Container,
    image: &str,
    policy: &str,
    err: &str,
    deadline: Option<Instant>,
) {
    if policy == "Never" {
        let msg = format!("Container image \"{image}\" is not present with pull policy of Never");
        if let Some(p) = cx.update(|p| status::waiting(p, &c.name, "ErrImageNeverPull", Some(&msg)))
        {
            cx.event(&p, "Warning", "ErrImageNeverPull", &msg, Some(&c.name));
        }
    } else {
        cx.event(
            pod,
            "Normal",
            "Pulling",
            &format!("Pulling image \"{image}\""),
            Some(&c.name),
        );
        if let Some(p) = cx.update(|p| status::waiting(p, &c.name, "ErrImagePull", Some(err))) {
            cx.event(
                &p,
                "Warning",
                "Failed",
                &format!("Failed to pull image \"{image}\": {err}"),
                Some(&c.name),
            );
            cx.event(
                &p,
                "Warning",
                "Failed",
                "Error: ErrImagePull",
                Some(&c.name),
            );
        }
        let backoff = Instant::now()
            + Duration::from_secs_f64(cx.sim.cfg.image_pull_backoff_seconds.max(0.0));
        match wait(ctl, deadline, Some(backoff)).await {
            Wake::Timer => {}
            w => return blocked(cx, ctl, w, deadline).await,
        }
        let msg = format!("Back-off pulling image \"{image}\": ErrImagePull: {err}");
        if let Some(p) = cx.update(|p| status::waiting(p, &c.name, "ImagePullBackOff", Some(&msg)))
        {
            cx.event(
                &p,
                "Normal",
                "BackOff",
                &format!("Back-off pulling image \"{image}\""),
                Some(&c.name),
            );
            cx.event(
                &p,
                "Warning",
                "Failed",
                "Error: ImagePullBackOff",
                Some(&c.name),
            );
        }
    }
    let w = wait(ctl, deadline, None).await;
    blocked(cx, ctl, w, deadline).await
}

fn node_root(cfg: &NodeConfig) -> Result<NodeRoot, PrepError> {
    if let Some(d) = &cfg.dir {
        return Ok(NodeRoot::Dir(d.clone()));
    }
    let scn = cfg.lab.clone().unwrap_or_default();
    let path = crate::lab::lab_dir().join(&scn).join("state.env");
    let state = std::fs::read_to_string(&path)
        .map(|t| crate::lab::parse_state(&t))
        .unwrap_or_default();
    let holder: u32 = state
        .get("HOLDER_PID")
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    if holder == 0 || !std::path::Path::new(&format!("/proc/{holder}")).exists() {
        return Err(PrepError::Config(format!(
            "lab scenario {scn} is not up (testkit/lab/lab up {scn})"
        )));
    }
    Ok(NodeRoot::Lab { holder })
}

pub(super) fn prepare_real(
    cx: &Ctx,
    node: &NodeConfig,
    pod: &Pod,
    c: &Container,
    img: &ImageSpec,
) -> Result<Sandbox, PrepError> {
    let sim = &cx.sim;
    let root = node_root(node)?;
    let helper = sim.helper.clone().ok_or_else(|| {
        PrepError::Config(
            "the imgdup-sim-exec helper was not found (cargo build -p testkit --bins)".into(),
        )
    })?;
    let busybox_bin = if img.busybox {
        Some(
            sim.kubelet
                .busybox_bin(&sim.state_dir, &img.binary)
                .map_err(|e| PrepError::Config(format!("busybox image: {e}")))?,
        )
    } else {
        None
    };
    let dir = sim
        .state_dir
        .join("pods")
        .join(format!("{}-{}", cx.uid, c.name));
    container::prepare(Inputs {
        pod,
        container: c,
        image: img,
        busybox_bin,
        node: &root,
        node_name: &cx.node_name,
        dir,
        helper,
        token: &sim.cfg.token,
    })
}

pub(super) enum Proc {
    Real(Box<Running>),
    Fake(FakeSpec, Arc<LogBuf>, Key, String),
    /// The sandbox could not be spawned.
    Failed(String, Arc<LogBuf>),
}

impl Proc {
    async fn wait(&mut self) -> Exit {
        match self {
            Proc::Real(r) => r.wait().await,
            Proc::Fake(f, log, key, node) => {
                tokio::time::sleep(Duration::from_secs_f64(f.seconds.max(0.0))).await;
                let out = f
                    .output
                    .replace("{node}", node)
                    .replace("{pod}", &key.1)
                    .replace("{namespace}", &key.0);
                log.write(0, out.as_bytes());
                log.close();
                Exit {
                    code: f.exit_code,
                    ..Exit::default()
                }
            }
            Proc::Failed(msg, log) => {
                log.close();
                Exit {
                    code: 128,
                    signal: None,
                    start_error: Some(msg.clone()),
                }
            }
        }
    }

    async fn terminate(&mut self, grace: Duration) -> Exit {
        match self {
            Proc::Real(r) => r.terminate(grace).await,
            Proc::Fake(_, log, _, _) | Proc::Failed(_, log) => {
                log.close();
                Exit {
                    code: if grace.is_zero() { 137 } else { 143 },
                    ..Exit::default()
                }
            }
        }
    }
}

async fn container_task(
    i: usize,
    mut p: Proc,
    mut kill: watch::Receiver<Option<Duration>>,
    done: mpsc::UnboundedSender<(usize, Exit)>,
) {
    let exit = tokio::select! {
        e = p.wait() => e,
        Ok(()) = kill.changed() => {
            let g = (*kill.borrow()).unwrap_or_default();
            p.terminate(g).await
        }
    };
    let _ = done.send((i, exit));
}

pub(super) async fn run_containers(
    cx: Ctx,
    mut ctl: mpsc::UnboundedReceiver<Ctl>,
    pulled: Vec<(Container, ImageSpec)>,
    procs: Vec<Proc>,
    deadline: Option<Instant>,
    grace: Duration,
    node: NodeRuntime,
) {
    let (kill_tx, kill_rx) = watch::channel(None::<Duration>);
    let (done_tx, mut done_rx) = mpsc::unbounded_channel();
    let started = now();
    let Some(pod) = cx.sim.store.get_typed::<Pod>(Kind::Pod, &cx.key) else {
        return;
    };
    for (i, p) in procs.into_iter().enumerate() {
        tokio::spawn(container_task(i, p, kill_rx.clone(), done_tx.clone()));
    }
    for (c, _) in &pulled {
        cx.event(
            &pod,
            "Normal",
            "Created",
            &format!("Created container: {}", c.name),
            Some(&c.name),
        );
        cx.event(
            &pod,
            "Normal",
            "Started",
            &format!("Started container {}", c.name),
            Some(&c.name),
        );
    }
    cx.update(|p| {
        for (c, _) in &pulled {
            let image = c.image.clone().unwrap_or_default();
            status::running(
                p,
                &c.name,
                &started,
                &format!("containerd://{}", hex_id(64)),
                &images::image_id(&image),
            );
        }
    });
    cx.sim.node_started_pod(&node);
    let mut left = pulled.len();
    let mut killed_for: Option<Wake> = None;
    while left > 0 {
        let w = tokio::select! {
            Some((i, exit)) = done_rx.recv() => {
                left -= 1;
                // A deleted node's kubelet reports nothing more: PodGC
                // alone writes the pod's final status.
                if !matches!(killed_for, Some(Wake::NodeGone)) {
                    record_exit(&cx, &pulled[i].0, &exit, &started);
                }
                continue;
            }
            w = wait(&mut ctl, if killed_for.is_some() { None } else { deadline }, None) => w,
        };
        let g = match w {
            Wake::Delete(g) => {
                let pod = cx.sim.store.get_typed::<Pod>(Kind::Pod, &cx.key);
                for (c, _) in &pulled {
                    if let Some(p) = &pod {
                        cx.event(
                            p,
                            "Normal",
                            "Killing",
                            &format!("Stopping container {}", c.name),
                            Some(&c.name),
                        );
                    }
                }
                g
            }
            Wake::Deadline => grace,
            Wake::Timer => continue,
            _ => Duration::ZERO,
        };
        if killed_for.is_none() || g.is_zero() {
            kill_tx.send_replace(Some(g));
        }
        killed_for = Some(w);
    }
    if !matches!(killed_for, Some(Wake::NodeGone)) {
        cx.update(|p| {
            status::settle_phase(p);
        });
    }
    match killed_for {
        Some(Wake::Delete(_)) => cx.remove(),
        Some(Wake::Deadline) => {
            deadline_exceeded(&cx);
            cx.idle(&mut ctl, true).await
        }
        Some(Wake::NodeGone) => cx.pod_gc(&mut ctl).await,
        Some(_) => {}
        None => cx.idle(&mut ctl, true).await,
    }
}

fn record_exit(
    cx: &Ctx,
    c: &Container,
    exit: &Exit,
    started: &k8s_openapi::apimachinery::pkg::apis::meta::v1::Time,
) {
    let (reason, message) = match &exit.start_error {
        Some(e) => ("StartError", Some(e.clone())),
        None if exit.code == 0 => ("Completed", None),
        None => ("Error", None),
    };
    let p = cx.update(|p| {
        status::terminated(
            p,
            &c.name,
            Terminated {
                exit_code: exit.code,
                // containerd reports no signal through the CRI, only the exit code.
                signal: None,
                reason,
                message: message.clone(),
                started: Some(started.clone()),
            },
        )
    });
    if let (Some(p), Some(m)) = (p, message) {
        cx.event(
            &p,
            "Warning",
            "Failed",
            &format!("Error: {m}"),
            Some(&c.name),
        );
    }
}
