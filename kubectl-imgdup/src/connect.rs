//! What every cluster command shares: the kubeconfig (as kubectl loads it),
//! the runtime, a run id, and the signals that must end a run cleanly.

use std::sync::Arc;

use anyhow::{Context, Result, anyhow};
use imgdup::fanout::calls::{Calls, counting_client};
use imgdup::fanout::run::{self, FanoutConfig};
use k8s_openapi::api::core::v1::Pod;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Api, Client, Config};

use crate::cli::ConnectArgs;
use crate::exit::Exit;

/// The client and the namespace for agent pods: `-n`, else the context's,
/// else `default` — kubectl's rules, `KUBECONFIG` with several files included.
/// The client counts its watch connections in `calls`.
pub async fn client(args: &ConnectArgs, calls: &Arc<Calls>) -> Result<(Client, String)> {
    let options = KubeConfigOptions {
        context: args.context.clone(),
        ..Default::default()
    };
    // kube's errors repeat their cause in their message: print them flat.
    let flat = |e: &dyn std::fmt::Display| anyhow!("{e}");
    let config = match &args.kubeconfig {
        Some(path) => {
            let file = Kubeconfig::read_from(path).map_err(|e| flat(&e))?;
            Config::from_custom_kubeconfig(file, &options).await
        }
        None => Config::from_kubeconfig(&options).await,
    }
    .map_err(|e| flat(&e))
    .context("cannot load a kubeconfig (pass --kubeconfig, set KUBECONFIG, or pick a --context)")?;
    let namespace = args
        .namespace
        .clone()
        .unwrap_or_else(|| config.default_namespace.clone());
    Ok((counting_client(config, calls.clone())?, namespace))
}

/// Two worker threads: the work is waiting on the API server, not computing.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

/// A short id for this run's pod labels and names: time and pid.
pub fn run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{:x}{:x}",
        (nanos / 1_000_000) % 0xffff_ffff,
        std::process::id()
    )
}

/// Runs `work` unless a stop signal comes first. Then `on_stop` is told (to
/// say so on the terminal), every pod of the run is deleted, and the
/// signal's exit code is returned: no exit path of a run leaves its pods.
pub async fn unless_stopped<T>(
    work: impl Future<Output = T>,
    client: &Client,
    cfg: &FanoutConfig,
    calls: &Calls,
    on_stop: impl FnOnce(),
) -> Result<T, Exit> {
    tokio::select! {
        done = work => Ok(done),
        stop = stop_signal() => {
            on_stop();
            let pods: Api<Pod> = Api::namespaced(client.clone(), &cfg.namespace);
            run::sweep(&pods, cfg, calls).await;
            Err(stop)
        }
    }
}

/// Resolves when the run must stop: Ctrl-C (130), or SIGTERM/SIGHUP (143) —
/// a CI job cancelled, a terminal closed. The caller deletes its pods first.
async fn stop_signal() -> Exit {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut hup)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) else {
            let _ = tokio::signal::ctrl_c().await;
            return Exit::Interrupted;
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => Exit::Interrupted,
            _ = term.recv() => Exit::Terminated,
            _ = hup.recv() => Exit::Terminated,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        Exit::Interrupted
    }
}
