//! Where each running runtime keeps its data, from its command line and
//! config: what `others` lists, and what a removal must never pull files
//! from under.

use crate::chain::claimed_socket;
use crate::chain::k3s::K3sView;
use crate::chain::setting::{pick, read_config_or_why};
use crate::host::daemon_config::{ContainerdToml, DaemonJson};
use crate::host::defaults as d;
use crate::host::process::Process;
use crate::host::view::HostView;
use crate::model::chain::HopKind;
use crate::model::evidence::{Source, Sourced};

/// A running runtime's root, as its command line and config place it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningRoot {
    pub kind: HopKind,
    pub pid: u32,
    pub comm: String,
    /// The socket it serves (none for k3s itself: its containerd serves).
    pub socket: Option<String>,
    pub root: String,
    /// Where the root comes from: a flag, a config file's key, a default.
    pub configured: String,
    /// Its config file could not be read: the root may be another.
    pub config_error: Option<String>,
}

/// Every running containerd, dockerd, CRI-O and k3s with its root: what a
/// removal must never pull files from under.
pub fn running_roots(node: &HostView, warnings: &mut Vec<String>) -> Vec<RunningRoot> {
    let mut out = Vec::new();
    let mut push = |kind, p: &Process, socket, root: Sourced<String>, error| {
        out.push(RunningRoot {
            kind,
            pid: p.pid,
            comm: p.comm.clone(),
            socket,
            root: root.value,
            configured: root.detail,
            config_error: error,
        })
    };
    for p in node.procs.named("containerd") {
        let config_path = claimed_socket::containerd_config(p);
        let (toml, error) = read_config_or_why(node, &config_path, ContainerdToml::parse, warnings);
        let socket = claimed_socket::containerd_socket(p, toml.as_ref());
        let from_file = toml.as_ref().and_then(|t| t.root.as_deref());
        let root = pick(
            Some(&p.cmdline),
            &["--root"],
            from_file,
            &config_path,
            "root",
            d::CONTAINERD_ROOT,
        );
        push(HopKind::Containerd, p, Some(socket), root, error);
    }
    for p in node.procs.named("dockerd") {
        let config_path = claimed_socket::dockerd_config(p);
        let (json, error) = read_config_or_why(node, &config_path, DaemonJson::parse, warnings);
        let socket = claimed_socket::dockerd_socket(p, json.as_ref());
        let from_file = json.as_ref().and_then(|j| j.data_root());
        let root = pick(
            Some(&p.cmdline),
            &["--data-root", "-g", "--graph"],
            from_file,
            &config_path,
            "data-root",
            d::DOCKER_ROOT,
        );
        push(HopKind::Dockerd, p, Some(socket), root, error);
    }
    for p in node.procs.named("crio") {
        let root = Sourced::new(
            d::CRIO_STORAGE_ROOT.to_string(),
            Source::Default,
            format!("default root {}", d::CRIO_STORAGE_ROOT),
        );
        push(HopKind::CriO, p, Some(d::CRIO_SOCKET.into()), root, None);
    }
    for p in node.procs.named("k3s") {
        let data_dir = K3sView::of(node, Some(p), warnings).data_dir;
        let root = Sourced::new(
            d::agent_containerd_root(&data_dir.value),
            data_dir.source,
            format!("its containerd's root under {}", data_dir.detail),
        );
        push(HopKind::K3s, p, None, root, None);
    }
    out
}
