//! `kubectl imgdup cleanup`: deletes every agent pod this tool ever left —
//! after a SIGKILL, a lost laptop, `--keep-pods` — found by its label.

use std::fmt::Write as _;

use anyhow::{Context, Result};
use imgdup::cluster::calls::Verb;
use imgdup::cluster::pod::{MANAGED_BY, MANAGED_BY_LABEL};
use imgdup::cluster::preflight;
use imgdup::report::sanitize;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::{DeleteParams, ListParams};

use crate::cli::{CleanupArgs, ConnectArgs};
use crate::connect;
use crate::exit::Exit;
use crate::session::Session;

pub fn run(args: CleanupArgs, conn: &ConnectArgs) -> Result<(String, Exit)> {
    connect::runtime()?.block_on(cleanup(args, conn))
}

async fn cleanup(args: CleanupArgs, conn: &ConnectArgs) -> Result<(String, Exit)> {
    let session = Session::open(conn).await?;
    let Session {
        client,
        namespace,
        calls,
    } = &session;
    // Every namespace unless -n names one: leftovers are wherever a run put them.
    let scoped = conn.namespace.is_some();
    let needs = preflight::cleanup_needs()
        .into_iter()
        .map(|mut need| {
            if scoped {
                need.namespace = Some(namespace.clone());
            }
            need
        })
        .collect();
    session.check_access(needs, None).await?;
    let api: Api<Pod> = if scoped {
        Api::namespaced(client.clone(), namespace)
    } else {
        Api::all(client.clone())
    };
    let ours = ListParams::default().labels(&format!("{MANAGED_BY_LABEL}={MANAGED_BY}"));
    let found = calls
        .run(Verb::List, None, |_| api.list(&ours))
        .await
        .context("cannot list agent pods")?
        .items;
    let mut out = String::new();
    let mut failed = 0;
    let now = DeleteParams::default().grace_period(0);
    for pod in &found {
        let (Some(ns), Some(name)) = (&pod.metadata.namespace, &pod.metadata.name) else {
            continue;
        };
        let shown = format!("pod/{} in {}", sanitize(name), sanitize(ns));
        if args.dry_run {
            let _ = writeln!(out, "{shown} would be deleted");
            continue;
        }
        let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
        match calls
            .run(Verb::Delete, None, |_| pods.delete(name, &now))
            .await
        {
            Ok(_) => {
                let _ = writeln!(out, "{shown} deleted");
            }
            Err(e) if e.code() == Some(404) => {
                let _ = writeln!(out, "{shown} already gone");
            }
            Err(e) => {
                failed += 1;
                eprintln!("kubectl-imgdup: cannot delete {shown}: {e}");
            }
        }
    }
    if found.is_empty() {
        let scope = if scoped {
            format!("namespace {namespace}")
        } else {
            "any namespace".to_string()
        };
        let _ = writeln!(out, "no agent pods in {scope}");
    }
    Ok((out, if failed > 0 { Exit::Error } else { Exit::Ok }))
}
