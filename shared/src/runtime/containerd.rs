//! containerd's own API (containerd-client): version, namespaces, and the
//! plugin roots it reports through introspection.

use std::path::{Path, PathBuf};
use std::time::Duration;

use containerd_client::services::v1::introspection_client::IntrospectionClient;
use containerd_client::services::v1::namespaces_client::NamespacesClient;
use containerd_client::services::v1::version_client::VersionClient;
use containerd_client::services::v1::{ListNamespacesRequest, PluginsRequest};

use super::{RuntimeError, grpc_channel, with_deadline};

/// What a containerd says about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContainerdInfo {
    pub version: String,
    pub revision: String,
    pub namespaces: Vec<String>,
    /// The daemon root, derived from the content plugin's exported `root`
    /// (`<root>/io.containerd.content.v1.content`).
    pub root: Option<PathBuf>,
    /// The overlayfs snapshotter's exported root, if loaded.
    pub snapshotter_root: Option<PathBuf>,
    /// Whether the CRI plugin loaded (`io.containerd.grpc.v1.cri`).
    pub cri_loaded: bool,
}

pub async fn info(
    local: &Path,
    shown: &Path,
    timeout: Duration,
) -> Result<ContainerdInfo, RuntimeError> {
    let channel = grpc_channel(local, shown, timeout).await?;
    let version = with_deadline(
        "containerd",
        "Version",
        shown,
        timeout,
        VersionClient::new(channel.clone()).version(()),
    )
    .await?
    .into_inner();
    let namespaces = with_deadline(
        "containerd",
        "Namespaces.List",
        shown,
        timeout,
        NamespacesClient::new(channel.clone()).list(ListNamespacesRequest::default()),
    )
    .await?
    .into_inner()
    .namespaces
    .into_iter()
    .map(|n| n.name)
    .collect();
    let plugins = with_deadline(
        "containerd",
        "Introspection.Plugins",
        shown,
        timeout,
        IntrospectionClient::new(channel).plugins(PluginsRequest::default()),
    )
    .await?
    .into_inner()
    .plugins;

    let mut info = ContainerdInfo {
        version: version.version,
        revision: version.revision,
        namespaces,
        ..Default::default()
    };
    for plugin in plugins {
        let loaded = plugin.init_err.is_none();
        let exported_root = plugin.exports.get("root").map(PathBuf::from);
        match (plugin.r#type.as_str(), plugin.id.as_str()) {
            ("io.containerd.content.v1", "content") => {
                info.root = exported_root.and_then(|r| r.parent().map(Path::to_path_buf))
            }
            ("io.containerd.snapshotter.v1", "overlayfs") if loaded => {
                info.snapshotter_root = exported_root
            }
            ("io.containerd.grpc.v1", "cri") => info.cri_loaded = loaded,
            _ => {}
        }
    }
    Ok(info)
}
