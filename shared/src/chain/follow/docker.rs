//! The Docker leg of a chain: cri-dockerd → dockerd → Docker's containerd.

use std::path::{Path, PathBuf};

use super::containerd::{SeenContainerd, ask_containerd};
use super::{Followed, Next, describe_containerd, see_process, store};
use crate::chain::k3s::K3sView;
use crate::chain::setting::{flag_or, pick, read_config};
use crate::host::cmdline::Cmdline;
use crate::host::daemon_config::DaemonJson;
use crate::host::defaults as d;
use crate::host::process::Process;
use crate::host::view::HostView;
use crate::model::chain::{Hop, HopKind, StoreRef};
use crate::model::evidence::{Evidence, Source, Sourced};
use crate::runtime::containerd::ContainerdInfo;
use crate::runtime::{Connections, RuntimeError, docker};

/// What a cri-dockerd's process (or the defaults) says about it: where its
/// dockerd is, its root dir, and whether k3s embeds it. None of it comes
/// from the CRI answer, which is why the dockerd hop can be followed while
/// that answer is on its way.
pub(super) struct CriDockerd {
    pub(super) next: Next,
    root: Option<String>,
    embedded_in: Option<String>,
}

impl CriDockerd {
    /// Writes the root and the embedding process into the cri-dockerd hop.
    pub(super) fn describe(self, hop: &mut Hop) {
        if let Some(root) = self.root {
            hop.root = Some(root);
        }
        if let Some(parent) = self.embedded_in {
            hop.embedded_in = Some(parent);
        }
    }
}

/// Which dockerd a cri-dockerd forwards to: `--docker-endpoint`, else
/// `DOCKER_HOST`, else the default socket. k3s `--docker` embeds cri-dockerd
/// and hands it `--container-runtime-endpoint` as the docker endpoint.
pub(super) fn cri_dockerd_next(node: &HostView, process: Option<&Process>) -> CriDockerd {
    let mut root = None;
    let mut embedded_in = None;
    let default = || {
        Evidence::new(
            Source::Default,
            format!(
                "cri-dockerd's default --docker-endpoint unix://{}",
                d::DOCKER_SOCKET
            ),
        )
    };
    let (url, why) = match process {
        Some(p) if p.is("k3s") || p.is("rke2") => {
            embedded_in = Some("k3s".into());
            let k3s = K3sView::of(node, Some(p), &mut Vec::new());
            root = Some(format!("{}/agent/cri-dockerd", k3s.data_dir.value));
            match k3s.runtime_endpoint {
                Some(ep) => (ep.value.clone(), ep.evidence()),
                None => (d::unix_url(d::DOCKER_SOCKET), default()),
            }
        }
        Some(p) => {
            root = Some(
                p.cmdline
                    .value(&["--cri-dockerd-root-directory"])
                    .unwrap_or_else(|| d::CRI_DOCKERD_ROOT.into()),
            );
            match p
                .cmdline
                .value(&["--docker-endpoint"])
                .filter(|v| !v.is_empty())
            {
                Some(ep) => (
                    ep.clone(),
                    Evidence::new(
                        Source::ProcessCmdline,
                        format!("pid {} cri-dockerd --docker-endpoint {ep}", p.pid),
                    ),
                ),
                None => match node.procs.environ(p.pid).get("DOCKER_HOST") {
                    Some(h) => (
                        h.clone(),
                        Evidence::new(
                            Source::ProcessCmdline,
                            format!(
                                "pid {} has no --docker-endpoint; its environment has DOCKER_HOST={h}",
                                p.pid
                            ),
                        ),
                    ),
                    None => (d::unix_url(d::DOCKER_SOCKET), default()),
                },
            }
        }
        None => (d::unix_url(d::DOCKER_SOCKET), default()),
    };
    CriDockerd {
        next: Next { url, why },
        root,
        embedded_in,
    }
}

/// dockerd, then the containerd it runs on. Which containerd, and which
/// namespace, come from dockerd's flags and daemon.json, not from its API,
/// so `docker info` and containerd's calls are asked at the same time.
pub(super) async fn follow_docker(node: &HostView, conns: &Connections, next: Next) -> Followed {
    let mut out = Followed::default();
    let mut hop = Hop::new(HopKind::Dockerd, &next.url);
    hop.prove(next.why.source, next.why.detail);
    let Some(path) = d::unix_path(&next.url).map(PathBuf::from) else {
        hop.fail(format!(
            "docker endpoint {} is not a unix socket; imgdup only follows unix sockets",
            next.url
        ));
        out.hops.push(hop);
        return out;
    };
    let process = see_process(node, &mut hop, &path);
    let cmd = process.map(|p| &p.cmdline);
    let config_path = flag_or(cmd, &["--config-file"], d::DOCKER_CONFIG);
    let daemon_json = read_config(
        node,
        &config_path.value,
        DaemonJson::parse,
        &mut out.warnings,
    );
    let json = daemon_json.as_ref();
    let containerd_sock = dockerd_containerd(node, cmd, json);
    let sock = PathBuf::from(&containerd_sock.value);
    let (info, containerd_api) = tokio::join!(
        ask_docker(node, conns, &path),
        ask_containerd(node, conns, &sock)
    );

    let info = record_info(&mut hop, info);
    let (root, driver) = root_and_driver(info.as_ref(), cmd, json, &config_path.value);
    hop.root = Some(root.value.clone());
    hop.driver = driver.clone();

    let namespace = pick(
        cmd,
        &["--containerd-namespace"],
        json.and_then(|j| j.containerd_namespace.as_deref()),
        &config_path.value,
        "containerd-namespace",
        d::DOCKER_NAMESPACE,
    );

    let containerd_store = info
        .as_ref()
        .map(|i| i.uses_containerd_image_store())
        .or_else(|| json.and_then(DaemonJson::containerd_snapshotter))
        .unwrap_or(false);
    if !containerd_store {
        if let Some(driver) = &driver {
            out.store = Some(graph_driver_store(node, &root, driver, info.as_ref()));
        }
    } else {
        hop.prove(Source::Api, "docker info DriverStatus driver-type io.containerd.snapshotter.v1: images live in containerd (containerd image store)");
    }
    out.hops.push(hop);

    let (next_hop, store) = containerd_hop(
        node,
        &containerd_sock,
        namespace,
        containerd_api,
        &mut out.warnings,
    );
    if containerd_store {
        out.store = store;
    }
    out.hops.push(next_hop);
    out
}

/// The hop of the containerd dockerd runs on, and its store (the image
/// store only when dockerd uses containerd's).
fn containerd_hop(
    node: &HostView,
    socket: &Sourced<String>,
    namespace: Sourced<String>,
    api: Option<Result<ContainerdInfo, RuntimeError>>,
    warnings: &mut Vec<String>,
) -> (Hop, Option<StoreRef>) {
    let sock = Path::new(&socket.value);
    let mut hop = Hop::new(HopKind::Containerd, d::unix_url(&socket.value));
    hop.prove(socket.source, socket.detail.clone());
    let process = see_process(node, &mut hop, sock);
    let seen = SeenContainerd {
        socket: sock,
        process,
        namespace,
        api,
    };
    let store = describe_containerd(node, &mut hop, seen, warnings);
    (hop, store)
}

/// The containerd dockerd runs on: `--containerd`, then daemon.json's
/// `containerd`, then the system one if its socket exists, else the one
/// dockerd starts itself.
fn dockerd_containerd(
    node: &HostView,
    cmd: Option<&Cmdline>,
    json: Option<&DaemonJson>,
) -> Sourced<String> {
    match cmd
        .and_then(|c| c.value(&["--containerd"]))
        .map(|v| (v, Source::ProcessCmdline))
        .or_else(|| {
            json.and_then(|j| j.containerd.clone())
                .map(|v| (v, Source::ConfigFile))
        }) {
        Some((v, source)) => Sourced::new(v.clone(), source, format!("dockerd --containerd {v}")),
        None if node.exists(d::CONTAINERD_SOCKET) => Sourced::new(
            d::CONTAINERD_SOCKET.to_string(),
            Source::Filesystem,
            format!(
                "dockerd without --containerd uses the system containerd when {} exists (moby daemon_unix.go)",
                d::CONTAINERD_SOCKET
            ),
        ),
        None => Sourced::new(
            d::DOCKER_MANAGED_CONTAINERD_SOCKET.to_string(),
            Source::Default,
            format!(
                "no {} and no --containerd: dockerd starts its managed containerd",
                d::CONTAINERD_SOCKET
            ),
        ),
    }
}

/// Writes `docker info` into the hop, or its error; the answer is kept for
/// the root, driver and image store it names.
fn record_info(
    hop: &mut Hop,
    info: Option<Result<docker::DockerInfo, RuntimeError>>,
) -> Option<docker::DockerInfo> {
    match info? {
        Ok(i) => {
            hop.prove(
                Source::Api,
                format!(
                    "docker info: DockerRootDir {}, Driver {}, server {} (API {})",
                    i.root_dir, i.driver, i.server_version, i.api_version
                ),
            );
            hop.version = Some(i.server_version.clone());
            hop.api_version = Some(i.api_version.clone());
            Some(i)
        }
        Err(e) => {
            hop.fail(e);
            None
        }
    }
}

/// dockerd's data root and storage driver: `docker info`'s, else its
/// flags, daemon.json and defaults.
fn root_and_driver(
    info: Option<&docker::DockerInfo>,
    cmd: Option<&Cmdline>,
    json: Option<&DaemonJson>,
    config_path: &str,
) -> (Sourced<String>, Option<String>) {
    let root = match info {
        Some(i) if !i.root_dir.is_empty() => {
            Sourced::new(i.root_dir.clone(), Source::Api, "docker info DockerRootDir")
        }
        _ => pick(
            cmd,
            &["--data-root", "-g", "--graph"],
            json.and_then(DaemonJson::data_root),
            config_path,
            "data-root",
            d::DOCKER_ROOT,
        ),
    };
    let driver = info
        .map(|i| i.driver.clone())
        .filter(|v| !v.is_empty())
        .or_else(|| cmd.and_then(|c| c.value(&["--storage-driver", "-s"])));
    (root, driver)
}

/// A graph driver keeps the layers in `<data root>/<driver>`.
fn graph_driver_store(
    node: &HostView,
    root: &Sourced<String>,
    driver: &str,
    info: Option<&docker::DockerInfo>,
) -> StoreRef {
    let path = format!("{}/{}", root.value.trim_end_matches('/'), driver);
    let mut evidence = vec![root.evidence()];
    if let Some(i) = info {
        evidence.push(Evidence::new(
            Source::Api,
            format!(
                "docker info Driver {} (graph driver: layers under the data root)",
                i.driver
            ),
        ));
    }
    store(
        node,
        &path,
        HopKind::Dockerd,
        None,
        Some(driver.to_string()),
        evidence,
    )
}

/// `docker info` on the dockerd at `socket`; `None` offline.
async fn ask_docker(
    node: &HostView,
    conns: &Connections,
    socket: &Path,
) -> Option<Result<docker::DockerInfo, RuntimeError>> {
    if node.offline {
        return None;
    }
    Some(match conns.docker(&node.host, socket, node.timeout).await {
        Ok(connection) => docker::info_on(&connection, socket, node.timeout).await,
        Err(e) => Err(e),
    })
}
