//! `--remove-leftover-store PATH`: a whole store whose runtime is not
//! running (a runtime-switch leftover) removed at once, and only when
//! nothing on the node can be using it.
//!
//! The report says which stores are offline, but it is as old as the scan
//! (a prune prompts in between), so every condition is read again from the
//! node as it is now: its processes, sockets, mounts and runtimes' roots.

mod mounts;
mod runtimes;
mod uses;

use std::path::Path;

use super::measure;
use super::report::LeftoverRemoved;
use crate::host::root::is_loop;
use crate::host::view::HostView;
use crate::model::node_report::NodeReport;

/// A leftover store that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leftover {
    /// The exact root the user named (host path).
    pub path: String,
    /// The report's stores at that root.
    pub stores: Vec<String>,
    /// Their `diskBytes`.
    pub predicted_bytes: u64,
    /// One line per check that held.
    pub checks: Vec<String>,
}

/// Why a root stays. Each names the path, what was found and the fix.
#[derive(Debug, thiserror::Error)]
pub enum LeftoverError {
    #[error(
        "{path} is not the root of any store in this node's report: --remove-leftover-store takes the exact root of an offline store, as `kubectl imgdup node --local` lists it. Offline stores here: {offline}"
    )]
    NotAStoreRoot { path: String, offline: String },
    #[error(
        "{path} is {state} ({stores}): only an offline store (a runtime-switch leftover) is removed whole; prune its duplicate copies image by image instead. Offline stores here: {offline}"
    )]
    NotOffline {
        path: String,
        state: String,
        stores: String,
        offline: String,
    },
    #[error(
        "{path} is the root of {comm} (pid {pid}), which is running ({configured}): it is not a leftover. Stop and disable {comm} for good first, or prune image by image"
    )]
    RuntimeRunning {
        path: String,
        pid: u32,
        comm: String,
        configured: String,
    },
    #[error(
        "{path}: something answers on {socket} ({detail}), so its runtime may be running. Stop what listens there (`ss -xlp | grep {socket}`) and run again"
    )]
    SocketAnswers {
        path: String,
        socket: String,
        detail: String,
    },
    #[error(
        "{path}: {comm} (pid {pid}) runs with root {root} ({configured}), which {relation} {path}. Stop it, or move its root elsewhere, and run again"
    )]
    ConfiguredRoot {
        path: String,
        pid: u32,
        comm: String,
        root: String,
        configured: String,
        relation: &'static str,
    },
    #[error(
        "{path}: {comm} (pid {pid}) runs, and its config cannot be read ({error}), so its root may be {path}. Fix the config and run again"
    )]
    ConfigUnreadable {
        path: String,
        pid: u32,
        comm: String,
        error: String,
    },
    #[error("{path}: {comm} (pid {pid}) has {file} open ({how}). Stop that process and run again")]
    OpenFile {
        path: String,
        pid: u32,
        comm: String,
        file: String,
        how: String,
    },
    #[error(
        "{path}: {comm} (pid {pid}) has its {which} directory at {dir}. Stop that process and run again"
    )]
    WorkingDirectory {
        path: String,
        pid: u32,
        comm: String,
        which: &'static str,
        dir: String,
    },
    #[error(
        "{path}: {what} (mount id {id}, mountpoint {mountpoint}). Unmount it (`umount {mountpoint}`) and run again"
    )]
    Mounted {
        path: String,
        id: u64,
        mountpoint: String,
        what: String,
    },
    #[error(
        "{path}: cannot read {what} ({error}), so nothing proves that it is unused. Run as root with the node's /proc (--proc)"
    )]
    Unreadable {
        path: String,
        what: String,
        error: String,
    },
    #[error(
        "{path}: this run may not dial sockets (offline), so nothing proves that its runtime is down. Run without the offline mode"
    )]
    CannotDial { path: String },
    /// The cause is only in `source`: printed as a chain, it is said once.
    #[error("{path}: cannot measure it before removal")]
    Measure {
        path: String,
        source: std::io::Error,
    },
    /// The cause comes before the fix, so it is said here and is not a
    /// `source` (printing the chain would repeat it).
    #[error(
        "removing {path} failed midway: {error}; part of the tree may be gone. Fix the cause and run again (the same checks run first), or remove it by hand"
    )]
    RemoveFailed { path: String, error: std::io::Error },
}

/// Runs every check for `path` against the node as it is now.
pub async fn check(
    node: &HostView,
    report: &NodeReport,
    path: &str,
) -> Result<Leftover, LeftoverError> {
    let canonical = node.canonical(path);
    let offline = offline_roots(report);
    let not_a_root = || LeftoverError::NotAStoreRoot {
        path: path.to_string(),
        offline: offline.clone(),
    };
    if !path.starts_with('/') || is_loop(Path::new(&canonical)) || canonical == "/" {
        return Err(not_a_root());
    }
    let stores: Vec<_> = report
        .stores
        .iter()
        .filter(|s| s.path == canonical)
        .collect();
    if stores.is_empty() {
        return Err(not_a_root());
    }
    let path = canonical;
    let busy: Vec<_> = stores.iter().filter(|s| s.live || s.active).collect();
    if !busy.is_empty() {
        let active = busy.iter().any(|s| s.active);
        return Err(LeftoverError::NotOffline {
            path,
            state: if active {
                "the active store"
            } else {
                "a live store"
            }
            .into(),
            stores: busy
                .iter()
                .map(|s| s.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            offline,
        });
    }
    let ids: Vec<String> = stores.iter().map(|s| s.id.clone()).collect();
    let mut checks = vec![format!(
        "{path} is the root of {}, offline and not active in the scan",
        ids.join(", ")
    )];
    // The processes as they are now, not as they were at the scan.
    let now = node.rescanned().map_err(|e| LeftoverError::Unreadable {
        path: path.clone(),
        what: format!("processes in {}", node.procs.proc_root().display()),
        error: e.to_string(),
    })?;
    let runtimes: Vec<_> = stores.iter().map(|s| s.runtime).collect();
    let roots = runtimes::running_roots(&now);
    checks.push(runtimes::not_running(&path, &runtimes, &roots)?);
    let endpoints: Vec<String> = stores.iter().filter_map(|s| s.endpoint.clone()).collect();
    checks.extend(runtimes::no_socket_answers(&now, &path, &runtimes, &endpoints).await?);
    checks.push(runtimes::no_configured_root(&path, &roots)?);
    checks.extend(uses::unused(&now, &path)?);
    checks.push(mounts::unmounted(&now, &path)?);
    Ok(Leftover {
        path,
        stores: ids,
        predicted_bytes: stores.iter().map(|s| s.disk_bytes).sum(),
        checks,
    })
}

/// Checks again, then removes the root and measures what came back.
pub async fn remove(
    node: &HostView,
    report: &NodeReport,
    path: &str,
) -> Result<LeftoverRemoved, LeftoverError> {
    let leftover = check(node, report, path).await?;
    let path = leftover.path;
    let measure_error = |source| LeftoverError::Measure {
        path: path.clone(),
        source,
    };
    let measured = measure::du(&node.host, &path).map_err(measure_error)?;
    let free_before = measure::free_bytes(&node.host, &path).map_err(measure_error)?;
    // Does not follow symlinks: a link inside the store is removed, not its target.
    std::fs::remove_dir_all(node.host.local(&path)).map_err(|error| {
        LeftoverError::RemoveFailed {
            path: path.clone(),
            error,
        }
    })?;
    let free_after = measure::free_bytes(&node.host, &path).map_err(measure_error)?;
    Ok(LeftoverRemoved {
        path,
        predicted_bytes: leftover.predicted_bytes,
        measured_bytes: measured,
        free_bytes_delta: measure::delta(free_before, free_after),
        checks: leftover.checks,
    })
}

/// The offline store roots the report knows, for a refusal's message.
fn offline_roots(report: &NodeReport) -> String {
    let mut roots: Vec<&str> = report
        .stores
        .iter()
        .filter(|s| !s.live && !s.active)
        .map(|s| s.path.as_str())
        .collect();
    roots.sort();
    roots.dedup();
    if roots.is_empty() {
        "none".into()
    } else {
        roots.join(", ")
    }
}

/// `a` is `b` or lies under it, by whole components.
fn at_or_under(a: &Path, b: &Path) -> bool {
    a.starts_with(b)
}

#[cfg(test)]
mod error_tests {
    use super::*;

    #[test]
    fn measure_and_remove_errors_say_their_cause_once() {
        let e = LeftoverError::Measure {
            path: "/var/lib/docker".into(),
            source: std::io::Error::from_raw_os_error(libc::EIO),
        };
        assert_eq!(
            crate::model::causes::printed_once(e, "Input/output error"),
            "/var/lib/docker: cannot measure it before removal: Input/output error (os error 5)"
        );
        let e = LeftoverError::RemoveFailed {
            path: "/var/lib/docker".into(),
            error: std::io::Error::from_raw_os_error(libc::EBUSY),
        };
        assert_eq!(
            crate::model::causes::printed_once(e, "busy"),
            "removing /var/lib/docker failed midway: Device or resource busy (os error 16); part of the tree may be gone. Fix the cause and run again (the same checks run first), or remove it by hand"
        );
    }
}
