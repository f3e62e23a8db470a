//! Several clusters in one run: `--context a,b` or `--all-contexts`. The
//! contexts run concurrently (a few at a time), each with its own client
//! and run; the output is grouped by context, a context that fails is
//! reported with its reason without stopping the others, and the exit code
//! is the worst of them all.

use std::fmt::Write as _;
use std::future::Future;

use anyhow::{Context as _, Result, bail};
use clap::Args;
use futures::StreamExt;
use imgdup::model::context_report::{ContextEntry, MultiContextReport};
use imgdup::report::{self, sanitize};
use kube::config::Kubeconfig;

use crate::cli::{ClusterArgs, ConnectArgs, Output};
use crate::cluster;
use crate::connect;
use crate::exit::Exit;

/// Contexts scanned at a time: each has its own fan-out of `--concurrency`
/// pods, so this bounds the load on this machine, not on any cluster.
const AT_A_TIME: usize = 4;

#[derive(Debug, Clone, Default, Args)]
pub struct ContextsArgs {
    /// Every context of the kubeconfig, concurrently; output grouped by context
    #[arg(long)]
    pub all_contexts: bool,
}

/// The contexts to run in when there are several (`--context a,b`,
/// `--all-contexts`); `None` is the single context of kubectl's rules.
pub fn selected(conn: &ConnectArgs, args: &ContextsArgs) -> Result<Option<Vec<String>>> {
    let given = conn.context.as_deref();
    if args.all_contexts {
        if given.is_some() {
            bail!("--all-contexts and --context exclude each other: pass one of them");
        }
        return all(conn).map(Some);
    }
    let Some(list) = given.filter(|c| c.contains(',')) else {
        return Ok(None);
    };
    let mut names: Vec<String> = Vec::new();
    for name in list.split(',').map(str::trim) {
        if name.is_empty() {
            bail!("--context {list:?}: an empty context name (write --context a,b)");
        }
        if !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
    }
    Ok(Some(names))
}

/// Refuses several contexts for a command that acts on one cluster
/// (`which`, `cleanup`, `prune`): kube would otherwise report a context
/// literally named "a,b" as missing.
pub fn single(conn: &ConnectArgs, all_contexts: bool, command: &str) -> Result<()> {
    if all_contexts {
        bail!(
            "--all-contexts is for the scan and top; {command} acts on one cluster: pass --context NAME (kubectl config get-contexts)"
        );
    }
    if let Some(list) = conn.context.as_deref().filter(|c| c.contains(',')) {
        bail!(
            "--context {list:?} names several contexts; {command} acts on one cluster: run it once per context (--context NAME)"
        );
    }
    Ok(())
}

/// Every context of the kubeconfig, as kubectl reads it (`--kubeconfig`,
/// else every file of `KUBECONFIG`, else `~/.kube/config`).
fn all(conn: &ConnectArgs) -> Result<Vec<String>> {
    let config = match &conn.kubeconfig {
        Some(path) => Kubeconfig::read_from(path),
        None => Kubeconfig::read(),
    }
    .map_err(|e| anyhow::anyhow!("{e}"))
    .context("--all-contexts: cannot read the kubeconfig (pass --kubeconfig or set KUBECONFIG)")?;
    let names: Vec<String> = config.contexts.into_iter().map(|c| c.name).collect();
    if names.is_empty() {
        bail!("--all-contexts: the kubeconfig has no contexts (kubectl config get-contexts)");
    }
    Ok(names)
}

/// One context's outcome: a report, or why there is none.
pub struct Outcome<T> {
    pub context: String,
    pub exit: Exit,
    pub report: Option<T>,
    pub error: Option<String>,
}

/// Runs `run` in each context, [`AT_A_TIME`] at once; outcomes keep the
/// order the contexts were named in.
pub async fn run_each<T, F, Fut>(
    names: Vec<String>,
    conn: &ConnectArgs,
    run: F,
    exit_of: impl Fn(&T) -> Exit,
) -> Vec<Outcome<T>>
where
    F: Fn(ConnectArgs) -> Fut,
    Fut: Future<Output = Result<Result<T, Exit>>>,
{
    let runs = names.into_iter().map(|name| {
        let mut one = conn.clone();
        one.context = Some(name.clone());
        let work = run(one.clone());
        // A failed context is named as a single-context run names it:
        // server, context, cause and fix.
        async move { (name, work.await.map_err(|e| connect::report(&e, &one))) }
    });
    futures::stream::iter(runs)
        .buffered(AT_A_TIME)
        .map(|(context, result)| match result {
            Ok(Ok(report)) => Outcome {
                context,
                exit: exit_of(&report),
                report: Some(report),
                error: None,
            },
            Ok(Err(stop)) => Outcome {
                context,
                exit: stop,
                report: None,
                error: Some("stopped by a signal; its pods were deleted".into()),
            },
            Err(e) => Outcome {
                context,
                exit: Exit::Error,
                report: None,
                error: Some(e),
            },
        })
        .collect()
        .await
}

pub fn worst<T>(outcomes: &[Outcome<T>]) -> Exit {
    outcomes.iter().fold(Exit::Ok, |w, o| w.worst(o.exit))
}

/// The JSON/YAML document of the run.
pub fn document<T>(outcomes: &[Outcome<T>]) -> MultiContextReport<&T> {
    let entries = outcomes
        .iter()
        .map(|o| ContextEntry {
            context: o.context.clone(),
            exit_code: o.exit as u8,
            error: o.error.clone(),
            report: o.report.as_ref(),
        })
        .collect();
    MultiContextReport::new(worst(outcomes) as u8, entries)
}

/// Each context under its own heading; a failed one shows its reason.
pub fn grouped_text<T>(outcomes: &[Outcome<T>], text: impl Fn(&T) -> String) -> String {
    let mut out = String::new();
    for (i, o) in outcomes.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "==> context {} <==", sanitize(&o.context));
        match (&o.report, &o.error) {
            (Some(report), _) => out.push_str(&text(report)),
            (None, error) => {
                let _ = writeln!(
                    out,
                    "error: {}",
                    sanitize(error.as_deref().unwrap_or("no report"))
                );
            }
        }
    }
    out
}

/// Failed contexts also go to stderr, where a single context's error goes.
pub fn warn_failures<T>(outcomes: &[Outcome<T>]) {
    for o in outcomes {
        if let Some(error) = &o.error {
            eprintln!("kubectl-imgdup: context {}: {error}", sanitize(&o.context));
        }
    }
}

/// The scan over several contexts.
pub async fn scan(
    names: Vec<String>,
    args: &ClusterArgs,
    conn: &ConnectArgs,
) -> Result<(String, Exit)> {
    let outcomes = run_each(
        names,
        conn,
        |one| async move { cluster::collect(args, &one).await },
        |c| cluster::exit_of(c, args),
    )
    .await;
    warn_failures(&outcomes);
    let text = match args.output {
        Output::Table => grouped_text(&outcomes, |c| report::cluster_text(c, false)),
        Output::Wide => grouped_text(&outcomes, |c| report::cluster_text(c, true)),
        Output::Json => report::to_json(&document(&outcomes))?,
        Output::Yaml => report::to_yaml(&document(&outcomes))?,
    };
    Ok((text, worst(&outcomes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(context: Option<&str>) -> ConnectArgs {
        ConnectArgs {
            context: context.map(str::to_string),
            kubeconfig: None,
            namespace: None,
            verbose: None,
            connect_timeout: std::time::Duration::from_secs(30),
        }
    }

    #[test]
    fn a_comma_makes_several_contexts_and_one_name_stays_the_single_path() {
        let none = ContextsArgs::default();
        assert_eq!(selected(&conn(Some("prod")), &none).unwrap(), None);
        assert_eq!(selected(&conn(None), &none).unwrap(), None);
        assert_eq!(
            selected(&conn(Some("a, b,a")), &none).unwrap(),
            Some(vec!["a".to_string(), "b".to_string()])
        );
        let err = selected(&conn(Some("a,,b")), &none).unwrap_err();
        assert!(err.to_string().contains("empty context name"), "{err}");
        let all = ContextsArgs { all_contexts: true };
        let err = selected(&conn(Some("a")), &all).unwrap_err();
        assert!(err.to_string().contains("exclude each other"), "{err}");
    }

    #[test]
    fn the_worst_exit_puts_a_failed_context_above_findings_and_signals_above_all() {
        let worst = |exits: &[Exit]| exits.iter().fold(Exit::Ok, |w, e| w.worst(*e));
        assert_eq!(worst(&[Exit::Ok, Exit::Duplicates]), Exit::Duplicates);
        assert_eq!(worst(&[Exit::Unknown, Exit::Duplicates]), Exit::Unknown);
        assert_eq!(worst(&[Exit::Unknown, Exit::Error, Exit::Ok]), Exit::Error);
        assert_eq!(worst(&[Exit::Error, Exit::Interrupted]), Exit::Interrupted);
        assert_eq!(
            worst(&[Exit::Interrupted, Exit::Terminated]),
            Exit::Interrupted
        );
    }
}
