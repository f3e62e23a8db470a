//! Processes: none has a file open or mapped under the root, and none has
//! its working or root directory there.
//!
//! `/proc/<pid>/{fd/N,cwd,root,maps}` name paths as the reader sees them
//! for its own mount namespace (under `--host-root`), and as the node sees
//! them for a process of another one, so both spellings count.

use std::path::{Path, PathBuf};

use super::{LeftoverError, at_or_under};
use crate::host::capped_read::read_capped_lossy;
use crate::host::view::HostView;

/// Upper bound on one `maps` file (a large JVM maps tens of thousands).
const MAX_MAPS: u64 = 64 * 1024 * 1024;

/// What `/proc` says a path is, without the kernel's ` (deleted)` mark:
/// a deleted file still open keeps its blocks.
fn clean(target: &Path) -> PathBuf {
    let text = target.to_string_lossy();
    PathBuf::from(text.strip_suffix(" (deleted)").unwrap_or(&text).to_string())
}

struct Under {
    local: PathBuf,
    host: PathBuf,
}

impl Under {
    fn holds(&self, target: &Path) -> bool {
        let target = clean(target);
        at_or_under(&target, &self.local) || at_or_under(&target, &self.host)
    }
}

pub(super) fn unused(node: &HostView, path: &str) -> Result<Vec<String>, LeftoverError> {
    let under = Under {
        local: node.host.local(path),
        host: PathBuf::from(path),
    };
    let proc_root = node.procs.proc_root();
    let unreadable = |what: String, e: std::io::Error| LeftoverError::Unreadable {
        path: path.into(),
        what,
        error: e.to_string(),
    };
    let mut read = 0;
    for p in node.procs.all() {
        let dir = proc_root.join(p.pid.to_string());
        let gone = |e: &std::io::Error| e.kind() == std::io::ErrorKind::NotFound;
        for which in ["cwd", "root"] {
            match std::fs::read_link(dir.join(which)) {
                Ok(target) if under.holds(&target) => {
                    return Err(LeftoverError::WorkingDirectory {
                        path: path.into(),
                        pid: p.pid,
                        comm: p.comm.clone(),
                        which: if which == "cwd" { "working" } else { "root" },
                        dir: clean(&target).display().to_string(),
                    });
                }
                Ok(_) => {}
                Err(e) if gone(&e) => {}
                Err(e) => return Err(unreadable(format!("{}/{which}", dir.display()), e)),
            }
        }
        let fds = match std::fs::read_dir(dir.join("fd")) {
            Ok(fds) => fds,
            Err(e) if gone(&e) => continue,
            Err(e) => return Err(unreadable(format!("{}/fd", dir.display()), e)),
        };
        for fd in fds.filter_map(Result::ok) {
            match std::fs::read_link(fd.path()) {
                Ok(target) if under.holds(&target) => {
                    return Err(LeftoverError::OpenFile {
                        path: path.into(),
                        pid: p.pid,
                        comm: p.comm.clone(),
                        file: clean(&target).display().to_string(),
                        how: format!("fd {}", fd.file_name().to_string_lossy()),
                    });
                }
                Ok(_) => {}
                Err(e) if gone(&e) => {}
                Err(e) => return Err(unreadable(fd.path().display().to_string(), e)),
            }
        }
        let maps = match read_capped_lossy(&dir.join("maps"), MAX_MAPS) {
            Ok(maps) => maps,
            Err(e) if gone(&e) => continue,
            Err(e) => return Err(unreadable(format!("{}/maps", dir.display()), e)),
        };
        if let Some(file) = maps
            .lines()
            .filter_map(mapped_path)
            .find(|f| under.holds(f))
        {
            return Err(LeftoverError::OpenFile {
                path: path.into(),
                pid: p.pid,
                comm: p.comm.clone(),
                file: clean(&file).display().to_string(),
                how: "mapped into memory".into(),
            });
        }
        read += 1;
    }
    Ok(vec![
        format!("no process has a file open or mapped under {path} ({read} processes read)"),
        format!("no process has its working or root directory under {path}"),
    ])
}

/// The file of one `maps` line: the sixth field to the end (it may hold
/// spaces); anonymous and `[heap]`-like mappings have none.
fn mapped_path(line: &str) -> Option<PathBuf> {
    let mut rest = line;
    for _ in 0..5 {
        rest = rest.trim_start();
        rest = &rest[rest.find(char::is_whitespace)?..];
    }
    let file = rest.trim_start();
    file.starts_with('/').then(|| PathBuf::from(file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_lines_name_their_file() {
        let line =
            "7f2c1000-7f2c2000 r-xp 00000000 fd:01 1234        /var/lib/docker/x bin (deleted)";
        assert_eq!(
            mapped_path(line),
            Some(PathBuf::from("/var/lib/docker/x bin (deleted)"))
        );
        assert_eq!(
            clean(&mapped_path(line).unwrap()),
            Path::new("/var/lib/docker/x bin")
        );
        assert_eq!(mapped_path("7f-80 rw-p 00000000 00:00 0 [heap]"), None);
        assert_eq!(mapped_path("7f-80 rw-p 00000000 00:00 0"), None);
        assert_eq!(mapped_path("garbage"), None);
    }

    #[test]
    fn paths_count_by_whole_components_in_both_spellings() {
        let under = Under {
            local: PathBuf::from("/host/var/lib/docker"),
            host: PathBuf::from("/var/lib/docker"),
        };
        assert!(under.holds(Path::new("/host/var/lib/docker/image/x")));
        assert!(under.holds(Path::new("/var/lib/docker")));
        assert!(under.holds(Path::new("/var/lib/docker/f (deleted)")));
        assert!(!under.holds(Path::new("/var/lib/docker2/f")));
        assert!(!under.holds(Path::new("socket:[123]")));
    }
}
