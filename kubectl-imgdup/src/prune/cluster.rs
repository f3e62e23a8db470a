//! `kubectl imgdup prune [NODE...]`: scan every node through agent pods,
//! show the cluster plan and ask once, run one prune pod per node that has
//! copies to remove, then scan those nodes again for the proof.

use std::io::Write;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use imgdup::cluster::fanout_config::{AgentOutput, FanoutConfig};
use imgdup::cluster::pod::AgentMode;
use imgdup::cluster::preflight;
use imgdup::cluster::prune_pod::PruneOrder;
use imgdup::cluster::run;
use imgdup::judge::prune::report::{ClusterPruneReport, Failed, PruneReport};
use imgdup::judge::prune::{Excludes, PruneJob, execute, script};
use imgdup::model::chain::API_VERSION;
use imgdup::model::image_finding::Verdict;
use imgdup::model::node_report::NodeReport;
use imgdup::model::unknown_reason::UnknownReason;
use imgdup::report;

use super::{confirm, question};
use crate::cli::{AgentArgs, ConnectArgs, PlanOutput, PruneArgs};
use crate::cluster::{progress_bar, scan_nodes, select_nodes};
use crate::connect;
use crate::exit::Exit;
use crate::session::Session;

/// The largest plan handed to a prune pod in its arguments: the pod object
/// must stay well under etcd's 1.5 MiB request limit.
const MAX_JOB_BYTES: usize = 512 << 10;

/// The scan deadline when --timeout is not given (the cluster scan's default).
const AGENT_TIMEOUT: Duration = Duration::from_secs(60);

pub fn run(args: PruneArgs, conn: &ConnectArgs) -> Result<(String, Exit)> {
    if !args.remove_leftover_store.is_empty() {
        bail!(
            "--remove-leftover-store needs --local: proving that nothing uses the store means reading every process's open files, maps and mounts, which the prune pod (no capabilities) may not; run it on the node, e.g. in `kubectl debug node/NODE --profile=sysadmin` with the node's / at /host and --host-root /host"
        );
    }
    let excludes = Excludes::new(&args.exclude)
        .context("--exclude takes a glob such as 'registry.k8s.io/*'")?;
    connect::runtime()?.block_on(prune_cluster(args, excludes, conn))
}

async fn prune_cluster(
    args: PruneArgs,
    excludes: Excludes,
    conn: &ConnectArgs,
) -> Result<(String, Exit)> {
    let session = Session::open(conn).await?;
    let Session { client, calls, .. } = &session;
    session
        .check_access(preflight::needs(&session.namespace), None)
        .await?;
    let (mut unknown, targets) =
        select_nodes(client, calls, &args.nodes, args.selector.as_deref(), None).await?;
    let agent = agent_args(&args);
    let scan_cfg = session.fanout_config(&agent, args.pods.concurrency, AgentMode::Scan);
    if let Some(first) = targets.first() {
        session.check_admission(&scan_cfg.pod(first)).await?;
    }
    let before = match scan_nodes(client, targets, &scan_cfg, calls).await {
        Ok(reports) => reports,
        Err(stop) => return Ok((String::new(), stop)),
    };
    // Nodes that could not be scanned are left alone, and said so.
    unknown.extend(
        before
            .iter()
            .filter(|r| r.verdict == Verdict::Unknown)
            .cloned(),
    );
    warn_left_alone(&unknown);
    let jobs = jobs_of(before, &excludes);
    let mut prune_cfg = session.fanout_config(&agent, args.pods.concurrency, AgentMode::Scan);
    add_orders(&mut prune_cfg, &jobs)?;
    let plan = plan_text(&jobs, &prune_cfg, args.output, args.dry_run)?;
    if args.dry_run {
        return Ok((plan, Exit::Ok));
    }
    if !args.yes && !confirmed(&plan, &jobs, prune_cfg.prune.len())? {
        return Ok((String::new(), Exit::Ok));
    }
    let mut pruned = match prune_and_rescan(&session, &prune_cfg, &scan_cfg, &jobs).await? {
        Ok(pruned) => pruned,
        Err(stop) => return Ok((String::new(), stop)),
    };
    // Nodes with nothing to remove still say what stays there, and why.
    for (_, job) in jobs
        .iter()
        .filter(|(_, j)| j.targets.is_empty() && !j.skipped.is_empty())
    {
        let mut kept = PruneReport::new(job.node.clone());
        kept.skipped = job.skipped.clone();
        kept.total();
        pruned.push(kept);
    }
    let cluster = ClusterPruneReport::new(prune_cfg.run_id.clone(), pruned);
    render(&cluster, args.output)
}

/// The agent pods' settings for prune's scans.
fn agent_args(args: &PruneArgs) -> AgentArgs {
    AgentArgs {
        image: args.pods.image.clone(),
        timeout: args.flags.timeout.unwrap_or(AGENT_TIMEOUT),
        pending_timeout: args.pods.pending_timeout,
        keep_pods: args.pods.keep_pods,
        agent_binary: None,
    }
}

/// Says, per node, why nothing is removed there.
fn warn_left_alone(unknown: &[NodeReport]) {
    for node in unknown {
        let why = node.reason.as_deref().unwrap_or("not scanned");
        eprintln!(
            "kubectl-imgdup: {}: nothing removed there ({why})",
            node.node
        );
    }
}

/// Each scanned node's prune job; nodes that could not be scanned get none.
fn jobs_of(before: Vec<NodeReport>, excludes: &Excludes) -> Vec<(NodeReport, PruneJob)> {
    before
        .into_iter()
        .filter(|r| r.verdict != Verdict::Unknown)
        .map(|r| {
            let job = imgdup::judge::prune::job(&r, excludes);
            (r, job)
        })
        .collect()
}

/// Hands each node with copies to remove its job, as a prune pod argument.
fn add_orders(prune_cfg: &mut FanoutConfig, jobs: &[(NodeReport, PruneJob)]) -> Result<()> {
    for (_, job) in jobs.iter().filter(|(_, j)| !j.targets.is_empty()) {
        let json = serde_json::to_string(job)?;
        if json.len() > MAX_JOB_BYTES {
            bail!(
                "the plan for node {} is {} KiB, more than the {} KiB a pod's arguments should carry: prune that node with --local (in a debug pod), or narrow the plan with --exclude",
                job.node,
                json.len() >> 10,
                MAX_JOB_BYTES >> 10
            );
        }
        let order = PruneOrder {
            job: json,
            sockets: job.sockets(),
            copies: job.targets.len(),
        };
        prune_cfg.prune.insert(job.node.clone(), order);
    }
    Ok(())
}

/// Shows the plan and asks once; an empty plan asks nothing.
fn confirmed(plan: &str, jobs: &[(NodeReport, PruneJob)], nodes: usize) -> Result<bool> {
    let copies: usize = jobs.iter().map(|(_, j)| j.targets.len()).sum();
    let bytes: u64 = jobs.iter().map(|(_, j)| j.predicted_bytes()).sum();
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(plan.as_bytes())?;
    stdout.flush()?;
    Ok(copies != 0 && confirm(&question(copies, &[], bytes, Some(nodes)))?)
}

/// Runs one prune pod per node in `prune_cfg`, then scans those nodes again
/// so each report says what the removal really freed. `Err(exit)` when
/// stopped (Ctrl-C) on the way.
async fn prune_and_rescan(
    session: &Session,
    prune_cfg: &FanoutConfig,
    scan_cfg: &FanoutConfig,
    jobs: &[(NodeReport, PruneJob)],
) -> Result<Result<Vec<PruneReport>, Exit>> {
    let Session { client, calls, .. } = session;
    let nodes: Vec<String> = prune_cfg.prune.keys().cloned().collect();
    let Some(first) = nodes.first() else {
        return Ok(Ok(Vec::new()));
    };
    session.check_admission(&prune_cfg.pod(first)).await?;
    let progress = progress_bar(nodes.len());
    let work = run::run_agents(
        client.clone(),
        nodes.clone(),
        prune_cfg,
        calls.clone(),
        parse,
        |_| progress.inc(1),
    );
    let stopping =
        || progress.abandon_with_message("stopping: each prune pod finishes the removal under way");
    let mut pruned = match connect::unless_stopped(work, client, prune_cfg, calls, stopping).await {
        Ok(done) => done,
        Err(stop) => return Ok(Err(stop)),
    };
    progress.finish_and_clear();
    let mut rescan_cfg = scan_cfg.clone();
    rescan_cfg.run_id = connect::run_id();
    let after = match scan_nodes(client, nodes, &rescan_cfg, calls).await {
        Ok(after) => after,
        Err(stop) => return Ok(Err(stop)),
    };
    for done in &mut pruned {
        let before = jobs
            .iter()
            .find(|(r, _)| r.node == done.node)
            .map(|(r, _)| r);
        let after = after.iter().find(|r| r.node == done.node);
        if let (Some(before), Some(after)) = (before, after) {
            execute::rescanned(done, before, after);
        }
    }
    Ok(Ok(pruned))
}

/// The cluster's prune report, and `PruneFailed` when a removal failed.
fn render(cluster: &ClusterPruneReport, output: PlanOutput) -> Result<(String, Exit)> {
    let exit = if cluster.totals.failed > 0 {
        Exit::PruneFailed
    } else {
        Exit::Ok
    };
    let text = match output {
        PlanOutput::Text => cluster
            .nodes
            .iter()
            .map(report::prune_report_text)
            .collect::<Vec<_>>()
            .join("\n"),
        PlanOutput::Json => report::to_json(cluster)?,
        PlanOutput::Yaml => report::to_yaml(cluster)?,
    };
    Ok((text, exit))
}

/// A node's PruneReport from its prune pod; a pod that gave none is one
/// failure naming why (the rescan shows what was removed before it ended).
fn parse(node: &str, output: AgentOutput) -> PruneReport {
    let parsed = output.and_then(|text| {
        serde_json::from_str::<PruneReport>(&text)
            .map_err(|e| UnknownReason::NotAPruneReport(e.to_string()))
    });
    match parsed {
        Ok(mut done) => {
            done.node = node.to_string();
            done
        }
        Err(reason) => {
            let mut done = PruneReport::new(node.to_string());
            done.failed.push(Failed {
                image: "-".into(),
                store: "-".into(),
                error: format!("the prune pod on {node} gave no report: {reason}"),
            });
            done.total();
            done
        }
    }
}

/// The cluster plan: each node's commands (text), or the prune pods that
/// would run (yaml/json, with --dry-run), or each node's PrunePlan.
fn plan_text(
    jobs: &[(NodeReport, PruneJob)],
    cfg: &FanoutConfig,
    output: PlanOutput,
    dry_run: bool,
) -> Result<String> {
    let plans: Vec<_> = jobs
        .iter()
        .map(|(r, j)| script::plan(r, &j.skipped))
        .collect();
    Ok(match output {
        PlanOutput::Text => plans
            .iter()
            .map(report::prune_text)
            .collect::<Vec<_>>()
            .join("\n"),
        _ if dry_run => {
            let mut out = String::new();
            for node in cfg.prune.keys() {
                let pod = cfg.pod(node);
                let doc = serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": pod.metadata, "spec": pod.spec});
                out.push_str(&match output {
                    PlanOutput::Json => report::to_json(&doc)?,
                    _ => format!("---\n{}", report::to_yaml(&doc)?),
                });
            }
            out
        }
        _ => {
            let doc = serde_json::json!({"apiVersion": API_VERSION, "kind": "ClusterPrunePlan", "nodes": plans});
            match output {
                PlanOutput::Json => report::to_json(&doc)?,
                _ => report::to_yaml(&doc)?,
            }
        }
    })
}
