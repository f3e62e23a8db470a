//! `kubectl imgdup prune --local`: scan, plan, ask, remove through each
//! store's API, rescan, and report what came back.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result};
use imgdup::host::view::HostView;
use imgdup::judge::prune::execute::{self, Event};

use super::{confirm, print_progress, question, watch_signals};
use imgdup::judge::prune::leftover::Leftover;
use imgdup::judge::prune::report::Skipped;
use imgdup::judge::prune::script::Step;
use imgdup::judge::prune::{Excludes, PruneJob, PruneReport, Target, leftover, script};
use imgdup::model::node_report::NodeReport;
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
    let s = args.flags.into_scan()?;
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
    let job = imgdup::judge::prune::job(&before, &excludes);
    let sandboxes = imgdup::judge::prune::sandboxes(node, &job.cri_sockets).await;
    let (go, stay, unreachable) = execute::preview(node, &job, &sandboxes).await;
    let mut leftovers = Vec::new();
    for path in &args.leftover_stores {
        leftovers.push(leftover::check(node, &before, path).await?);
    }
    let plan_text = plan_text(&before, &stay, &leftovers, args.output)?;
    if args.dry_run {
        return Ok((plan_text, Exit::Ok));
    }
    for f in &unreachable {
        eprintln!("kubectl-imgdup: {} in {}: {}", f.image, f.store, f.error);
    }
    if !args.yes && !confirmed(&plan_text, &go, &leftovers)? {
        return Ok((String::new(), Exit::Ok));
    }
    let stop = Arc::new(AtomicBool::new(false));
    let signal = watch_signals(&stop)?;
    let mut progress = |event: Event| print_progress(&event);
    // Only what the plan shown would remove: a copy it kept stays kept.
    let approved = PruneJob {
        targets: go,
        skipped: stay,
        ..job
    };
    let mut done = execute::run(node, &approved, &sandboxes, &stop, &mut progress).await;
    // Copies whose store could not even be asked while planning failed too.
    done.failed.splice(0..0, unreachable);
    remove_leftovers(node, &before, &leftovers, &stop, &mut done).await;
    if !done.interrupted && (!done.removed.is_empty() || !done.leftover_stores.is_empty()) {
        let after = scan::scan(node, s.node_name.clone(), &s.inputs, &s.resolution).await;
        if done.proof.is_none() {
            done.proof = Some(Default::default());
        }
        execute::rescanned(&mut done, &before, &after);
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

/// The plan as shown: the copies' commands, then each leftover store.
fn plan_text(
    before: &NodeReport,
    stay: &[Skipped],
    leftovers: &[Leftover],
    output: PlanOutput,
) -> Result<String> {
    let mut plan = script::plan(before, stay);
    for l in leftovers {
        plan.steps.push(Step::Note(format!(
            "remove the whole leftover store {} ({}, read-write): {}",
            l.path,
            report::human_bytes(l.predicted_bytes),
            l.checks.join("; ")
        )));
    }
    Ok(match output {
        PlanOutput::Text => report::prune_text(&plan),
        PlanOutput::Json => report::to_json(&plan)?,
        PlanOutput::Yaml => report::to_yaml(&plan)?,
    })
}

/// Shows the plan and asks once; an empty plan asks nothing.
fn confirmed(plan_text: &str, go: &[Target], leftovers: &[Leftover]) -> Result<bool> {
    let copies = go.len() + leftovers.len();
    let roots: Vec<String> = leftovers.iter().map(|l| l.path.clone()).collect();
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(plan_text.as_bytes())?;
    stdout.flush()?;
    let freeing: u64 = go.iter().map(|t| t.predicted_bytes).sum::<u64>()
        + leftovers.iter().map(|l| l.predicted_bytes).sum::<u64>();
    Ok(copies != 0 && confirm(&question(go.len(), &roots, freeing, None))?)
}

/// Removes each approved leftover store, unless a signal came first.
async fn remove_leftovers(
    node: &HostView,
    before: &NodeReport,
    leftovers: &[Leftover],
    stop: &AtomicBool,
    done: &mut PruneReport,
) {
    for l in leftovers {
        if stop.load(Ordering::SeqCst) {
            done.interrupted = true;
            break;
        }
        match leftover::remove(node, before, &l.path).await {
            Ok(removed) => done.leftover_stores.push(removed),
            Err(e) => done.failed.push(imgdup::judge::prune::report::Failed {
                image: "-".into(),
                store: l.path.clone(),
                error: imgdup::model::causes::joined(&e),
            }),
        }
    }
}

fn render(done: &PruneReport, output: PlanOutput) -> Result<String> {
    Ok(match output {
        PlanOutput::Text => report::prune_report_text(done),
        PlanOutput::Json => report::to_json(done)?,
        PlanOutput::Yaml => report::to_yaml(done)?,
    })
}
