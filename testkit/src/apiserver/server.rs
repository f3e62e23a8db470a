//! Serving: bind a port, write the kubeconfig, serve until told to stop,
//! then stop every pod's kubelet task. `SimApiServer` runs all of it on a
//! thread of its own for synchronous tests.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use k8s_openapi::api::core::v1::Pod;

use super::{Config, Sim, kubeconfig, routes};

/// A server bound to its port, its kubeconfig written.
pub struct Bound {
    sim: Arc<Sim>,
    listener: tokio::net::TcpListener,
    pub addr: SocketAddr,
    pub kubeconfig: PathBuf,
}

/// Binds, builds the state and writes the kubeconfig.
pub async fn bind(cfg: Config) -> anyhow::Result<Bound> {
    let listener = tokio::net::TcpListener::bind(&cfg.listen)
        .await
        .with_context(|| format!("listening on {}", cfg.listen))?;
    let addr = listener.local_addr()?;
    let url = format!("http://{addr}");
    let sim = Sim::new(cfg, url.clone())?;
    let kubeconfig = match (&sim.cfg.kubeconfig, &sim.temp_dir) {
        (Some(path), _) => path.clone(),
        (None, Some(dir)) => dir.join("kubeconfig"),
        (None, None) => anyhow::bail!("no place for the kubeconfig"),
    };
    kubeconfig::write(&kubeconfig, &url)
        .with_context(|| format!("writing {}", kubeconfig.display()))?;
    Ok(Bound {
        sim,
        listener,
        addr,
        kubeconfig,
    })
}

impl Bound {
    /// Serves until `shutdown` resolves, then stops every pod's kubelet task.
    pub async fn serve(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let sim = self.sim.clone();
        let app = routes::router(sim.clone());
        let closing = sim.closing.clone();
        let server = axum::serve(self.listener, app).with_graceful_shutdown(async move {
            shutdown.await;
            closing.send_replace(true);
        });
        let result = server.await;
        sim.closing.send_replace(true);
        sim.stop_all_pods();
        if let Some(dir) = &sim.temp_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
        result.map_err(Into::into)
    }
}

/// The server on its own thread and runtime, for synchronous tests.
/// Dropping it stops the server.
pub struct SimApiServer {
    sim: Arc<Sim>,
    pub url: String,
    pub kubeconfig: PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SimApiServer {
    pub fn start(cfg: Config) -> anyhow::Result<Self> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("sim-apiserver".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(anyhow::anyhow!(e)));
                        return;
                    }
                };
                rt.block_on(async move {
                    match bind(cfg).await {
                        Ok(b) => {
                            let _ = ready_tx.send(Ok((b.sim.clone(), b.kubeconfig.clone())));
                            let _ = b
                                .serve(async move {
                                    let _ = stop_rx.await;
                                })
                                .await;
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                        }
                    }
                });
            })?;
        let (sim, kubeconfig) = ready_rx.recv().context("the server thread died")??;
        Ok(Self {
            url: sim.url.clone(),
            sim,
            kubeconfig,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// Requests so far, keyed `verb resource` (`create pods`, `get pods/log`,
    /// `watch pods`, `get /api`...), plus `total`.
    pub fn requests(&self) -> BTreeMap<String, u64> {
        self.sim.request_counts()
    }

    /// Every pod the server holds.
    pub fn pods(&self) -> Vec<Pod> {
        self.sim.pods()
    }

    /// Stops the server and waits until its thread has ended.
    pub fn stop(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for SimApiServer {
    fn drop(&mut self) {
        self.stop_now();
    }
}
