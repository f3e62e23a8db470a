//! Follows an endpoint hop by hop down to the store: CRI server → (dockerd →)
//! containerd → directory. Each fact is taken from the best source we have:
//! an API answer, then the listening process's flags, then its config file,
//! then the runtime's default.

mod containerd;
mod docker;

use std::path::{Path, PathBuf};

use crate::chain::{Hop, HopKind, StoreRef};
use crate::cmdline::Cmdline;
use crate::defaults as d;
use crate::evidence::{Evidence, Source, Sourced, confidence_of};
use crate::node::Node;
use crate::process::Process;
use crate::runtime::cri::CriClient;

use self::containerd::describe_containerd;
use self::docker::{cri_dockerd_next, follow_docker};

/// The hops behind one endpoint and the store they end in.
#[derive(Debug, Default)]
pub struct Followed {
    pub hops: Vec<Hop>,
    pub store: Option<StoreRef>,
    pub warnings: Vec<String>,
}

/// Where the next hop is, and how we know.
pub(crate) struct Next {
    pub(crate) url: String,
    pub(crate) why: Evidence,
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
pub(crate) fn see_process<'n>(node: &'n Node, hop: &mut Hop, path: &Path) -> Option<&'n Process> {
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

pub(crate) fn store(
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
pub(crate) fn flag_or(cmd: Option<&Cmdline>, names: &[&str], default: &str) -> Sourced<String> {
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
pub(crate) fn pick(
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

#[cfg(test)]
mod tests {
    use super::*;

    fn proc_named(comm: &str, args: &str) -> Process {
        Process {
            pid: 7,
            comm: comm.into(),
            cmdline: Cmdline::from_args(args.split_whitespace()),
        }
    }

    #[test]
    fn the_api_runtime_name_beats_the_process_and_the_path() {
        let containerd = proc_named("containerd", "containerd");
        let sock = Path::new("/run/cri-dockerd.sock");
        assert_eq!(
            cri_kind(Some("docker"), Some(&containerd), sock),
            HopKind::CriDockerd
        );
        assert_eq!(
            cri_kind(Some("containerd"), None, sock),
            HopKind::Containerd
        );
        assert_eq!(cri_kind(Some("cri-o"), None, sock), HopKind::CriO);
    }

    #[test]
    fn without_an_api_answer_the_listener_decides() {
        let sock = Path::new("/run/x.sock");
        assert_eq!(
            cri_kind(None, Some(&proc_named("cri-dockerd", "cri-dockerd")), sock),
            HopKind::CriDockerd
        );
        assert_eq!(
            cri_kind(None, Some(&proc_named("dockerd", "dockerd")), sock),
            HopKind::Dockerd
        );
        assert_eq!(
            cri_kind(None, Some(&proc_named("crio", "crio")), sock),
            HopKind::CriO
        );
        // k3s --docker serves cri-dockerd from its own process.
        let k3s = proc_named("k3s-agent", "k3s agent --docker");
        assert_eq!(
            cri_kind(None, Some(&k3s), Path::new(d::K3S_CRI_DOCKERD_SOCKET)),
            HopKind::CriDockerd
        );
    }

    #[test]
    fn with_neither_the_path_is_a_last_resort() {
        assert_eq!(
            cri_kind(None, None, Path::new(d::K3S_CONTAINERD_SOCKET)),
            HopKind::Containerd
        );
        assert_eq!(
            cri_kind(None, None, Path::new("/var/run/cri-dockerd.sock")),
            HopKind::CriDockerd
        );
        assert_eq!(
            cri_kind(None, None, Path::new("/run/crio/crio.sock")),
            HopKind::CriO
        );
        assert_eq!(
            cri_kind(None, None, Path::new("/run/mystery.sock")),
            HopKind::Unknown
        );
    }
}
