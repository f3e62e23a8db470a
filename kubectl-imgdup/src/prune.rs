//! `kubectl imgdup prune --local`: scan, plan, ask, remove through each
//! store's API, rescan, and report what came back.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use anyhow::{Context, Result};
use imgdup::prune::execute::{self, Event};
use imgdup::prune::{Excludes, PruneReport, leftover, script};
use imgdup::{report, scan};

use crate::cli::{PlanOutput, PruneArgs, Scan};
use crate::exit::Exit;

/// The flags that decide what a prune does, once the scan flags are checked.
struct Choices {
    dry_run: bool,
    yes: bool,
    leftover_stores: Vec<String>,
    output: PlanOutput,
}

pub fn run(args: PruneArgs) -> Result<(String, Exit)> {
    let excludes = Excludes::new(&args.exclude)
        .context("--exclude takes a glob such as 'registry.k8s.io/*'")?;
    let s = args.scan.into_scan()?;
    let choices = Choices {
        dry_run: args.dry_run,
        yes: args.yes,
        leftover_stores: args.remove_leftover_store,
        output: args.output,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(prune(s, excludes, &choices))
}

async fn prune(s: Scan, excludes: Excludes, args: &Choices) -> Result<(String, Exit)> {
    let node = &s.node;
    let before = scan::scan(node, s.node_name.clone(), &s.inputs, &s.resolution).await;
    let job = imgdup::prune::job(&before, &excludes);
    let sandboxes = imgdup::prune::sandboxes(node, &before).await;
    let (go, stay, unreachable) = execute::preview(node, &job, &sandboxes).await;
    let mut leftovers = Vec::new();
    for path in &args.leftover_stores {
        leftovers.push(leftover::check(node, &before, path).await?);
    }
    let plan = script::plan(&before, &stay);
    let plan_text = match args.output {
        PlanOutput::Text => report::prune_text(&plan),
        PlanOutput::Json => report::to_json(&plan)?,
        PlanOutput::Yaml => report::to_yaml(&plan)?,
    };
    if args.dry_run {
        return Ok((plan_text, Exit::Ok));
    }
    for f in &unreachable {
        eprintln!("kubectl-imgdup: {} in {}: {}", f.image, f.store, f.error);
    }
    let copies = go.len() + leftovers.len();
    if !args.yes {
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(plan_text.as_bytes())?;
        stdout.flush()?;
        let freeing: u64 = go.iter().map(|t| t.predicted_bytes).sum::<u64>()
            + leftovers.iter().map(|l| l.predicted_bytes).sum::<u64>();
        if copies == 0 || !confirm(copies, freeing)? {
            return Ok((String::new(), Exit::Ok));
        }
    }
    let stop = Arc::new(AtomicBool::new(false));
    let signal = watch_signals(&stop)?;
    let mut progress = |event: Event| print_progress(&event);
    let (mut done, kept_before) = execute::run(node, &job, &sandboxes, &stop, &mut progress).await;
    for l in &leftovers {
        if stop.load(Ordering::SeqCst) {
            done.interrupted = true;
            break;
        }
        match leftover::remove(node, &before, &l.path).await {
            Ok(removed) => done.leftover_stores.push(removed),
            Err(e) => done.failed.push(imgdup::prune::report::Failed {
                image: "-".into(),
                store: l.path.clone(),
                error: e.to_string(),
            }),
        }
    }
    if !done.interrupted && (!done.removed.is_empty() || !done.leftover_stores.is_empty()) {
        let after = scan::scan(node, s.node_name.clone(), &s.inputs, &s.resolution).await;
        done.proof = Some(execute::proof(
            node,
            &job,
            &done,
            &before,
            &after,
            &kept_before,
        ));
    }
    done.total();
    let exit = match signal.load(Ordering::SeqCst) {
        2 => Exit::Interrupted,
        15 => Exit::Terminated,
        _ if !done.failed.is_empty() => Exit::PruneFailed,
        _ => Exit::Ok,
    };
    Ok((render(&done, args.output)?, exit))
}

fn render(done: &PruneReport, output: PlanOutput) -> Result<String> {
    Ok(match output {
        PlanOutput::Text => report::prune_report_text(done),
        PlanOutput::Json => report::to_json(done)?,
        PlanOutput::Yaml => report::to_yaml(done)?,
    })
}

/// Asks once on a terminal; anything but y/yes is a no. Without a terminal
/// nothing is removed: a pipeline never deletes without `--yes`.
fn confirm(copies: usize, freeing: u64) -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        eprintln!(
            "kubectl-imgdup: nothing removed: stdin is not a terminal; pass --yes to remove these {copies} copies"
        );
        return Ok(false);
    }
    eprint!(
        "Remove {copies} copies, freeing {}? [y/N] ",
        report::human_bytes(freeing)
    );
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
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
