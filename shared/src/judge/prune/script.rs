//! The dry-run plan: the exact commands that free the reclaimable bytes, one
//! per store copy, printed for an operator to read or run (`--dry-run`).

use serde::Serialize;

use super::report::{SkipReason, Skipped};
use crate::host::defaults as d;
use crate::model::bytes::human_bytes;
use crate::model::chain::API_VERSION;
use crate::model::node_report::NodeReport;
use crate::model::store::{Store, StoreRuntime};

/// One line of the plan: a command to run, or a note that explains the next
/// commands (printed as `# …`, so pasting the plan never runs it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "type", content = "text")]
pub enum Step {
    Command(String),
    Note(String),
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrunePlan {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub node: String,
    pub reclaimable_bytes: u64,
    pub steps: Vec<Step>,
}

/// Builds the plan from a node report; a copy in `skipped` (the guards'
/// answer) becomes a note that says why it stays.
pub fn plan(report: &NodeReport, skipped: &[Skipped]) -> PrunePlan {
    let mut steps = Vec::new();
    for store in &report.stores {
        let removals: Vec<(
            &crate::model::image_finding::ImageFinding,
            &crate::model::image_finding::Removal,
        )> = report
            .images
            .iter()
            .flat_map(|f| f.removals.iter().map(move |r| (f, r)))
            .filter(|(_, r)| r.store == store.id)
            .collect();
        if removals.is_empty() {
            continue;
        }
        let bytes: u64 = removals.iter().map(|(_, r)| r.reclaimable_bytes).sum();
        steps.push(Step::Note(format!(
            "{}: remove {} duplicate image(s), {} counted per image",
            store.id,
            removals.len(),
            human_bytes(bytes)
        )));
        if !store.live {
            steps.extend(offline_notes(store));
        }
        for (finding, removal) in removals {
            let skip = skipped
                .iter()
                .find(|s| s.image == finding.id && s.store == removal.store);
            // An offline store's commands are notes already, with how to run them.
            if let Some(skip) = skip.filter(|s| s.reason != SkipReason::OfflineStore) {
                steps.push(Step::Note(format!("skip {}: {}", finding.id, skip.detail)));
                continue;
            }
            let command = command(store, finding, removal);
            steps.push(if store.live {
                Step::Command(command)
            } else {
                Step::Note(format!("  {command}"))
            });
        }
    }
    if steps.is_empty() {
        steps.push(Step::Note(
            "nothing to reclaim: no image is stored twice on this node".into(),
        ));
    }
    PrunePlan {
        api_version: API_VERSION,
        kind: "PrunePlan",
        node: report.node.clone(),
        reclaimable_bytes: report.reclaimable_bytes,
        steps,
    }
}

fn command(
    store: &Store,
    finding: &crate::model::image_finding::ImageFinding,
    removal: &crate::model::image_finding::Removal,
) -> String {
    let endpoint = store
        .endpoint
        .clone()
        .unwrap_or_else(|| match store.runtime {
            StoreRuntime::Dockerd => d::unix_url(d::DOCKER_SOCKET),
            StoreRuntime::Containerd => d::unix_url(d::CONTAINERD_SOCKET),
            StoreRuntime::CriO => d::unix_url(d::CRIO_SOCKET),
        });
    match store.runtime {
        // Removing every tag deletes the image; `rmi <id>` would refuse a multi-tag image.
        StoreRuntime::Dockerd => format!("docker -H {endpoint} rmi {}", removal.refs.join(" ")),
        StoreRuntime::Containerd => {
            // The CRI plugin adds a `sha256:<id>` name next to each tag; all names
            // must go before containerd's GC frees the blobs and snapshots.
            let mut names = removal.refs.clone();
            names.extend(finding.repo_digests.iter().cloned());
            if !names.contains(&finding.id) {
                names.push(finding.id.clone());
            }
            let socket = d::unix_path(&endpoint).unwrap_or(&endpoint).to_string();
            let ns = removal.namespace.as_deref().unwrap_or(d::CRI_NAMESPACE);
            format!(
                "ctr -a {socket} -n {ns} images rm --sync {}",
                names.join(" ")
            )
        }
        StoreRuntime::CriO => format!("crictl -r {endpoint} rmi {}", finding.id),
    }
}

/// What to do when the store's runtime is not running: the commands need it.
fn offline_notes(store: &Store) -> Vec<Step> {
    let start = match store.runtime {
        StoreRuntime::Dockerd => format!(
            "dockerd --data-root {} (or `systemctl start docker`)",
            store.path
        ),
        // Its own socket: the default one may be another, live containerd's.
        StoreRuntime::Containerd => match store.endpoint.as_deref().and_then(d::unix_path) {
            Some(socket) => format!(
                "containerd --root {} --address {socket} (or its service)",
                store.path
            ),
            None => format!("containerd --root {} (or its service)", store.path),
        },
        StoreRuntime::CriO => "crio (or its service)".to_string(),
    };
    // A split containerd root's id names its namespace already.
    let namespace = match (&store.namespace, store.id.contains('#')) {
        (Some(ns), false) => format!(" (namespace {ns})"),
        _ => String::new(),
    };
    vec![Step::Note(format!(
        "{}{namespace} is offline: its runtime is not running, so only it can remove images safely. Start {start}, run the commands below, then stop it again. If nothing on this node needs that runtime any more, removing the whole {} frees {}.",
        store.id,
        store.path,
        human_bytes(store.disk_bytes)
    ))]
}
