//! Follows an endpoint hop by hop down to the store: CRI server → (dockerd →)
//! containerd → directory. Each fact is taken from the best source we have:
//! an API answer, then the listening process's flags, then its config file,
//! then the runtime's default.

use std::path::{Path, PathBuf};

use crate::chain::{Hop, HopKind, StoreRef};
use crate::cmdline::Cmdline;
use crate::daemon_config::{self, ContainerdToml, DaemonJson, K3sConfig};
use crate::defaults as d;
use crate::evidence::{Evidence, Source, Sourced, confidence_of};
use crate::node::Node;
use crate::process::Process;
use crate::runtime::{containerd, cri::CriClient, docker};

/// The hops behind one endpoint and the store they end in.
#[derive(Debug, Default)]
pub struct Followed {
    pub hops: Vec<Hop>,
    pub store: Option<StoreRef>,
    pub warnings: Vec<String>,
}

/// Where the next hop is, and how we know.
struct Next {
    url: String,
    why: Evidence,
}

/// Follows a CRI endpoint URL (`unix:///…`) to its store.
pub async fn follow_cri(node: &Node, url: &str, why: Evidence) -> Followed {
    let mut out = Followed::default();
    let Some(path) = d::unix_path(url).map(PathBuf::from) else {
        let mut hop = Hop::new(HopKind::Unknown, url);
        hop.fail(format!(
            "{url} is not a unix socket; crictl on Linux only dials unix://"
        ));
        out.hops.push(hop);
        return out;
    };
    let mut hop = Hop::new(HopKind::Unknown, url);
    hop.prove(why.source, why.detail);
    let process = see_process(node, &mut hop, &path);
    let mut mountpoints = Vec::new();
    let mut api_name = None;
    if !node.offline {
        match cri_answers(node, &path).await {
            Ok((v, mounts)) => {
                hop.prove(
                    Source::Api,
                    format!(
                        "CRI Version: runtime {} {}, API {}",
                        v.runtime_name, v.runtime_version, v.runtime_api_version
                    ),
                );
                if !mounts.is_empty() {
                    hop.prove(
                        Source::Api,
                        format!("CRI ImageFsInfo: image filesystem {}", mounts.join(", ")),
                    );
                }
                hop.version = Some(v.runtime_version);
                hop.api_version = Some(v.runtime_api_version);
                api_name = Some(v.runtime_name);
                mountpoints = mounts;
            }
            Err(e) => hop.fail(e),
        }
    }
    hop.kind = cri_kind(api_name.as_deref(), process, &path);
    match hop.kind {
        HopKind::CriDockerd => {
            let next = cri_dockerd_next(node, &mut hop, process);
            out.hops.push(hop);
            follow_docker(node, next, &mut out).await;
        }
        HopKind::Containerd => {
            let ns = Sourced::new(
                d::CRI_NAMESPACE.to_string(),
                Source::Default,
                "the CRI plugin keeps Kubernetes images in namespace k8s.io",
            );
            out.store =
                describe_containerd(node, &mut hop, &path, process, ns, &mut out.warnings).await;
            out.hops.push(hop);
        }
        HopKind::CriO => {
            let root = mountpoints
                .first()
                .cloned()
                .unwrap_or_else(|| d::CRIO_STORAGE_ROOT.to_string());
            hop.root = Some(root.clone());
            out.store = Some(store(
                node,
                &root,
                HopKind::CriO,
                None,
                None,
                hop.evidence.clone(),
            ));
            out.hops.push(hop);
        }
        HopKind::Dockerd => {
            hop.fail(format!("{url} is Docker's own API socket, not a CRI endpoint: crictl cannot use it. Point crictl at cri-dockerd (e.g. unix:///run/cri-dockerd.sock) instead"));
            out.hops.push(hop);
        }
        HopKind::K3s | HopKind::Unknown => {
            if hop.error.is_none() {
                hop.fail("cannot tell which runtime serves this socket: no known process listens on it and the API gave no runtime name");
            }
            out.hops.push(hop);
        }
    }
    out
}

async fn cri_answers(
    node: &Node,
    path: &Path,
) -> Result<(crate::runtime::cri::CriVersion, Vec<String>), crate::runtime::RuntimeError> {
    let mut client = CriClient::connect(&node.host.local(path), path, node.timeout).await?;
    let version = client.version().await?;
    // ImageFsInfo is evidence only; a runtime that lacks it still has a version.
    let mounts = client.image_fs_mountpoints().await.unwrap_or_default();
    Ok((version, mounts))
}

/// Records the listening process as evidence.
fn see_process<'n>(node: &'n Node, hop: &mut Hop, path: &Path) -> Option<&'n Process> {
    let process = node.listener(path)?;
    hop.pid = Some(process.pid);
    hop.cmdline = Some(process.cmdline.display());
    hop.prove(
        Source::ProcessCmdline,
        format!(
            "pid {} ({}) listens on {}: {}",
            process.pid,
            process.comm,
            node.canonical(path),
            process.cmdline.display()
        ),
    );
    Some(process)
}

/// The API's runtime name wins; then the listening process; then the path.
fn cri_kind(api_name: Option<&str>, process: Option<&Process>, path: &Path) -> HopKind {
    match api_name {
        Some("docker") => return HopKind::CriDockerd,
        Some("containerd") => return HopKind::Containerd,
        Some("cri-o") => return HopKind::CriO,
        _ => {}
    }
    if let Some(p) = process {
        for (name, kind) in [
            ("cri-dockerd", HopKind::CriDockerd),
            ("containerd", HopKind::Containerd),
            ("crio", HopKind::CriO),
            ("dockerd", HopKind::Dockerd),
        ] {
            if p.is(name) {
                return kind;
            }
        }
        if (p.is("k3s") || p.is("rke2")) && path.to_string_lossy().contains("cri-dockerd") {
            return HopKind::CriDockerd;
        }
    }
    let text = path.to_string_lossy();
    if text.contains("cri-dockerd") || text.ends_with("cri-docker.sock") {
        HopKind::CriDockerd
    } else if text.contains("containerd") {
        HopKind::Containerd
    } else if text.contains("crio") {
        HopKind::CriO
    } else {
        HopKind::Unknown
    }
}

/// Which dockerd a cri-dockerd forwards to: `--docker-endpoint`, else
/// `DOCKER_HOST`, else the default socket. k3s `--docker` embeds cri-dockerd
/// and hands it `--container-runtime-endpoint` as the docker endpoint.
fn cri_dockerd_next(node: &Node, hop: &mut Hop, process: Option<&Process>) -> Next {
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
async fn follow_docker(node: &Node, next: Next, out: &mut Followed) {
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

/// Fills a containerd hop (version, root, namespace) and returns its store.
async fn describe_containerd(
    node: &Node,
    hop: &mut Hop,
    socket: &Path,
    process: Option<&Process>,
    namespace: Sourced<String>,
    warnings: &mut Vec<String>,
) -> Option<StoreRef> {
    let cmd = process.map(|p| &p.cmdline);
    let config_path = flag_or(cmd, &["-c", "--config"], d::CONTAINERD_CONFIG);
    let toml = match daemon_config::read(
        &node.host,
        Path::new(&config_path.value),
        ContainerdToml::parse,
    ) {
        Ok(v) => v,
        Err(e) => {
            warnings.push(e.to_string());
            None
        }
    };
    let api = if node.offline {
        None
    } else {
        match containerd::info(&node.host.local(socket), socket, node.timeout).await {
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
    };
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
            d::CONTAINERD_ROOT,
        ),
    };
    hop.root = Some(root.value.clone());
    hop.prove(
        root.source,
        format!("root {} ({})", root.value, root.detail),
    );
    let mut ns_evidence = namespace.evidence();
    if let Some(i) = &api {
        if i.namespaces.contains(&namespace.value) {
            ns_evidence = Evidence::new(
                Source::Api,
                format!(
                    "namespace {} exists in this containerd ({})",
                    namespace.value, namespace.detail
                ),
            );
        } else {
            warnings.push(format!(
                "containerd at {} has no namespace {} yet (it has [{}])",
                socket.display(),
                namespace.value,
                i.namespaces.join(", ")
            ));
        }
    }
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

fn store(
    node: &Node,
    path: &str,
    runtime: HopKind,
    namespace: Option<String>,
    driver: Option<String>,
    evidence: Vec<Evidence>,
) -> StoreRef {
    let confidence = confidence_of(&evidence);
    StoreRef {
        path: node.canonical(path),
        runtime,
        namespace,
        driver,
        confidence,
        evidence,
    }
}

/// A flag's value with the process as proof, else a default.
fn flag_or(cmd: Option<&Cmdline>, names: &[&str], default: &str) -> Sourced<String> {
    match cmd.and_then(|c| c.value(names)) {
        Some(v) => Sourced::new(
            v.clone(),
            Source::ProcessCmdline,
            format!("{} {v}", names.last().unwrap_or(&"")),
        ),
        None => Sourced::new(
            default.to_string(),
            Source::Default,
            format!("default {default}"),
        ),
    }
}

/// flag > config file key > default.
fn pick(
    cmd: Option<&Cmdline>,
    names: &[&str],
    from_file: Option<&str>,
    file: &str,
    key: &str,
    default: &str,
) -> Sourced<String> {
    if let Some(v) = cmd.and_then(|c| c.value(names)) {
        return Sourced::new(
            v.clone(),
            Source::ProcessCmdline,
            format!("flag {} {v}", names[0]),
        );
    }
    if let Some(v) = from_file {
        return Sourced::new(
            v.to_string(),
            Source::ConfigFile,
            format!("{key} = {v} in {file}"),
        );
    }
    Sourced::new(
        default.to_string(),
        Source::Default,
        format!("default {key} {default}"),
    )
}

/// What a k3s process and its config say about its runtime.
pub struct K3sView {
    pub data_dir: Sourced<String>,
    pub docker: bool,
    /// `--container-runtime-endpoint`: an external runtime (or dockerd with `--docker`).
    pub runtime_endpoint: Option<Sourced<String>>,
}

impl K3sView {
    /// Flags beat `/etc/rancher/k3s/config.yaml` (or `--config`), which beats defaults.
    pub fn of(node: &Node, process: Option<&Process>, warnings: &mut Vec<String>) -> Self {
        let cmd = process.map(|p| &p.cmdline);
        let config_path = cmd
            .and_then(|c| c.value(&["-c", "--config"]))
            .unwrap_or_else(|| d::K3S_CONFIG.to_string());
        let config = daemon_config::read(&node.host, Path::new(&config_path), K3sConfig::parse)
            .unwrap_or_else(|e| {
                warnings.push(e.to_string());
                None
            });
        let config = config.unwrap_or_default();
        let data_dir = pick(
            cmd,
            &["--data-dir", "-d"],
            config.data_dir.as_deref(),
            &config_path,
            "data-dir",
            d::K3S_DATA_DIR,
        );
        let docker = cmd
            .and_then(|c| c.bool_flag(&["--docker"]))
            .or(config.docker)
            .unwrap_or(false);
        let runtime_endpoint = cmd
            .and_then(|c| c.value(&["--container-runtime-endpoint"]))
            .map(|v| {
                Sourced::new(
                    v.clone(),
                    Source::ProcessCmdline,
                    format!("k3s --container-runtime-endpoint {v}"),
                )
            })
            .or_else(|| {
                config.container_runtime_endpoint.map(|v| {
                    Sourced::new(
                        v.clone(),
                        Source::ConfigFile,
                        format!("container-runtime-endpoint: {v} in {config_path}"),
                    )
                })
            });
        Self {
            data_dir,
            docker,
            runtime_endpoint,
        }
    }
}
