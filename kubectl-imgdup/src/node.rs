//! `kubectl imgdup node --local`: one node's verdict, with proof.

use anyhow::Result;
use imgdup::chain::which;
use imgdup::model::image_finding::Verdict;
use imgdup::model::node_report::NodeReport;
use imgdup::{report, scan};

use crate::cli::{AgentFlags, NodeArgs, Output};
use crate::exit::Exit;

pub fn run(args: NodeArgs) -> Result<(String, Exit)> {
    let s = args.scan.into_scan()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(scan::scan(&s.node, s.node_name, &s.inputs, &s.resolution));
    let text = match args.output {
        Output::Table => report::node_text(&report, false),
        Output::Wide => report::node_text(&report, true),
        Output::Json => report::to_json(&report)?,
        Output::Yaml => report::to_yaml(&report)?,
    };
    let exit = match report.verdict {
        Verdict::Duplicate if args.fail_on_duplicates => Exit::Duplicates,
        Verdict::Unknown => Exit::Unknown,
        _ => Exit::Ok,
    };
    Ok((text, exit))
}

/// `agent`: what an agent pod runs. The NodeReport (or with `--chain`,
/// crictl's Chain) goes to stdout as JSON, which the plugin reads back from
/// the pod log.
pub fn agent(flags: AgentFlags) -> Result<(String, Exit)> {
    let s = flags.scan.into_scan()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let text = if flags.chain {
        report::to_json(&runtime.block_on(which::which(&s.node, &s.inputs, &s.resolution)))?
    } else {
        let report: NodeReport =
            runtime.block_on(scan::scan(&s.node, s.node_name, &s.inputs, &s.resolution));
        report::to_json(&report)?
    };
    Ok((text, Exit::Ok))
}
