//! containerd's own API (containerd-client): version, namespaces, and the
//! plugin roots it reports through introspection.

use std::path::{Path, PathBuf};
use std::time::Duration;

use containerd_client::services::v1::introspection_client::IntrospectionClient;
use containerd_client::services::v1::namespaces_client::NamespacesClient;
use containerd_client::services::v1::version_client::VersionClient;
use containerd_client::services::v1::{ListNamespacesRequest, PluginsRequest};
use tonic::transport::Channel;

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

/// Dials `local` (shown as `shown` in errors) and asks it [`info_on`].
pub async fn info(
    local: &Path,
    shown: &Path,
    timeout: Duration,
) -> Result<ContainerdInfo, RuntimeError> {
    info_on(grpc_channel(local, shown, timeout).await?, shown, timeout).await
}

/// Version, namespaces and plugins, asked at once on one channel: they do
/// not depend on each other. An error names the first failing call in that
/// order, as when they were asked one by one.
pub async fn info_on(
    channel: Channel,
    shown: &Path,
    timeout: Duration,
) -> Result<ContainerdInfo, RuntimeError> {
    let mut versions = VersionClient::new(channel.clone());
    let mut names = NamespacesClient::new(channel.clone());
    let mut introspection = IntrospectionClient::new(channel);
    let version = with_deadline(
        "containerd",
        "Version",
        shown,
        timeout,
        versions.version(()),
    );
    let namespaces = with_deadline(
        "containerd",
        "Namespaces.List",
        shown,
        timeout,
        names.list(ListNamespacesRequest::default()),
    );
    let plugins = with_deadline(
        "containerd",
        "Introspection.Plugins",
        shown,
        timeout,
        introspection.plugins(PluginsRequest::default()),
    );
    // Asked at once; the first error in call order is the one reported.
    let (version, namespaces, plugins) = tokio::join!(version, namespaces, plugins);
    let (version, namespaces, plugins) = (version?, namespaces?, plugins?);
    let version = version.into_inner();
    let namespaces = namespaces
        .into_inner()
        .namespaces
        .into_iter()
        .map(|n| n.name)
        .collect();
    let plugins = plugins.into_inner().plugins;

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
