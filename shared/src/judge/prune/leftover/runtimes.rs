//! The runtimes: none serves the root, none answers on its sockets, and no
//! running runtime's root is, holds or lies inside it.

use std::path::Path;

use super::{LeftoverError, at_or_under};
use crate::chain::running_roots::{RunningRoot, running_roots as all_running};
use crate::host::defaults as d;
use crate::host::view::HostView;
use crate::model::store::StoreRuntime;
use crate::runtime::{RuntimeError, containerd, docker, probe_socket};

/// Every running runtime with its root made canonical.
pub(super) fn running_roots(node: &HostView) -> Vec<RunningRoot> {
    let mut warnings = Vec::new();
    let mut roots = all_running(node, &mut warnings);
    for r in &mut roots {
        r.root = node.canonical(&r.root);
    }
    roots
}

/// No process of the store's own runtime runs on this root.
pub(super) fn not_running(
    path: &str,
    runtimes: &[StoreRuntime],
    roots: &[RunningRoot],
) -> Result<String, LeftoverError> {
    let ours = |r: &&RunningRoot| StoreRuntime::of(r.kind).is_some_and(|k| runtimes.contains(&k));
    if let Some(r) = roots.iter().filter(ours).find(|r| r.root == path) {
        return Err(LeftoverError::RuntimeRunning {
            path: path.into(),
            pid: r.pid,
            comm: r.comm.clone(),
            configured: r.configured.clone(),
        });
    }
    let names: Vec<&str> = runtimes.iter().map(|r| r.as_str()).collect();
    let seen: Vec<String> = roots
        .iter()
        .filter(ours)
        .map(|r| format!("pid {} on {}", r.pid, r.root))
        .collect();
    Ok(format!(
        "no {} process runs on {path}{}",
        names.join("/"),
        if seen.is_empty() {
            String::new()
        } else {
            format!(" (others: {})", seen.join(", "))
        }
    ))
}

/// The sockets a store's runtime serves: the report's endpoints and the
/// runtime's well-known sockets.
fn sockets(runtimes: &[StoreRuntime], endpoints: &[String]) -> Vec<String> {
    let mut out: Vec<String> = endpoints
        .iter()
        .filter_map(|e| d::unix_path(e).map(str::to_string))
        .collect();
    for runtime in runtimes {
        let defaults: &[&str] = match runtime {
            StoreRuntime::Dockerd => &[d::DOCKER_SOCKET],
            StoreRuntime::Containerd => &[
                d::CONTAINERD_SOCKET,
                d::K3S_CONTAINERD_SOCKET,
                d::DOCKER_MANAGED_CONTAINERD_SOCKET,
                d::MICROK8S_CONTAINERD_SOCKET,
            ],
            StoreRuntime::CriO => &[d::CRIO_SOCKET],
        };
        out.extend(defaults.iter().map(|s| s.to_string()));
    }
    out
}

/// Dials each socket: nothing may answer, or what answers must say it
/// serves an unrelated root.
pub(super) async fn no_socket_answers(
    node: &HostView,
    path: &str,
    runtimes: &[StoreRuntime],
    endpoints: &[String],
) -> Result<Vec<String>, LeftoverError> {
    if node.offline {
        return Err(LeftoverError::CannotDial { path: path.into() });
    }
    let mut silent = Vec::new();
    let mut others = Vec::new();
    let mut seen = Vec::new();
    for socket in sockets(runtimes, endpoints) {
        let canonical = node.canonical(&socket);
        if seen.contains(&canonical) {
            continue;
        }
        seen.push(canonical.clone());
        let local = node.host.local(&canonical);
        let shown = Path::new(&canonical);
        let answers = |detail: String| LeftoverError::SocketAnswers {
            path: path.into(),
            socket: canonical.clone(),
            detail,
        };
        match probe_socket(&local, shown, node.timeout).await {
            Err(RuntimeError::NoSocket { .. }) => silent.push(format!("{canonical} (no socket)")),
            Err(RuntimeError::Refused { .. }) => {
                silent.push(format!("{canonical} (connection refused)"))
            }
            Err(e) => return Err(answers(format!("cannot prove it is silent: {e}"))),
            Ok(_) => {
                let (name, root) = serving_root(&local, shown, node, runtimes).await;
                let root = root.map_err(|e| answers(format!("it accepts connections; {e}")))?;
                let root = node.canonical(&root);
                if related(&root, path).is_some() {
                    return Err(answers(format!("{name} serving root {root}")));
                }
                others.push(format!("{name} on {canonical} serves {root}, not {path}"));
            }
        }
    }
    let mut lines = vec![format!("nothing answers on {}", silent.join(", "))];
    lines.extend(others);
    Ok(lines)
}

/// Asks what answers on a socket for its root, as its runtime's API says.
async fn serving_root(
    local: &Path,
    shown: &Path,
    node: &HostView,
    runtimes: &[StoreRuntime],
) -> (&'static str, Result<String, String>) {
    let t = node.timeout;
    if runtimes.contains(&StoreRuntime::Dockerd) {
        let info = docker::info(local, shown, t).await;
        return (
            "dockerd",
            info.map(|i| i.root_dir).map_err(|e| e.to_string()),
        );
    }
    if runtimes.contains(&StoreRuntime::Containerd) {
        let info = containerd::info(local, shown, t).await;
        let root = info.map_err(|e| e.to_string()).and_then(|i| {
            i.root
                .map(|r| r.display().to_string())
                .ok_or_else(|| "containerd reports no root".to_string())
        });
        return ("containerd", root);
    }
    ("a runtime", Err("its root cannot be asked".into()))
}

/// How a runtime's root `root` stands to `path`, when it does.
fn related(root: &str, path: &str) -> Option<&'static str> {
    let (r, p) = (Path::new(root), Path::new(path));
    if r == p {
        Some("is")
    } else if at_or_under(r, p) {
        Some("lies inside")
    } else if at_or_under(p, r) {
        Some("contains")
    } else {
        None
    }
}

/// No running runtime, of any kind, has its root at, inside or around `path`.
pub(super) fn no_configured_root(
    path: &str,
    roots: &[RunningRoot],
) -> Result<String, LeftoverError> {
    for r in roots {
        if let Some(relation) = related(&r.root, path) {
            return Err(LeftoverError::ConfiguredRoot {
                path: path.into(),
                pid: r.pid,
                comm: r.comm.clone(),
                root: r.root.clone(),
                configured: r.configured.clone(),
                relation,
            });
        }
        if let Some(error) = &r.config_error {
            return Err(LeftoverError::ConfigUnreadable {
                path: path.into(),
                pid: r.pid,
                comm: r.comm.clone(),
                error: error.clone(),
            });
        }
    }
    let seen: Vec<String> = roots
        .iter()
        .map(|r| format!("{} pid {}: {}", r.comm, r.pid, r.root))
        .collect();
    Ok(format!(
        "no running runtime's root is, holds or lies inside {path} ({})",
        if seen.is_empty() {
            "none runs".to_string()
        } else {
            seen.join("; ")
        }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_relate_by_whole_components() {
        assert_eq!(related("/var/lib/docker", "/var/lib/docker"), Some("is"));
        assert_eq!(
            related("/var/lib/docker/containerd/daemon", "/var/lib/docker"),
            Some("lies inside")
        );
        assert_eq!(related("/var/lib", "/var/lib/docker"), Some("contains"));
        assert_eq!(related("/var/lib/docker2", "/var/lib/docker"), None);
        assert_eq!(related("/var/lib/containerd", "/var/lib/docker"), None);
    }
}
