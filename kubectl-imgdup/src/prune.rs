//! `kubectl imgdup prune --dry-run --local`: the commands that reclaim the bytes.

use anyhow::Result;
use imgdup::{prune, report, scan};

use crate::cli::{PlanOutput, PruneArgs};
use crate::exit::Exit;

pub fn run(args: PruneArgs) -> Result<(String, Exit)> {
    let s = args.scan.into_scan()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let node_report = runtime.block_on(scan::scan(&s.node, s.node_name, &s.inputs, &s.resolution));
    let plan = prune::plan(&node_report);
    let text = match args.output {
        PlanOutput::Text => report::prune_text(&plan),
        PlanOutput::Json => report::to_json(&plan)?,
        PlanOutput::Yaml => report::to_yaml(&plan)?,
    };
    Ok((text, Exit::Ok))
}
