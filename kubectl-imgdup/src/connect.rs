//! What every cluster command shares: the kubeconfig (as kubectl loads it;
//! the client is [`crate::session::Session`]), the runtime, a run id, and
//! the signals that must end a run cleanly.

use std::error::Error as StdError;
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow};
use imgdup::cluster::calls::Calls;
use imgdup::cluster::fanout_config::FanoutConfig;
use imgdup::cluster::preflight::PreflightError;
use imgdup::cluster::retry::CallError;
use imgdup::cluster::run;
use k8s_openapi::api::core::v1::Pod;
use kube::config::Kubeconfig;
use kube::{Api, Client};

use crate::cli::ConnectArgs;
use crate::connect_error::{Cause, chain_once, classify, describe, describe_cause};
use crate::exit::Exit;

/// The kubeconfig in effect, where it came from, and the context chosen.
pub struct Loaded {
    pub kubeconfig: Kubeconfig,
    /// The file, or `$KUBECONFIG (...)`, for messages.
    pub source: String,
    pub context: String,
}

impl Loaded {
    /// `--kubeconfig`, else `$KUBECONFIG`, else `~/.kube/config`, as kubectl;
    /// `--context` (empty means none), else the current context.
    pub fn read(path: Option<&Path>, context: Option<&str>) -> Result<Self> {
        let (kubeconfig, source) = read_kubeconfig(path)?;
        let names: Vec<&str> = kubeconfig
            .contexts
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        let listed = if names.is_empty() {
            "it has no contexts".to_string()
        } else {
            format!("its contexts: {}", names.join(", "))
        };
        let chosen = context.filter(|c| !c.is_empty()).or(kubeconfig
            .current_context
            .as_deref()
            .filter(|c| !c.is_empty()));
        let context = match chosen {
            None => {
                return Err(anyhow!(
                    "the kubeconfig {source} has no current context: pass --context NAME or run `kubectl config use-context NAME` ({listed})"
                ));
            }
            Some(c) if !names.contains(&c) => {
                return Err(anyhow!(
                    "context {c:?} not found in the kubeconfig {source}: pass --context with one of its contexts ({listed}; `kubectl config get-contexts`)"
                ));
            }
            Some(c) => c.to_string(),
        };
        Ok(Self {
            kubeconfig,
            source,
            context,
        })
    }

    /// Why no client could be built for this context (its exec credential
    /// plugin failed or is not installed), in one line naming the plugin.
    pub fn client_error(&self, e: &kube::Error, server: &str) -> anyhow::Error {
        let server = server.trim_end_matches('/');
        match (classify(e), self.exec_command()) {
            (Some(Cause::ExecStart(why)), Some(command)) => anyhow!(describe_cause(
                &Cause::ExecStart(format!("`{command}`: {why}")),
                server,
                &self.context
            )),
            _ => anyhow!(describe(e, server, &self.context)),
        }
    }

    /// The chosen context's entry in the kubeconfig.
    fn named_context(&self) -> Option<&kube::config::Context> {
        self.kubeconfig
            .contexts
            .iter()
            .find(|c| c.name == self.context)?
            .context
            .as_ref()
    }

    /// The command of the context's exec credential plugin, if it has one.
    fn exec_command(&self) -> Option<String> {
        let user = self.named_context()?.user.as_deref()?;
        let auth = self.kubeconfig.auth_infos.iter().find(|a| a.name == user)?;
        let command = auth.auth_info.as_ref()?.exec.as_ref()?.command.clone()?;
        Some(imgdup::report::sanitize(&command))
    }

    /// The context's server URL, as written in the kubeconfig.
    pub fn server(&self) -> Option<String> {
        let cluster = &self.named_context()?.cluster;
        self.kubeconfig
            .clusters
            .iter()
            .find(|c| &c.name == cluster)?
            .cluster
            .as_ref()?
            .server
            .clone()
    }
}

/// Why a kubeconfig could not be read, without the path kube repeats.
fn unreadable(e: &kube::config::KubeconfigError) -> String {
    match e {
        kube::config::KubeconfigError::ReadConfig(io, _) => io.to_string(),
        other => chain_once(other),
    }
}

fn read_kubeconfig(path: Option<&Path>) -> Result<(Kubeconfig, String)> {
    if let Some(p) = path {
        let kc = Kubeconfig::read_from(p).map_err(|e| {
            anyhow!(
                "cannot read the kubeconfig {} (--kubeconfig): {}; check the path",
                p.display(),
                unreadable(&e)
            )
        })?;
        return Ok((kc, p.display().to_string()));
    }
    if let Some(env) = std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty()) {
        let source = format!("$KUBECONFIG ({})", env.to_string_lossy());
        let kc = Kubeconfig::read().map_err(|e| {
            anyhow!(
                "cannot read the kubeconfig from {source}: {}; fix KUBECONFIG or pass --kubeconfig FILE",
                unreadable(&e)
            )
        })?;
        return Ok((kc, source));
    }
    let default = std::env::var_os("HOME")
        .map(|h| PathBuf::from(h).join(".kube").join("config"))
        .filter(|p| p.exists());
    let Some(p) = default else {
        return Err(anyhow!(
            "no kubeconfig: --kubeconfig is not given, KUBECONFIG is not set and ~/.kube/config does not exist; pass --kubeconfig FILE or set KUBECONFIG to your cluster's kubeconfig (kubectl needs one too)"
        ));
    };
    let kc = Kubeconfig::read_from(&p).map_err(|e| {
        anyhow!(
            "cannot read the kubeconfig {}: {}; fix it, or pass --kubeconfig FILE",
            p.display(),
            unreadable(&e)
        )
    })?;
    Ok((kc, p.display().to_string()))
}

/// How a cluster command's error is printed: an error that came from the
/// API server names that server and the context, with its cause said once.
pub fn report(err: &anyhow::Error, conn: &ConnectArgs) -> String {
    let e: &(dyn StdError + 'static) = err.as_ref();
    let from_api = crate::connect_error::chain(e)
        .iter()
        .any(|x| x.is::<kube::Error>() || x.is::<CallError>() || x.is::<PreflightError>());
    let loaded = Loaded::read(conn.kubeconfig.as_deref(), conn.context.as_deref()).ok();
    match loaded
        .as_ref()
        .and_then(|l| Some((l.server()?, &l.context)))
    {
        Some((server, context)) if from_api => describe(e, server.trim_end_matches('/'), context),
        _ => chain_once(e),
    }
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
