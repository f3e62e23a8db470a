//! The Docker leg of a chain: cri-dockerd → dockerd → Docker's containerd.

use std::path::{Path, PathBuf};

use super::{Followed, Next, describe_containerd, flag_or, pick, see_process, store};
use crate::chain::{Hop, HopKind};
use crate::daemon_config::{self, DaemonJson};
use crate::defaults as d;
use crate::evidence::{Evidence, Source, Sourced};
use crate::k3s::K3sView;
use crate::node::Node;
use crate::process::Process;
use crate::runtime::docker;

/// Which dockerd a cri-dockerd forwards to: `--docker-endpoint`, else
/// `DOCKER_HOST`, else the default socket. k3s `--docker` embeds cri-dockerd
/// and hands it `--container-runtime-endpoint` as the docker endpoint.
pub(super) fn cri_dockerd_next(node: &Node, hop: &mut Hop, process: Option<&Process>) -> Next {
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
            hop.embedded_in = Some("k3s".into());
            let k3s = K3sView::of(node, Some(p), &mut Vec::new());
            hop.root = Some(format!("{}/agent/cri-dockerd", k3s.data_dir.value));
            match k3s.runtime_endpoint {
                Some(ep) => (ep.value.clone(), ep.evidence()),
                None => (d::unix_url(d::DOCKER_SOCKET), default()),
            }
        }
        Some(p) => {
            hop.root = Some(
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
    Next { url, why }
}

/// dockerd, then the containerd it runs on.
pub(super) async fn follow_docker(node: &Node, next: Next, out: &mut Followed) {
    let Some(path) = d::unix_path(&next.url).map(PathBuf::from) else {
        let mut hop = Hop::new(HopKind::Dockerd, &next.url);
        hop.prove(next.why.source, next.why.detail);
        hop.fail(format!(
            "docker endpoint {} is not a unix socket; imgdup only follows unix sockets",
            next.url
        ));
        out.hops.push(hop);
        return;
    };
    let mut hop = Hop::new(HopKind::Dockerd, &next.url);
    hop.prove(next.why.source, next.why.detail);
    let process = see_process(node, &mut hop, &path);
    let cmd = process.map(|p| &p.cmdline);
    let config_path = flag_or(cmd, &["--config-file"], d::DOCKER_CONFIG);
    let daemon_json =
        match daemon_config::read(&node.host, Path::new(&config_path.value), DaemonJson::parse) {
            Ok(v) => v,
            Err(e) => {
                out.warnings.push(e.to_string());
                None
            }
        };
    let info = if node.offline {
        None
    } else {
        match docker::info(&node.host.local(&path), &path, node.timeout).await {
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
    };
    let json = daemon_json.as_ref();
    let root = match &info {
        Some(i) if !i.root_dir.is_empty() => {
            Sourced::new(i.root_dir.clone(), Source::Api, "docker info DockerRootDir")
        }
        _ => pick(
            cmd,
            &["--data-root", "-g", "--graph"],
            json.and_then(DaemonJson::data_root),
            &config_path.value,
            "data-root",
            d::DOCKER_ROOT,
        ),
    };
    hop.root = Some(root.value.clone());
    let driver = info
        .as_ref()
        .map(|i| i.driver.clone())
        .filter(|v| !v.is_empty())
        .or_else(|| cmd.and_then(|c| c.value(&["--storage-driver", "-s"])));
    hop.driver = driver.clone();

    let containerd_sock = match cmd
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
    };
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
            let path = format!("{}/{}", root.value.trim_end_matches('/'), driver);
            let mut evidence = vec![root.evidence()];
            if let Some(i) = &info {
                evidence.push(Evidence::new(
                    Source::Api,
                    format!(
                        "docker info Driver {} (graph driver: layers under the data root)",
                        i.driver
                    ),
                ));
            }
            out.store = Some(store(
                node,
                &path,
                HopKind::Dockerd,
                None,
                Some(driver.clone()),
                evidence,
            ));
        }
    } else {
        hop.prove(Source::Api, "docker info DriverStatus driver-type io.containerd.snapshotter.v1: images live in containerd (containerd image store)");
    }
    out.hops.push(hop);

    let mut next_hop = Hop::new(HopKind::Containerd, d::unix_url(&containerd_sock.value));
    next_hop.prove(containerd_sock.source, containerd_sock.detail.clone());
    let sock = PathBuf::from(&containerd_sock.value);
    let process = see_process(node, &mut next_hop, &sock);
    let store = describe_containerd(
        node,
        &mut next_hop,
        &sock,
        process,
        namespace,
        &mut out.warnings,
    )
    .await;
    if containerd_store {
        out.store = store;
    }
    out.hops.push(next_hop);
}
