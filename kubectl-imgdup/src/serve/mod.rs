//! `kubectl imgdup serve`: the node scan, long-running. It scans at start and
//! then every `--interval` (±10 %), one scan at a time on its own thread,
//! and serves the last result as Prometheus metrics and as the NodeReport.
//!
//! Run it as the DaemonSet in deploy/daemonset.yaml; `kubectl imgdup top`
//! reads each pod's `/report` through the API server's pod proxy.

mod http;
mod metrics;
mod priority;
mod schedule;

use std::net::{SocketAddr, ToSocketAddrs};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, RwLock, mpsc};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use clap::Args;
use imgdup::{report, scan};

use crate::cli::ScanFlags;
use crate::exit::Exit;
use metrics::Metrics;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to serve /metrics, /healthz and /report on: HOST:PORT, or :PORT for every interface
    #[arg(long, value_name = "ADDR", default_value = ":9847")]
    pub listen: String,
    /// Time between scans, ±10 % jitter; a scan never overlaps the previous one
    #[arg(long, value_name = "DUR", value_parser = humantime::parse_duration, default_value = "10m")]
    pub interval: Duration,
    /// Also export imgdup_image_reclaimable_bytes{image} for the N images that free the most
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub top_images: usize,
    /// Scan at normal CPU and I/O priority with all threads [default: nice 19, idle I/O class, one scan thread]
    #[arg(long)]
    pub full_priority: bool,
    #[command(flatten)]
    pub flags: ScanFlags,
}

/// What the HTTP side reads: the metrics and the last report's JSON.
pub struct State {
    metrics: Metrics,
    report: RwLock<Option<Arc<str>>>,
}

impl State {
    fn report(&self) -> Option<Arc<str>> {
        self.report
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

pub fn run(args: ServeArgs) -> Result<(String, Exit)> {
    let addr = listen_addr(&args.listen)?;
    if args.interval < Duration::from_secs(1) {
        bail!(
            "--interval {}: too short; give at least 1s (default 10m)",
            humantime::format_duration(args.interval)
        );
    }
    // Checks the flags (host root, procfs, crictl config) before serving.
    args.flags.clone().into_scan()?;
    let applied = priority::apply(args.full_priority);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let listener = runtime.block_on(bind(&args.listen, addr))?;
    eprintln!(
        "serve: listening on {addr}; scanning every {} ±10 %; {}",
        humantime::format_duration(args.interval),
        applied.0.join(", ")
    );
    let state = Arc::new(State {
        metrics: Metrics::new(args.top_images),
        report: RwLock::new(None),
    });
    let (stop_tx, stop_rx) = mpsc::channel();
    let scanner = state.clone();
    let (flags, interval, full) = (args.flags, args.interval, args.full_priority);
    std::thread::Builder::new()
        .name("imgdup-scan".into())
        .spawn(move || scan_loop(&scanner, &flags, interval, full, &stop_rx))
        .context("cannot start the scan thread")?;
    runtime.block_on(http::serve(listener, state, stop_signal()));
    let _ = stop_tx.send(());
    eprintln!("serve: stopped");
    Ok((String::new(), Exit::Ok))
}

/// `:9847` is every interface (as Go's net.Listen); otherwise HOST:PORT.
fn listen_addr(listen: &str) -> Result<SocketAddr> {
    let full = match listen.strip_prefix(':') {
        Some(port) => format!("0.0.0.0:{port}"),
        None => listen.to_string(),
    };
    let resolved = full.to_socket_addrs().ok().and_then(|mut a| a.next());
    resolved.with_context(|| format!(
        "--listen {listen}: not an address to listen on; give HOST:PORT or :PORT, e.g. --listen :9847 or --listen 127.0.0.1:9847"
    ))
}

async fn bind(listen: &str, addr: SocketAddr) -> Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        let fix = match e.kind() {
            std::io::ErrorKind::AddrInUse => format!("another process listens on port {}; stop it or pick a free port with --listen :PORT", addr.port()),
            std::io::ErrorKind::AddrNotAvailable => "no interface of this host has that address; use --listen :PORT for every interface".to_string(),
            std::io::ErrorKind::PermissionDenied => "ports below 1024 need CAP_NET_BIND_SERVICE; pick a port above 1023".to_string(),
            _ => "pick another address with --listen HOST:PORT".to_string(),
        };
        anyhow::anyhow!("--listen {listen}: cannot listen on {addr}: {e}; {fix}")
    })
}

/// SIGTERM (the kubelet stopping the pod) or SIGINT.
async fn stop_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => tokio::select! {
            _ = term.recv() => eprintln!("serve: SIGTERM; shutting down"),
            _ = tokio::signal::ctrl_c() => eprintln!("serve: SIGINT; shutting down"),
        },
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// The scan thread: its own single-threaded runtime, one scan at a time.
fn scan_loop(
    state: &State,
    flags: &ScanFlags,
    interval: Duration,
    full: bool,
    stop: &mpsc::Receiver<()>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .max_blocking_threads(priority::blocking_threads(full))
        .thread_keep_alive(priority::BLOCKING_KEEP_ALIVE)
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("serve: cannot start the scan runtime: {e}");
            return;
        }
    };
    let mut count = 0u64;
    schedule::run(interval, stop, || {
        count += 1;
        let started = Instant::now();
        let scanned = catch_unwind(AssertUnwindSafe(|| -> Result<_> {
            let s = flags.clone().into_scan()?;
            let report =
                runtime.block_on(scan::scan(&s.node, s.node_name, &s.inputs, &s.resolution));
            let json = report::to_json(&report)?;
            Ok((report, json))
        }));
        let seconds = started.elapsed().as_secs_f64();
        match scanned {
            Ok(Ok((report, json))) => {
                state.metrics.record(&report, seconds, unix_now());
                *state.report.write().unwrap_or_else(|e| e.into_inner()) = Some(json.into());
                eprintln!(
                    "serve: scan {count} took {seconds:.2} s: {}, {} reclaimable bytes",
                    report.verdict.as_str(),
                    report.reclaimable_bytes
                );
            }
            Ok(Err(e)) => {
                state.metrics.record_error("setup", seconds);
                eprintln!(
                    "serve: scan {count} failed: {}",
                    crate::connect_error::chain_once(e.as_ref())
                );
            }
            Err(_) => {
                state.metrics.record_error("panic", seconds);
                eprintln!("serve: scan {count} panicked; the last figures stay");
            }
        }
    });
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_takes_a_bare_port_or_host_and_port() {
        assert_eq!(
            listen_addr(":9847").unwrap(),
            "0.0.0.0:9847".parse().unwrap()
        );
        assert_eq!(
            listen_addr("127.0.0.1:1").unwrap(),
            "127.0.0.1:1".parse().unwrap()
        );
        assert_eq!(
            listen_addr("[::1]:80").unwrap(),
            "[::1]:80".parse().unwrap()
        );
        for bad in ["9847", "nohost.invalid:x", ":99999", ""] {
            let e = listen_addr(bad).unwrap_err().to_string();
            assert!(
                e.starts_with(&format!("--listen {bad}: ")) && e.contains("--listen :9847"),
                "{e}"
            );
        }
    }
}
