//! The Docker Engine API (bollard): data root, storage driver, version.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bollard::models::SystemInfo;
use bollard::{API_DEFAULT_VERSION, ClientVersion, Docker};

use super::http1::{self, CLIENT_ADDR, Http1Socket};
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

/// `docker info` on the dockerd at `local` (shown as `shown` in errors).
pub async fn info(
    local: &Path,
    shown: &Path,
    timeout: Duration,
) -> Result<DockerInfo, RuntimeError> {
    info_on(&open(local, shown, timeout).await?, shown, timeout).await
}

/// `docker info` in one round trip on an open connection: the request goes
/// out unversioned, which dockerd answers in its own API version and names
/// in the `API-Version` header, so no negotiation has to come first (a
/// round trip to a dockerd that is often busy answering the CRI server in
/// front of it). The version reported is the one negotiation gives, the
/// lower of that and bollard's default; a daemon that sends no header is
/// negotiated with as [`connect`] does.
pub(crate) async fn info_on(
    socket: &Arc<Http1Socket>,
    shown: &Path,
    timeout: Duration,
) -> Result<DockerInfo, RuntimeError> {
    let docker = client(
        socket,
        API_DEFAULT_VERSION,
        Paths::Unversioned,
        shown,
        timeout,
    )?;
    let info = with_deadline("Docker", "GET /info", shown, timeout, docker.info()).await?;
    let version = match socket.api_version().as_deref().and_then(parse_api_version) {
        Some(server) => lower_of(server),
        None => negotiate(socket, shown, timeout).await?.client_version(),
    };
    Ok(describe(info, version))
}

/// `GET /info` on a connected client (see [`connect`]).
pub(crate) async fn info_of(
    docker: &Docker,
    shown: &Path,
    timeout: Duration,
) -> Result<DockerInfo, RuntimeError> {
    let info = with_deadline("Docker", "GET /info", shown, timeout, docker.info()).await?;
    Ok(describe(info, docker.client_version()))
}

/// The facts of `docker info`, at the API version `api`.
fn describe(info: SystemInfo, api: ClientVersion) -> DockerInfo {
    DockerInfo {
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
    }
}

/// One keep-alive connection to `local` (see [`Http1Socket`]); the dial is
/// the probe, so a dead socket says why.
pub(crate) async fn open(
    local: &Path,
    shown: &Path,
    timeout: Duration,
) -> Result<Arc<Http1Socket>, RuntimeError> {
    let stream = probe_socket(local, shown, timeout).await?;
    let socket = Http1Socket::open(stream, local)
        .await
        .map_err(|e| RuntimeError::call("Docker", "connect", shown, e))?;
    Ok(Arc::new(socket))
}

/// A client on `local` (shown as `shown` in errors) that has negotiated
/// the API version: dockerd 20.10 speaks API 1.41 and refuses bollard's
/// newer default. Every request of the client goes over one connection, the
/// probe's (see [`Http1Socket`]). Callers still wrap every call in
/// `with_deadline`.
pub(crate) async fn connect(
    local: &Path,
    shown: &Path,
    timeout: Duration,
) -> Result<Docker, RuntimeError> {
    negotiate(&open(local, shown, timeout).await?, shown, timeout).await
}

/// The version comes from `/_ping`'s `API-Version` header, as the docker
/// CLI negotiates, not from `/version` (which costs dockerd a containerd
/// call and a `runc --version`); a daemon that sends none is asked
/// `/version`, as bollard does.
async fn negotiate(
    socket: &Arc<Http1Socket>,
    shown: &Path,
    timeout: Duration,
) -> Result<Docker, RuntimeError> {
    let server = with_deadline(
        "Docker",
        "version negotiation",
        shown,
        timeout,
        socket.ping_api_version(),
    )
    .await?
    .as_deref()
    .and_then(parse_api_version);
    let version = server.map_or(*API_DEFAULT_VERSION, lower_of);
    let docker = client(socket, &version, Paths::AsBuilt, shown, timeout)?;
    if server.is_some() {
        return Ok(docker);
    }
    with_deadline(
        "Docker",
        "version negotiation",
        shown,
        timeout,
        docker.negotiate_version(),
    )
    .await
}

/// Whether a client's request paths keep their `/v1.41` prefix.
#[derive(Clone, Copy)]
enum Paths {
    AsBuilt,
    Unversioned,
}

/// A bollard client whose requests all go over `socket`.
fn client(
    socket: &Arc<Http1Socket>,
    version: &ClientVersion,
    paths: Paths,
    shown: &Path,
    timeout: Duration,
) -> Result<Docker, RuntimeError> {
    let socket = Arc::clone(socket);
    let transport = move |mut request| {
        let socket = Arc::clone(&socket);
        async move {
            if let Paths::Unversioned = paths {
                http1::unversioned(&mut request)?;
            }
            socket.send(request).await
        }
    };
    let secs = timeout.as_secs().max(1);
    Docker::connect_with_custom_transport(transport, Some(CLIENT_ADDR), secs, version)
        .map_err(|e| RuntimeError::call("Docker", "connect", shown, e))
}

/// What negotiation settles on: the server's version, unless bollard's
/// default is lower.
fn lower_of(server: ClientVersion) -> ClientVersion {
    if server < *API_DEFAULT_VERSION {
        server
    } else {
        *API_DEFAULT_VERSION
    }
}

/// `1.41` as a client version (bollard's parser is private).
fn parse_api_version(text: &str) -> Option<ClientVersion> {
    let (major, minor) = text.trim().split_once('.')?;
    Some(ClientVersion {
        major_version: major.parse().ok()?,
        minor_version: minor.parse().ok()?,
    })
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

    #[test]
    fn api_versions_parse_like_bollards() {
        let v = parse_api_version("1.41").unwrap();
        assert_eq!((v.major_version, v.minor_version), (1, 41));
        assert!(v < *API_DEFAULT_VERSION);
        for bad in ["", "1", "1.x", "1.41.0", "v1.41"] {
            assert!(parse_api_version(bad).is_none(), "{bad}");
        }
    }
}
