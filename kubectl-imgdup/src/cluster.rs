//! `kubectl imgdup [NODE...]`: the cluster scan, through one agent pod per node.

use std::io::IsTerminal;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use imgdup::cluster::calls::{Calls, Verb};
use imgdup::cluster::fanout_config::FanoutConfig;
use imgdup::cluster::pod::AgentMode;
use imgdup::cluster::{preflight, run, targets};
use imgdup::model::cluster_report::ClusterReport;
use imgdup::model::image_finding::Verdict;
use imgdup::model::node_report::NodeReport;
use imgdup::report;
use indicatif::{ProgressBar, ProgressStyle};
use k8s_openapi::api::core::v1::Node;
use kube::Api;
use kube::api::ListParams;

use crate::airgap;
use crate::cli::{AgentArgs, ClusterArgs, ConnectArgs, Output};
use crate::connect;
use crate::contexts;
use crate::exit::Exit;
use crate::session::Session;

pub fn run(args: ClusterArgs, conn: &ConnectArgs) -> Result<(String, Exit)> {
    if args.dry_run {
        return dry_run(&args, conn);
    }
    if let Some(names) = contexts::selected(conn, &args.contexts)? {
        return connect::runtime()?.block_on(contexts::scan(names, &args, conn));
    }
    connect::runtime()?.block_on(scan_cluster(args, conn))
}

/// The pods a run would create, for review; nothing is contacted.
fn dry_run(args: &ClusterArgs, conn: &ConnectArgs) -> Result<(String, Exit)> {
    if args.nodes.is_empty() {
        bail!("--dry-run needs the NODE names: it does not contact the cluster to list them");
    }
    let namespace = conn.namespace.clone().unwrap_or_else(|| "default".into());
    let mut cfg = fanout_config(&args.agent, namespace, args.concurrency, AgentMode::Scan);
    cfg.run_id = "dry-run".into();
    let binary = airgap::binary(&args.agent)?;
    let mut out = String::new();
    for node in &args.nodes {
        let pod = cfg.pod(node);
        let doc = serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": pod.metadata, "spec": pod.spec});
        out.push_str(&match args.output {
            Output::Json => report::to_json(&doc)?,
            _ => format!(
                "---\n{}{}",
                airgap::dry_run_note(binary.as_ref(), node),
                report::to_yaml(&doc)?
            ),
        });
    }
    Ok((out, Exit::Ok))
}

async fn scan_cluster(args: ClusterArgs, conn: &ConnectArgs) -> Result<(String, Exit)> {
    match collect(&args, conn).await? {
        Ok(cluster) => Ok((render(&cluster, args.output)?, exit_of(&cluster, &args))),
        Err(stop) => Ok((String::new(), stop)),
    }
}

/// One context's scan; `Ok(Err(exit))` is a run stopped by a signal, its
/// pods deleted.
pub async fn collect(
    args: &ClusterArgs,
    conn: &ConnectArgs,
) -> Result<Result<ClusterReport, Exit>> {
    let binary = airgap::binary(&args.agent)?;
    let session = Session::open(conn).await?;
    let Session { client, calls, .. } = &session;
    session
        .check_access(preflight::needs(&session.namespace), binary.as_ref())
        .await?;

    let (mut reports, targets) = select_nodes(
        client,
        calls,
        &args.nodes,
        args.selector.as_deref(),
        binary.as_ref(),
    )
    .await?;
    let cfg = session.fanout_config(&args.agent, args.concurrency, AgentMode::Scan);
    if let Some(first) = targets.first() {
        session.check_admission(&cfg.pod(first)).await?;
    }
    let workloads = targets::findings_by_node(
        &targets::list_all_pods(client, calls)
            .await
            .context("cannot list pods")?,
    );

    let scanned = match scan_nodes(client, targets, &cfg, calls).await {
        Ok(scanned) => scanned,
        Err(stop) => return Ok(Err(stop)),
    };
    reports.extend(scanned);
    for report in &mut reports {
        if let Some(found) = workloads.get(&report.node) {
            report.pods = found.clone();
        }
    }
    let cluster = ClusterReport::new(cfg.run_id.clone(), reports, calls.snapshot());
    if conn.verbose.unwrap_or(0) > 0 {
        eprint!(
            "{}",
            report::api_calls_text(&cluster.api_calls, &calls.per_node())
        );
    }
    Ok(Ok(cluster))
}

pub fn render(cluster: &ClusterReport, output: Output) -> Result<String> {
    Ok(match output {
        Output::Table => report::cluster_text(cluster, false),
        Output::Wide => report::cluster_text(cluster, true),
        Output::Json => report::to_json(cluster)?,
        Output::Yaml => report::to_yaml(cluster)?,
    })
}

pub fn exit_of(cluster: &ClusterReport, args: &ClusterArgs) -> Exit {
    if args.fail_on_duplicates && cluster.any(Verdict::Duplicate) {
        Exit::Duplicates
    } else if cluster.any(Verdict::Unknown) {
        Exit::Unknown
    } else {
        Exit::Ok
    }
}

/// One scan fan-out with its progress bar; `Err` is the exit after Ctrl-C
/// or SIGTERM, once the run's pods are deleted.
pub async fn scan_nodes(
    client: &kube::Client,
    nodes: Vec<String>,
    cfg: &FanoutConfig,
    calls: &Arc<Calls>,
) -> Result<Vec<NodeReport>, Exit> {
    let progress = progress_bar(nodes.len());
    let done = |r: &NodeReport| {
        progress.inc(1);
        if r.verdict == Verdict::Unknown {
            progress.set_message(format!("{} unknown", r.node));
        }
    };
    let fan_out = run::fan_out(client.clone(), nodes, cfg, calls.clone(), done);
    let stopping = || progress.abandon_with_message("stopping: deleting agent pods");
    let scanned = connect::unless_stopped(fan_out, client, cfg, calls, stopping).await;
    if scanned.is_ok() {
        progress.finish_and_clear();
    }
    scanned
}

/// The nodes named (all, or those matching the selector): those an agent
/// can run on, and an `unknown` report for each of the others.
pub async fn select_nodes(
    client: &kube::Client,
    calls: &Calls,
    names: &[String],
    selector: Option<&str>,
    binary: Option<&imgdup::cluster::upload::AgentBinary>,
) -> Result<(Vec<NodeReport>, Vec<String>)> {
    let nodes_api: Api<Node> = Api::all(client.clone());
    let params = ListParams {
        label_selector: selector.map(str::to_string),
        ..Default::default()
    };
    let mut listed = calls
        .run(Verb::List, None, |_| nodes_api.list(&params))
        .await
        .context("cannot list nodes")?
        .items;
    if !names.is_empty() {
        listed.retain(|n| {
            n.metadata
                .name
                .as_ref()
                .is_some_and(|name| names.contains(name))
        });
        for wanted in names {
            if !listed
                .iter()
                .any(|n| n.metadata.name.as_ref() == Some(wanted))
            {
                bail!("node {wanted:?} not found (kubectl get nodes lists them)");
            }
        }
    }
    let mut reports = Vec::new();
    let mut targets = Vec::new();
    for node in &listed {
        let name = node.metadata.name.clone().unwrap_or_default();
        match airgap::skip_reason(binary, node) {
            Some(reason) => reports.push(NodeReport::unknown(name, reason)),
            None => targets.push(name),
        }
    }
    Ok((reports, targets))
}

/// The fan-out settings shared by the scan and `which`.
pub fn fanout_config(
    agent: &AgentArgs,
    namespace: String,
    concurrency: usize,
    mode: AgentMode,
) -> FanoutConfig {
    FanoutConfig {
        namespace,
        image: agent.image.clone(),
        run_id: connect::run_id(),
        concurrency,
        timeout: agent.timeout,
        pending_timeout: agent.pending_timeout,
        keep_pods: agent.keep_pods,
        mode,
        agent_binary: agent.agent_binary.clone(),
        prune: Default::default(),
    }
}

/// Nodes done out of total on stderr, only when stderr is a terminal.
pub fn progress_bar(total: usize) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total as u64);
    if let Ok(style) = ProgressStyle::with_template("{spinner} {pos}/{len} nodes {wide_msg}") {
        bar.set_style(style);
    }
    // Drawn at once and kept moving, not first when a node finishes.
    bar.enable_steady_tick(std::time::Duration::from_millis(100));
    bar
}
