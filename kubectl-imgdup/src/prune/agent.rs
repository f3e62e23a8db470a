//! `prune-agent` (hidden): one node's approved prune inside its prune pod.
//! It removes only the copies of the job it was given, each after the same
//! guards as `--local`, and prints the PruneReport; the client rescans.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::{Context, Result};
use imgdup::judge::prune::execute;
use imgdup::judge::prune::{PruneJob, sandboxes};
use imgdup::report;

use super::watch_signals;
use crate::cli::PruneAgentFlags;
use crate::exit::Exit;

pub fn run(flags: PruneAgentFlags) -> Result<(String, Exit)> {
    let job: PruneJob = serde_json::from_str(&flags.job).context(
        "--job is not a PruneJob (kubectl imgdup prune builds the prune pod and its job)",
    )?;
    let s = flags.scan.into_scan()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        // The kubelet's SIGTERM (the pod deleted after Ctrl-C) stops it
        // between two removals, within the pod's grace period.
        let stop = Arc::new(AtomicBool::new(false));
        watch_signals(&stop)?;
        let sandboxes = sandboxes(&s.node, &job.cri_sockets).await;
        let done = execute::run(&s.node, &job, &sandboxes, &stop, &mut |_| {}).await;
        Ok((report::to_json(&done)?, Exit::Ok))
    })
}
