//! The Docker Engine API (bollard): data root, storage driver, version.

use std::path::Path;
use std::time::Duration;

use bollard::Docker;

use super::{RuntimeError, probe_socket, with_deadline};

/// What `docker info` / `docker version` tell about where images live.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DockerInfo {
    pub server_version: String,
    pub api_version: String,
    /// `DockerRootDir`: the data root.
    pub root_dir: String,
    /// `Driver`: `overlay2` (graph driver) or `overlayfs` (containerd image store).
    pub driver: String,
    /// `DriverStatus` pairs; `driver-type = io.containerd.snapshotter.v1`
    /// marks Docker 29's containerd image store.
    pub driver_status: Vec<(String, String)>,
}

impl DockerInfo {
    /// True when Docker keeps its images in containerd (namespace `moby`)
    /// rather than in a graph-driver directory under its data root.
    pub fn uses_containerd_image_store(&self) -> bool {
        self.driver_status
            .iter()
            .any(|(k, v)| k == "driver-type" && v.starts_with("io.containerd.snapshotter"))
    }
}

pub async fn info(
    local: &Path,
    shown: &Path,
    timeout: Duration,
) -> Result<DockerInfo, RuntimeError> {
    let docker = connect(local, shown, timeout).await?;
    info_of(&docker, shown, timeout).await
}

/// `GET /info` on a connected client (see [`connect`]).
pub(crate) async fn info_of(
    docker: &Docker,
    shown: &Path,
    timeout: Duration,
) -> Result<DockerInfo, RuntimeError> {
    // Negotiation already asked /version; `info` carries the server version.
    let info = with_deadline("Docker", "GET /info", shown, timeout, docker.info()).await?;
    let api = docker.client_version();
    Ok(DockerInfo {
        server_version: info.server_version.unwrap_or_default(),
        api_version: format!("{}.{}", api.major_version, api.minor_version),
        root_dir: info.docker_root_dir.unwrap_or_default(),
        driver: info.driver.unwrap_or_default(),
        driver_status: info
            .driver_status
            .unwrap_or_default()
            .into_iter()
            .filter_map(|pair| match pair.as_slice() {
                [k, v] => Some((k.clone(), v.clone())),
                _ => None,
            })
            .collect(),
    })
}

/// A client on `local` (shown as `shown` in errors) that has negotiated
/// the API version: dockerd 20.10 speaks API 1.41 and refuses bollard's
/// newer default. Callers still wrap every call in `with_deadline`.
pub(crate) async fn connect(
    local: &Path,
    shown: &Path,
    timeout: Duration,
) -> Result<Docker, RuntimeError> {
    drop(probe_socket(local, shown, timeout).await?);
    let secs = timeout.as_secs().max(1);
    let local_str = local.to_string_lossy();
    let docker = Docker::connect_with_unix(&local_str, secs, bollard::API_DEFAULT_VERSION)
        .map_err(|e| RuntimeError::call("Docker", "connect", shown, e))?;
    with_deadline(
        "Docker",
        "version negotiation",
        shown,
        timeout,
        docker.negotiate_version(),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_29_containerd_image_store_is_recognised_from_driver_status() {
        let graph = DockerInfo {
            driver: "overlay2".into(),
            driver_status: vec![("Backing Filesystem".into(), "extfs".into())],
            ..Default::default()
        };
        assert!(!graph.uses_containerd_image_store());
        let snap = DockerInfo {
            driver: "overlayfs".into(),
            driver_status: vec![("driver-type".into(), "io.containerd.snapshotter.v1".into())],
            ..Default::default()
        };
        assert!(snap.uses_containerd_image_store());
    }
}
