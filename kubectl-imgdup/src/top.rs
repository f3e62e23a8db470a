//! `kubectl imgdup top`: the fleet view. Each node's report comes from its
//! `imgdup-serve` pod when the DaemonSet runs there (read through the API
//! server's pod proxy: no pod is created), else from the scan's own fan-out,
//! one agent pod per node; then they are folded into one `TopReport`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use futures::StreamExt;
use imgdup::cluster::calls::Calls;
use imgdup::cluster::pod::AgentMode;
use imgdup::cluster::preflight::{self, Need};
use imgdup::cluster::serve_proxy;
use imgdup::model::cluster_report::ClusterReport;
use imgdup::model::image_finding::Verdict;
use imgdup::model::top_report::{SortBy, Source, Sourced, TopReport};
use imgdup::report;

use crate::cli::{AgentArgs, ConnectArgs};
use crate::contexts::{self, ContextsArgs};
use crate::exit::Exit;
use crate::session::Session;
use crate::{airgap, cluster, connect};

/// `kubectl imgdup top [NODE...]`.
#[derive(Debug, Args)]
pub struct TopArgs {
    /// Nodes to include [default: all, or those matching -l]
    #[arg(value_name = "NODE")]
    pub nodes: Vec<String>,
    /// Only nodes matching this label selector
    #[arg(short = 'l', long = "selector", value_name = "SELECTOR")]
    pub selector: Option<String>,
    /// Order of the image rows (numbers: biggest first)
    #[arg(long, value_enum, default_value_t = TopSort::Reclaimable)]
    pub sort_by: TopSort,
    /// Output format (json and csv carry raw bytes)
    #[arg(short = 'o', long, value_enum, default_value_t = TopOutput::Table)]
    pub output: TopOutput,
    #[command(flatten)]
    pub agent: AgentArgs,
    /// Agent pods at a time (nodes without a ready imgdup-serve pod)
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub concurrency: usize,
    #[command(flatten)]
    pub contexts: ContextsArgs,
    /// Render a saved ClusterReport or TopReport (JSON) instead of asking a cluster
    #[arg(long, value_name = "FILE", hide = true)]
    pub from_report: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TopSort {
    Reclaimable,
    Copies,
    Nodes,
    Name,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TopOutput {
    Table,
    Wide,
    Json,
    Csv,
}

impl From<TopSort> for SortBy {
    fn from(s: TopSort) -> Self {
        match s {
            TopSort::Reclaimable => SortBy::Reclaimable,
            TopSort::Copies => SortBy::Copies,
            TopSort::Nodes => SortBy::Nodes,
            TopSort::Name => SortBy::Name,
        }
    }
}

pub fn run(args: TopArgs, conn: &ConnectArgs) -> Result<(String, Exit)> {
    if let Some(path) = &args.from_report {
        let top = saved(path, args.sort_by.into())?;
        return Ok((render(&top, args.output)?, exit_of(&top)));
    }
    let rt = connect::runtime()?;
    if let Some(names) = contexts::selected(conn, &args.contexts)? {
        return rt.block_on(several(names, &args, conn));
    }
    match rt.block_on(collect(&args, conn))? {
        Ok(top) => Ok((render(&top, args.output)?, exit_of(&top))),
        Err(stop) => Ok((String::new(), stop)),
    }
}

fn render(top: &TopReport, output: TopOutput) -> Result<String> {
    Ok(match output {
        TopOutput::Table => report::top_text(top, false),
        TopOutput::Wide => report::top_text(top, true),
        TopOutput::Json => report::to_json(top)?,
        TopOutput::Csv => report::top_csv([("", top)], false)?,
    })
}

fn exit_of(top: &TopReport) -> Exit {
    if top.any(Verdict::Unknown) {
        Exit::Unknown
    } else {
        Exit::Ok
    }
}

/// One context: serve pods where ready, agent pods for the rest.
/// `Ok(Err(exit))` is a run stopped by a signal, its pods deleted.
async fn collect(args: &TopArgs, conn: &ConnectArgs) -> Result<Result<TopReport, Exit>> {
    let binary = airgap::binary(&args.agent)?;
    let session = Session::open(conn).await?;
    let Session {
        client,
        namespace,
        calls,
    } = &session;
    let (unknown, targets) = cluster::select_nodes(
        client,
        calls,
        &args.nodes,
        args.selector.as_deref(),
        binary.as_ref(),
    )
    .await?;
    let mut nodes: Vec<Sourced> = unknown
        .into_iter()
        .map(|report| Sourced {
            report,
            source: Source::None,
            detail: None,
        })
        .collect();
    let (served, mut rest) = from_daemonset(client, namespace, targets, calls).await;
    nodes.extend(served);

    let cfg = session.fanout_config(&args.agent, args.concurrency, AgentMode::Scan);
    if let Some(first) = rest.keys().next() {
        session
            .check_access(fanout_needs(namespace), binary.as_ref())
            .await?;
        session.check_admission(&cfg.pod(first)).await?;
        let names = rest.keys().cloned().collect();
        let scanned = match cluster::scan_nodes(client, names, &cfg, calls).await {
            Ok(scanned) => scanned,
            Err(stop) => return Ok(Err(stop)),
        };
        nodes.extend(scanned.into_iter().map(|report| Sourced {
            detail: rest.remove(&report.node).flatten(),
            source: Source::AgentPod,
            report,
        }));
    }
    let top = TopReport::new(
        cfg.run_id.clone(),
        nodes,
        calls.snapshot(),
        args.sort_by.into(),
    );
    if conn.verbose.unwrap_or(0) > 0 {
        eprint!(
            "{}",
            report::api_calls_text(&top.api_calls, &calls.per_node())
        );
    }
    Ok(Ok(top))
}

/// The scan's permissions, less the cluster-wide pod list: `top` shows no
/// workload findings, so it does not ask who runs DooD pods.
fn fanout_needs(namespace: &str) -> Vec<Need> {
    preflight::needs(namespace)
        .into_iter()
        .filter(|n| !(n.resource == "pods" && n.subresource.is_none() && n.namespace.is_none()))
        .collect()
}

/// The reports the serve pods give, and the nodes left for agent pods with
/// why (none when no DaemonSet is installed at all).
async fn from_daemonset(
    client: &kube::Client,
    namespace: &str,
    targets: Vec<String>,
    calls: &Calls,
) -> (Vec<Sourced>, BTreeMap<String, Option<String>>) {
    let pods = match serve_proxy::ready_pods(client, namespace, calls).await {
        Ok(pods) => pods,
        Err(e) => {
            let why = format!("serve pods not listed in namespace {namespace}: {e}");
            return (
                Vec::new(),
                targets
                    .into_iter()
                    .map(|t| (t, Some(why.clone())))
                    .collect(),
            );
        }
    };
    if pods.is_empty() {
        return (Vec::new(), targets.into_iter().map(|t| (t, None)).collect());
    }
    let reads = targets.into_iter().map(|node| {
        let pod = pods.get(&node).cloned();
        async move {
            let Some(pod) = pod else {
                let why = "no Running and Ready imgdup-serve pod on this node";
                return (node, Err(why.to_string()));
            };
            match serve_proxy::read_report(client, namespace, &pod, &node, calls).await {
                Ok(report) => (node, Ok((pod, report))),
                Err(e) => (
                    node,
                    Err(format!("pod {pod}: {}", imgdup::model::causes::joined(&e))),
                ),
            }
        }
    });
    let mut served = Vec::new();
    let mut rest = BTreeMap::new();
    let mut results = futures::stream::iter(reads).buffer_unordered(10);
    while let Some((node, result)) = results.next().await {
        match result {
            Ok((pod, report)) => served.push(Sourced {
                report,
                source: Source::Daemonset,
                detail: Some(format!("pod {namespace}/{pod}")),
            }),
            Err(why) => {
                rest.insert(node, Some(why));
            }
        }
    }
    (served, rest)
}

/// A saved scan (`kubectl imgdup -o json`) or `top -o json`, rendered again.
fn saved(path: &Path, sort: SortBy) -> Result<TopReport> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("--from-report {}: cannot read it", path.display()))?;
    let doc: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("--from-report {}: not JSON", path.display()))?;
    let bad = |e: serde_json::Error| anyhow::anyhow!("--from-report {}: {e}", path.display());
    match doc["kind"].as_str() {
        Some("ClusterReport") => {
            let cluster: ClusterReport = serde_json::from_value(doc).map_err(bad)?;
            let nodes = cluster
                .nodes
                .into_iter()
                .map(|report| Sourced {
                    report,
                    source: Source::AgentPod,
                    detail: None,
                })
                .collect();
            Ok(TopReport::new(
                cluster.run_id,
                nodes,
                cluster.api_calls,
                sort,
            ))
        }
        Some("TopReport") => {
            let mut top: TopReport = serde_json::from_value(doc).map_err(bad)?;
            top.sort(sort);
            Ok(top)
        }
        other => bail!(
            "--from-report {}: kind {other:?}; expected a ClusterReport or a TopReport (-o json)",
            path.display()
        ),
    }
}

/// `top` over several contexts.
async fn several(names: Vec<String>, args: &TopArgs, conn: &ConnectArgs) -> Result<(String, Exit)> {
    let outcomes = contexts::run_each(
        names,
        conn,
        |one| async move { collect(args, &one).await },
        exit_of,
    )
    .await;
    contexts::warn_failures(&outcomes);
    let text = match args.output {
        TopOutput::Table => contexts::grouped_text(&outcomes, |t| report::top_text(t, false)),
        TopOutput::Wide => contexts::grouped_text(&outcomes, |t| report::top_text(t, true)),
        TopOutput::Json => report::to_json(&contexts::document(&outcomes))?,
        TopOutput::Csv => report::top_csv(
            outcomes
                .iter()
                .filter_map(|o| Some((o.context.as_str(), o.report.as_ref()?))),
            true,
        )?,
    };
    Ok((text, contexts::worst(&outcomes)))
}
