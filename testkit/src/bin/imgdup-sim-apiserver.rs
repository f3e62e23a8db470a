//! The simulated Kubernetes API server (test support, never shipped): see
//! `testkit::apiserver`. Prints `listening on URL` and `kubeconfig PATH`,
//! serves until SIGINT/SIGTERM.

use std::io::Write;
use std::path::PathBuf;

use clap::Parser;
use testkit::apiserver::{self, Config};

#[derive(Parser, Debug)]
#[command(
    name = "imgdup-sim-apiserver",
    about = "A simulated Kubernetes API server for imgdup's tests"
)]
struct Args {
    /// YAML or JSON config (nodes, fakeNodes, faults...).
    #[arg(short, long)]
    config: Option<PathBuf>,
    /// Listen address (default 127.0.0.1:0, a random port).
    #[arg(short, long)]
    listen: Option<String>,
    /// Where to write the kubeconfig (default: a temp dir removed at exit).
    #[arg(short, long)]
    kubeconfig: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut cfg = match &args.config {
        Some(p) => Config::from_file(p)?,
        None => Config::default(),
    };
    if let Some(l) = args.listen {
        cfg.listen = l;
    }
    if let Some(k) = args.kubeconfig {
        cfg.kubeconfig = Some(k);
    }
    let bound = apiserver::bind(cfg).await?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on http://{}", bound.addr)?;
        writeln!(out, "kubeconfig {}", bound.kubeconfig.display())?;
        out.flush()?;
    }
    bound
        .serve(async {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("SIGTERM handler");
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        })
        .await
}
