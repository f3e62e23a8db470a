//! `kubectl imgdup which NODE`: crictl's chain on one node, hop by hop, read
//! on that node by one agent pod (`agent --chain`), like `crictl-which` there.

use anyhow::{Context, Result, bail};
use imgdup::cluster::calls::Verb;
use imgdup::cluster::fanout_config::AgentOutput;
use imgdup::cluster::pod::AgentMode;
use imgdup::cluster::{preflight, run};
use imgdup::model::chain::Chain;
use imgdup::model::unknown_reason::UnknownReason;
use imgdup::report;
use k8s_openapi::api::core::v1::Node;
use kube::Api;

use crate::cli::{ChainOutput, ConnectArgs, WhichArgs};
use crate::connect;
use crate::exit::Exit;
use crate::session::Session;

pub fn run(args: WhichArgs, conn: &ConnectArgs) -> Result<(String, Exit)> {
    connect::runtime()?.block_on(which(args, conn))
}

async fn which(args: WhichArgs, conn: &ConnectArgs) -> Result<(String, Exit)> {
    let binary = crate::airgap::binary(&args.agent)?;
    let session = Session::open(conn).await?;
    let Session { client, calls, .. } = &session;
    session
        .check_access(preflight::which_needs(&session.namespace), binary.as_ref())
        .await?;
    let nodes: Api<Node> = Api::all(client.clone());
    let node = match calls.run(Verb::Get, None, |_| nodes.get(&args.node)).await {
        Ok(node) => node,
        Err(e) if e.code() == Some(404) => {
            bail!(
                "node {:?} not found (kubectl get nodes lists them)",
                args.node
            )
        }
        Err(e) => return Err(e).context("cannot get the node"),
    };
    if let Some(reason) = crate::airgap::skip_reason(binary.as_ref(), &node) {
        bail!("node {} cannot be scanned: {reason}", args.node);
    }
    let cfg = session.fanout_config(&args.agent, 1, AgentMode::Which);
    session.check_admission(&cfg.pod(&args.node)).await?;
    let parse = |_: &str, output: AgentOutput| {
        output.and_then(|text| {
            serde_json::from_str::<Chain>(&text)
                .map_err(|e| UnknownReason::NotAChain(e.to_string()))
        })
    };
    let agents = run::run_agents(
        client.clone(),
        vec![args.node.clone()],
        &cfg,
        calls.clone(),
        parse,
        |_| {},
    );
    let mut results = match connect::unless_stopped(agents, client, &cfg, calls, || {}).await {
        Ok(results) => results,
        Err(stop) => return Ok((String::new(), stop)),
    };
    let chain = match results.pop() {
        Some(Ok(chain)) => chain,
        Some(Err(reason)) => {
            eprintln!("kubectl-imgdup: node {}: unknown: {reason}", args.node);
            return Ok((String::new(), Exit::Unknown));
        }
        None => bail!("no result for node {}", args.node),
    };
    let text = match args.output {
        ChainOutput::Text => report::chain_text(&chain),
        ChainOutput::Json => report::to_json(&chain)?,
        ChainOutput::Yaml => report::to_yaml(&chain)?,
    };
    let exit = if chain.first_error().is_some() || chain.hops.is_empty() {
        Exit::Error
    } else {
        Exit::Ok
    };
    Ok((text, exit))
}
