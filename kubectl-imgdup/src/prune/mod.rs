//! `kubectl imgdup prune`: give the disk back. `--local` on this node
//! ([`local`]), else on the cluster's nodes through prune pods ([`cluster`]),
//! each running the hidden `prune-agent` ([`agent`]).

mod agent;
mod cluster;
mod local;

use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use anyhow::{Context, Result};
use imgdup::judge::prune::execute::Event;
use imgdup::report;

use crate::cli::{ConnectArgs, PruneArgs};
use crate::exit::Exit;

pub use agent::run as agent;

pub fn run(args: PruneArgs, conn: &ConnectArgs) -> Result<(String, Exit)> {
    if args.local {
        local::run(args)
    } else {
        cluster::run(args, conn)
    }
}

/// Asks once on a terminal; anything but y/yes is a no. Without a terminal
/// nothing is removed: a pipeline never deletes without `--yes`.
fn confirm(question: &str) -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        eprintln!(
            "kubectl-imgdup: nothing removed: stdin is not a terminal; pass --yes to go ahead ({question})"
        );
        return Ok(false);
    }
    eprint!("{question}? [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

/// `Remove 3 copies on 2 node(s) and the whole leftover store
/// /var/lib/docker, freeing 1.2 GiB`: what a yes does, stores by name.
fn question(copies: usize, leftovers: &[String], bytes: u64, nodes: Option<usize>) -> String {
    let mut parts = Vec::new();
    if copies > 0 {
        let on = nodes
            .map(|n| format!(" on {n} node(s)"))
            .unwrap_or_default();
        parts.push(format!("{copies} copies{on}"));
    }
    if !leftovers.is_empty() {
        parts.push(format!("the whole leftover store {}", leftovers.join(", ")));
    }
    format!(
        "Remove {}, freeing {}",
        parts.join(" and "),
        report::human_bytes(bytes)
    )
}

/// SIGINT and SIGTERM only set `stop`: the removal under way finishes, the
/// next is not started. Returns the signal number seen (0: none).
fn watch_signals(stop: &Arc<AtomicBool>) -> Result<Arc<AtomicU8>> {
    use tokio::signal::unix::{SignalKind, signal};
    let seen = Arc::new(AtomicU8::new(0));
    for (kind, number) in [(SignalKind::interrupt(), 2), (SignalKind::terminate(), 15)] {
        let mut stream = signal(kind).context("cannot watch for Ctrl-C")?;
        let (stop, seen) = (Arc::clone(stop), Arc::clone(&seen));
        tokio::spawn(async move {
            while stream.recv().await.is_some() {
                seen.store(number, Ordering::SeqCst);
                stop.store(true, Ordering::SeqCst);
                eprintln!("kubectl-imgdup: stopping after the removal under way");
            }
        });
    }
    Ok(seen)
}

/// One line per copy on stderr, when it is a terminal.
fn print_progress(event: &Event) {
    if !std::io::stderr().is_terminal() {
        return;
    }
    let line = match event {
        Event::Removed(r) => format!(
            "removed {} from {}: {} measured",
            r.tags.first().unwrap_or(&r.image),
            r.store,
            report::human_bytes(r.measured_bytes)
        ),
        Event::Skipped(s) => format!("kept {} in {}: {}", s.image, s.store, s.detail),
        Event::Failed(f) => format!("FAILED {} in {}: {}", f.image, f.store, f.error),
    };
    eprintln!("{}", report::sanitize(&line));
}
