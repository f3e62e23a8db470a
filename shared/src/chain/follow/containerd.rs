//! A containerd hop: version, root and namespace, and the store they name.

use std::path::Path;

use super::store;
use crate::chain::k3s::K3sView;
use crate::chain::setting::{flag_or, pick, read_config};
use crate::host::daemon_config::ContainerdToml;
use crate::host::defaults as d;
use crate::host::process::Process;
use crate::host::view::HostView;
use crate::model::chain::{Hop, HopKind, StoreRef};
use crate::model::evidence::{Evidence, Source, Sourced, confidence_of};
use crate::runtime::containerd::{self, ContainerdInfo};
use crate::runtime::{Connections, RuntimeError};

/// What the containerd at `socket` says about itself; `None` offline. Kept
/// apart from [`describe_containerd`] so the calls can go out while another
/// hop is still answering.
pub(super) async fn ask_containerd(
    node: &HostView,
    conns: &Connections,
    socket: &Path,
) -> Option<Result<ContainerdInfo, RuntimeError>> {
    if node.offline {
        return None;
    }
    Some(match conns.grpc(&node.host, socket, node.timeout).await {
        Ok(channel) => containerd::info_on(channel, socket, node.timeout).await,
        Err(e) => Err(e),
    })
}

/// What is known of a containerd before its hop is filled: its socket, the
/// process listening there, the namespace its client uses (and why), and
/// the `api` answer (see [`ask_containerd`]).
pub(super) struct SeenContainerd<'a> {
    pub(super) socket: &'a Path,
    pub(super) process: Option<&'a Process>,
    pub(super) namespace: Sourced<String>,
    pub(super) api: Option<Result<ContainerdInfo, RuntimeError>>,
}

/// Fills a containerd hop (version, root, namespace) from its process,
/// config and API answer, and returns its store.
pub(super) fn describe_containerd(
    node: &HostView,
    hop: &mut Hop,
    seen: SeenContainerd<'_>,
    warnings: &mut Vec<String>,
) -> Option<StoreRef> {
    let SeenContainerd {
        socket,
        process,
        namespace,
        api,
    } = seen;
    let cmd = process.map(|p| &p.cmdline);
    let config_path = flag_or(cmd, &["-c", "--config"], d::CONTAINERD_CONFIG);
    let toml = read_config(node, &config_path.value, ContainerdToml::parse, warnings);
    let api = record_api(hop, api);
    let root = match api.as_ref().and_then(|i| i.root.clone()) {
        Some(r) => Sourced::new(
            r.display().to_string(),
            Source::Api,
            "containerd introspection: content plugin root",
        ),
        None => pick(
            cmd,
            &["--root"],
            toml.as_ref().and_then(|t| t.root.as_deref()),
            &config_path.value,
            "root",
            &default_root(node, socket),
        ),
    };
    hop.root = Some(root.value.clone());
    hop.prove(
        root.source,
        format!("root {} ({})", root.value, root.detail),
    );
    let ns_evidence = namespace_evidence(&namespace, api.as_ref(), socket, warnings);
    hop.namespace = Some(namespace.value.clone());
    hop.evidence.push(ns_evidence.clone());
    hop.confidence = confidence_of(&hop.evidence);
    let evidence = vec![root.evidence(), ns_evidence];
    Some(store(
        node,
        &root.value,
        HopKind::Containerd,
        Some(namespace.value),
        Some("overlayfs".into()),
        evidence,
    ))
}

/// Writes containerd's `Version` answer into the hop, or its error; the
/// answer is kept for the root and namespaces it names.
fn record_api(
    hop: &mut Hop,
    api: Option<Result<ContainerdInfo, RuntimeError>>,
) -> Option<ContainerdInfo> {
    match api? {
        Ok(i) => {
            hop.prove(
                Source::Api,
                format!(
                    "containerd Version {} ({}); namespaces [{}]",
                    i.version,
                    i.revision,
                    i.namespaces.join(", ")
                ),
            );
            hop.version = Some(i.version.clone());
            hop.api_version
                .get_or_insert_with(|| "containerd.services.v1".into());
            Some(i)
        }
        Err(e) => {
            hop.fail(e);
            None
        }
    }
}

/// The namespace as proven by the API when containerd has it; a namespace
/// it lacks keeps its own evidence and earns a warning, as it may simply
/// not have been created yet.
fn namespace_evidence(
    namespace: &Sourced<String>,
    api: Option<&ContainerdInfo>,
    socket: &Path,
    warnings: &mut Vec<String>,
) -> Evidence {
    let Some(i) = api else {
        return namespace.evidence();
    };
    if i.namespaces.contains(&namespace.value) {
        Evidence::new(
            Source::Api,
            format!(
                "namespace {} exists in this containerd ({})",
                namespace.value, namespace.detail
            ),
        )
    } else {
        warnings.push(format!(
            "containerd at {} has no namespace {} yet (it has [{}])",
            socket.display(),
            namespace.value,
            i.namespaces.join(", ")
        ));
        namespace.evidence()
    }
}

/// The root a containerd serving `socket` has by default: k3s's, rke2's,
/// microk8s's and Docker's managed containerd each keep their own.
fn default_root(node: &HostView, socket: &Path) -> String {
    let socket = node.canonical(socket);
    let is = |known: &str| socket == node.canonical(known);
    if is(d::K3S_CONTAINERD_SOCKET) {
        let k3s = node.procs.named("k3s").next();
        let data_dir =
            if k3s.is_none() && !node.exists(d::K3S_DATA_DIR) && node.exists(d::RKE2_DATA_DIR) {
                d::RKE2_DATA_DIR.to_string()
            } else {
                K3sView::of(node, k3s, &mut Vec::new()).data_dir.value
            };
        d::agent_containerd_root(&data_dir)
    } else if is(d::DOCKER_MANAGED_CONTAINERD_SOCKET) {
        d::DOCKER_MANAGED_CONTAINERD_ROOT.to_string()
    } else if is(d::MICROK8S_CONTAINERD_SOCKET) {
        d::MICROK8S_CONTAINERD_ROOT.to_string()
    } else {
        d::CONTAINERD_ROOT.to_string()
    }
}
