//! Which CRI endpoint the kubelet uses: its store is the one pods run from,
//! so it is the `active` store even when crictl is pointed elsewhere.
//!
//! - A `kubelet` process: `--container-runtime-endpoint`, else
//!   `containerRuntimeEndpoint` in its `--config` file, else the
//!   KubeletConfiguration default `unix:///run/containerd/containerd.sock`.
//! - k3s/rke2 (the kubelet runs inside k3s): `--container-runtime-endpoint`,
//!   else `--docker` → its cri-dockerd socket, else its own containerd.

use serde::Deserialize;

use crate::chain::k3s::K3sView;
use crate::host::capped_read::{MAX_CONFIG, read_capped};
use crate::host::defaults as d;
use crate::host::view::HostView;
use crate::model::chain::EndpointRef;
use crate::model::evidence::Source;

/// `KubeletConfiguration` fields we read.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct KubeletConfig {
    container_runtime_endpoint: Option<String>,
}

/// The kubelet's CRI endpoint, if a kubelet (or k3s) runs on the node.
pub fn kubelet_endpoint(node: &HostView, warnings: &mut Vec<String>) -> Option<EndpointRef> {
    if let Some(p) = node.procs.named("kubelet").next() {
        if let Some(url) = p.cmdline.value(&["--container-runtime-endpoint"]) {
            return Some(EndpointRef {
                detail: format!("kubelet (pid {}) --container-runtime-endpoint {url}", p.pid),
                url: Some(url),
                source: Source::ProcessCmdline,
            });
        }
        if let Some(config) = p.cmdline.value(&["--config"]) {
            match read_capped(&node.host.local(&config), MAX_CONFIG) {
                Ok(bytes) => match crate::host::yaml_depth::check(&bytes)
                    .map_err(|e| e.to_string())
                    .and_then(|()| {
                        serde_yaml::from_slice::<KubeletConfig>(&bytes).map_err(|e| e.to_string())
                    }) {
                    Ok(KubeletConfig {
                        container_runtime_endpoint: Some(url),
                    }) => {
                        return Some(EndpointRef {
                            detail: format!("containerRuntimeEndpoint: {url} in {config}"),
                            url: Some(url),
                            source: Source::ConfigFile,
                        });
                    }
                    Ok(_) => {}
                    Err(e) => {
                        warnings.push(format!("kubelet config {config} is not valid YAML: {e}"))
                    }
                },
                Err(e) => warnings.push(format!("cannot read kubelet config {config}: {e}")),
            }
        }
        return Some(EndpointRef {
            url: Some(d::unix_url(d::CONTAINERD_SOCKET)),
            source: Source::Default,
            detail: format!(
                "kubelet (pid {}) sets no endpoint: KubeletConfiguration defaults to {}",
                p.pid,
                d::unix_url(d::CONTAINERD_SOCKET)
            ),
        });
    }
    let k3s = node
        .procs
        .named("k3s")
        .next()
        .or_else(|| node.procs.named("rke2").next())?;
    let view = K3sView::of(node, Some(k3s), warnings);
    let (url, source, detail) = match (&view.runtime_endpoint, view.docker) {
        (Some(ep), false) => (
            ep.value.clone(),
            ep.source,
            format!("the kubelet in k3s uses {}", ep.detail),
        ),
        (_, true) => (
            d::unix_url(d::K3S_CRI_DOCKERD_SOCKET),
            Source::ProcessCmdline,
            format!(
                "k3s (pid {}) runs with --docker: its kubelet uses the embedded cri-dockerd",
                k3s.pid
            ),
        ),
        (None, false) => (
            d::unix_url(d::K3S_CONTAINERD_SOCKET),
            Source::ProcessCmdline,
            format!(
                "k3s (pid {}) runs its embedded containerd for its kubelet",
                k3s.pid
            ),
        ),
    };
    Some(EndpointRef {
        url: Some(url),
        source,
        detail,
    })
}
