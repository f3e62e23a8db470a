//! `kubectl imgdup [NODE...]`: the cluster scan, through one agent pod per node.

use std::io::IsTerminal;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use imgdup::fanout::cluster_report::ClusterReport;
use imgdup::fanout::pod::AgentPod;
use imgdup::fanout::{preflight, run};
use imgdup::node_report::NodeReport;
use imgdup::report;
use imgdup::verdict::Verdict;
use indicatif::{ProgressBar, ProgressStyle};
use k8s_openapi::api::core::v1::Node;
use kube::api::ListParams;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Api, Client, Config};

use crate::cli::{ClusterArgs, Output};
use crate::exit::Exit;

pub fn run(args: ClusterArgs) -> Result<(String, Exit)> {
    if args.dry_run {
        return dry_run(&args);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(scan_cluster(args))
}

/// The pods a run would create, for review; nothing is contacted.
fn dry_run(args: &ClusterArgs) -> Result<(String, Exit)> {
    if args.nodes.is_empty() {
        bail!("--dry-run needs the NODE names: it does not contact the cluster to list them");
    }
    let namespace = args.namespace.clone().unwrap_or_else(|| "default".into());
    let mut out = String::new();
    for node in &args.nodes {
        let pod = AgentPod {
            node: node.clone(),
            namespace: namespace.clone(),
            image: args.image.clone(),
            run_id: "dry-run".into(),
            timeout: args.timeout,
        }
        .build();
        let doc = serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": pod.metadata, "spec": pod.spec});
        out.push_str(&match args.output {
            Output::Json => report::to_json(&doc)?,
            _ => format!("---\n{}", report::to_yaml(&doc)?),
        });
    }
    Ok((out, Exit::Ok))
}

async fn client(args: &ClusterArgs) -> Result<(Client, String)> {
    let options = KubeConfigOptions {
        context: args.context.clone(),
        ..Default::default()
    };
    let config = match &args.kubeconfig {
        Some(path) => {
            let file = Kubeconfig::read_from(path)
                .with_context(|| format!("cannot read kubeconfig {}", path.display()))?;
            Config::from_custom_kubeconfig(file, &options).await
        }
        None => Config::from_kubeconfig(&options).await,
    }
    .context("cannot load a kubeconfig (pass --kubeconfig or set KUBECONFIG)")?;
    let namespace = args
        .namespace
        .clone()
        .unwrap_or_else(|| config.default_namespace.clone());
    Ok((Client::try_from(config)?, namespace))
}

async fn scan_cluster(args: ClusterArgs) -> Result<(String, Exit)> {
    let (client, namespace) = client(&args).await?;
    let counters = Arc::new(run::Counters::default());
    let preflight_calls = preflight::check_access(&client, &namespace).await? + 1;
    preflight::check_pod_security(&client, &namespace).await?;

    let nodes_api: Api<Node> = Api::all(client.clone());
    counters.note_list();
    let mut listed = nodes_api
        .list(&ListParams {
            label_selector: args.selector.clone(),
            ..Default::default()
        })
        .await
        .context("cannot list nodes")?
        .items;
    if !args.nodes.is_empty() {
        listed.retain(|n| {
            n.metadata
                .name
                .as_ref()
                .is_some_and(|name| args.nodes.contains(name))
        });
        for wanted in &args.nodes {
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
        match run::skip_reason(node) {
            Some(reason) => reports.push(NodeReport::unknown(name, reason)),
            None => targets.push(name),
        }
    }
    let workloads = run::findings_by_node(
        &run::list_all_pods(&client, &counters)
            .await
            .context("cannot list pods")?,
    );

    let cfg = run::FanoutConfig {
        namespace: namespace.clone(),
        image: args.image.clone(),
        run_id: run_id(),
        concurrency: args.concurrency,
        timeout: args.timeout,
        pending_timeout: args.pending_timeout,
        keep_pods: args.keep_pods,
    };
    let progress = progress_bar(targets.len());
    let done = |r: &NodeReport| {
        progress.inc(1);
        if r.verdict == Verdict::Unknown {
            progress.set_message(format!("{} unknown", r.node));
        }
    };
    let pods_api = Api::namespaced(client.clone(), &namespace);
    let scanned = tokio::select! {
        scanned = run::fan_out(client.clone(), targets, &cfg, counters.clone(), done) => scanned,
        _ = tokio::signal::ctrl_c() => {
            progress.abandon_with_message("interrupted: deleting agent pods");
            run::sweep(&pods_api, &cfg.run_id, &counters).await;
            return Ok((String::new(), Exit::Interrupted));
        }
    };
    progress.finish_and_clear();
    reports.extend(scanned);
    for report in &mut reports {
        if let Some(found) = workloads.get(&report.node) {
            report.pods = found.clone();
        }
    }
    let cluster = ClusterReport::new(
        cfg.run_id.clone(),
        reports,
        counters.snapshot(preflight_calls),
    );
    let text = match args.output {
        Output::Table => report::cluster_text(&cluster, false),
        Output::Wide => report::cluster_text(&cluster, true),
        Output::Json => report::to_json(&cluster)?,
        Output::Yaml => report::to_yaml(&cluster)?,
    };
    let exit = if args.fail_on_duplicates && cluster.any(Verdict::Duplicate) {
        Exit::Duplicates
    } else if cluster.any(Verdict::Unknown) {
        Exit::Unknown
    } else {
        Exit::Ok
    };
    Ok((text, exit))
}

/// A short id for this run's pod labels: time and pid, no randomness needed.
fn run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{:x}{:x}",
        (nanos / 1_000_000) % 0xffff_ffff,
        std::process::id()
    )
}

/// Nodes done out of total on stderr, only when stderr is a terminal.
fn progress_bar(total: usize) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total as u64);
    if let Ok(style) = ProgressStyle::with_template("{spinner} {pos}/{len} nodes {wide_msg}") {
        bar.set_style(style);
    }
    bar
}
