//! Follows an endpoint hop by hop down to the store: CRI server → (dockerd →)
//! containerd → directory. Each fact is taken from the best source we have:
//! an API answer, then the listening process's flags, then its config file,
//! then the runtime's default.
//!
//! Most of the time goes to waiting on daemons, so the waits overlap where
//! nothing depends on the answer: a hop's calls go out together, and the
//! hop behind a CRI server is asked while the CRI server answers when its
//! address comes from the process (cri-dockerd's `--docker-endpoint`,
//! dockerd's `--containerd`) rather than from an API answer. The hop's kind
//! is still decided by the CRI answer first; a hop followed ahead of it is
//! kept only when the answer agrees, so the document is the one a
//! hop-by-hop walk writes.

mod containerd;
mod docker;

use std::path::{Path, PathBuf};

use crate::host::defaults as d;
use crate::host::process::Process;
use crate::host::view::HostView;
use crate::model::chain::{Hop, HopKind, StoreRef};
use crate::model::evidence::{Evidence, Source, Sourced, confidence_of};
use crate::runtime::containerd::ContainerdInfo;
use crate::runtime::cri::{CriClient, CriVersion};
use crate::runtime::{Connections, RuntimeError};

use self::containerd::{SeenContainerd, ask_containerd, describe_containerd};
use self::docker::{CriDockerd, cri_dockerd_next, follow_docker};

/// The hops behind one endpoint and the store they end in.
#[derive(Debug, Default)]
pub struct Followed {
    pub hops: Vec<Hop>,
    pub store: Option<StoreRef>,
    pub warnings: Vec<String>,
}

impl Followed {
    /// Appends the hops and warnings of the leg behind the last hop; its
    /// store, if any, is where the chain ends.
    fn take(&mut self, leg: Followed) {
        self.hops.extend(leg.hops);
        self.warnings.extend(leg.warnings);
        self.store = leg.store;
    }
}

/// Where the next hop is, and how we know.
#[derive(Clone)]
pub(crate) struct Next {
    pub(crate) url: String,
    pub(crate) why: Evidence,
}

/// Follows a CRI endpoint URL (`unix:///…`) to its store, on connections of
/// its own.
pub async fn follow_cri(node: &HostView, url: &str, why: Evidence) -> Followed {
    follow_cri_on(node, &Connections::default(), url, why).await
}

/// What was asked behind the CRI server while it answered (see the module
/// doc), by the kind its process and path suggest.
enum Ahead {
    Nothing,
    Docker(CriDockerd, Followed),
    Containerd(Option<Result<ContainerdInfo, RuntimeError>>),
}

/// [`follow_cri`] on the connections of one resolution.
pub async fn follow_cri_on(
    node: &HostView,
    conns: &Connections,
    url: &str,
    why: Evidence,
) -> Followed {
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
    let (answers, ahead) = ask_cri_and_ahead(node, conns, &path, process).await;
    let (api_name, mountpoints) = record_cri(&mut hop, answers);
    hop.kind = cri_kind(api_name.as_deref(), process, &path);
    match hop.kind {
        HopKind::CriDockerd => {
            let (cri_dockerd, leg) = match ahead {
                Ahead::Docker(cri_dockerd, leg) => (cri_dockerd, leg),
                _ => follow_cri_dockerd(node, conns, process).await,
            };
            cri_dockerd.describe(&mut hop);
            out.hops.push(hop);
            out.take(leg);
        }
        HopKind::Containerd => {
            let api = match ahead {
                Ahead::Containerd(api) => api,
                _ => ask_containerd(node, conns, &path).await,
            };
            let namespace = Sourced::new(
                d::CRI_NAMESPACE.to_string(),
                Source::Default,
                "the CRI plugin keeps Kubernetes images in namespace k8s.io",
            );
            let seen = SeenContainerd {
                socket: &path,
                process,
                namespace,
                api,
            };
            out.store = describe_containerd(node, &mut hop, seen, &mut out.warnings);
            out.hops.push(hop);
        }
        HopKind::CriO => {
            out.store = Some(crio_store(node, &mut hop, mountpoints));
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

/// The CRI answers (`None` offline), and, while they are on their way, the
/// hop behind the CRI server that its process and path suggest.
async fn ask_cri_and_ahead(
    node: &HostView,
    conns: &Connections,
    path: &Path,
    process: Option<&Process>,
) -> (Option<CriAnswers>, Ahead) {
    if node.offline {
        return (None, Ahead::Nothing);
    }
    let cri = cri_answers(node, conns, path);
    match cri_kind(None, process, path) {
        HopKind::CriDockerd => {
            let (answers, (cri_dockerd, leg)) =
                tokio::join!(cri, follow_cri_dockerd(node, conns, process));
            (Some(answers), Ahead::Docker(cri_dockerd, leg))
        }
        HopKind::Containerd => {
            let (answers, api) = tokio::join!(cri, ask_containerd(node, conns, path));
            (Some(answers), Ahead::Containerd(api))
        }
        _ => (Some(cri.await), Ahead::Nothing),
    }
}

/// Where a cri-dockerd forwards to, and the Docker leg behind it.
async fn follow_cri_dockerd(
    node: &HostView,
    conns: &Connections,
    process: Option<&Process>,
) -> (CriDockerd, Followed) {
    let cri_dockerd = cri_dockerd_next(node, process);
    let leg = follow_docker(node, conns, cri_dockerd.next.clone()).await;
    (cri_dockerd, leg)
}

/// Writes the CRI answers into the hop, or their error; returns the
/// runtime name (which decides the hop's kind) and the image mountpoints.
fn record_cri(hop: &mut Hop, answers: Option<CriAnswers>) -> (Option<String>, Vec<String>) {
    match answers {
        Some(Ok((v, mounts))) => {
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
            (Some(v.runtime_name), mounts)
        }
        Some(Err(e)) => {
            hop.fail(e);
            (None, Vec::new())
        }
        None => (None, Vec::new()),
    }
}

/// CRI-O's store: the first image mountpoint it reports, else its default root.
fn crio_store(node: &HostView, hop: &mut Hop, mountpoints: Vec<String>) -> StoreRef {
    let root = mountpoints
        .first()
        .cloned()
        .unwrap_or_else(|| d::CRIO_STORAGE_ROOT.to_string());
    hop.root = Some(root.clone());
    store(node, &root, HopKind::CriO, None, None, hop.evidence.clone())
}

/// The CRI server's `Version` and `ImageFsInfo` mountpoints.
type CriAnswers = Result<(CriVersion, Vec<String>), RuntimeError>;

/// Asks the CRI server for its [`CriAnswers`].
async fn cri_answers(node: &HostView, conns: &Connections, path: &Path) -> CriAnswers {
    let channel = conns.grpc(&node.host, path, node.timeout).await?;
    CriClient::on(channel, path, node.timeout)
        .version_and_mountpoints()
        .await
}

/// Records the listening process as evidence.
pub(crate) fn see_process<'n>(
    node: &'n HostView,
    hop: &mut Hop,
    path: &Path,
) -> Option<&'n Process> {
    let (process, how) = match node.listener(path) {
        Some(p) => (p, "listens on"),
        None => (
            crate::chain::claimed_socket::claimant(node, path)?,
            "names in its command line (its open sockets cannot be read without CAP_SYS_PTRACE, as in the agent pod)",
        ),
    };
    hop.pid = Some(process.pid);
    hop.cmdline = Some(process.cmdline.display());
    hop.prove(
        Source::ProcessCmdline,
        format!(
            "pid {} ({}) {how} {}: {}",
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
    node: &HostView,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::cmdline::Cmdline;

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
