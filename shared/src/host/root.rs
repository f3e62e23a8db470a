//! Host paths seen through `--host-root`.
//!
//! The same scan runs on a node (`/`), inside a debug pod (`/host`) and in the
//! lab, so every path we learn (from a flag, a config file, a default) is a
//! *host* path that must be looked up under the host root. Symlinks inside the
//! host (`/var/run -> /run`) are resolved *within* that root, like
//! `openat2(RESOLVE_IN_ROOT)`: an absolute target restarts at the root and `..`
//! never climbs above it, so a hostile symlink cannot lead us outside.

use std::collections::HashSet;
use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

/// How many symlinks one lookup may follow before we call it a loop (Linux uses 40).
const MAX_SYMLINKS: usize = 40;

/// Appended to a path component whose symlinks never end (see [`is_loop`]).
pub const SYMLINK_LOOP: &str = " (symlink loop)";

/// Whether a canonical path went through a symlink loop: nothing there can be read.
pub fn is_loop(canonical: &Path) -> bool {
    canonical
        .components()
        .any(|c| c.as_os_str().to_string_lossy().ends_with(SYMLINK_LOOP))
}

/// The directory that stands for the node's `/`.
#[derive(Debug, Clone)]
pub struct HostRoot {
    root: PathBuf,
    /// Host directories already seen not to be symlinks: a store scan opens
    /// tens of thousands of files under the same few directories, and one
    /// `readlink` per path component each time dominated it.
    plain_dirs: Arc<Mutex<HashSet<PathBuf>>>,
    /// `/var/run` is a symlink to `/run` on every current distro, but a pod
    /// that mounts the node's `/run` gets no `/var/run` at all: then it is
    /// taken as that symlink, so `/var/run/docker.sock` still resolves.
    var_run_is_run: bool,
}

impl PartialEq for HostRoot {
    fn eq(&self, other: &Self) -> bool {
        self.root == other.root
    }
}

impl Eq for HostRoot {}

impl Default for HostRoot {
    fn default() -> Self {
        Self::new("/")
    }
}

impl HostRoot {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        let root: PathBuf = root.into();
        let root = if root.as_os_str().is_empty() {
            PathBuf::from("/")
        } else {
            root
        };
        let var_run_is_run =
            root.join("var/run").symlink_metadata().is_err() && root.join("run").is_dir();
        Self {
            root,
            plain_dirs: Arc::default(),
            var_run_is_run,
        }
    }

    /// The directory standing for `/`.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Whether this is the real `/` (then local paths are host paths).
    pub fn is_slash(&self) -> bool {
        self.root == Path::new("/")
    }

    /// The host path with every symlink resolved inside the root, e.g.
    /// `/var/run/docker.sock` becomes `/run/docker.sock`. Components that do
    /// not exist are kept as written.
    pub fn canonical(&self, host_path: impl AsRef<Path>) -> PathBuf {
        let mut resolved = PathBuf::from("/");
        let mut pending: Vec<OsString> = components(host_path.as_ref());
        pending.reverse();
        let mut followed = 0;
        while let Some(name) = pending.pop() {
            if name == ".." {
                resolved.pop();
                continue;
            }
            let candidate = resolved.join(&name);
            let is_dir_component = !pending.is_empty();
            if is_dir_component && self.known_plain(&candidate) {
                resolved = candidate;
                continue;
            }
            let local = self.join_raw(&candidate);
            let link = if self.var_run_is_run && candidate == Path::new("/var/run") {
                Ok(PathBuf::from("/run"))
            } else {
                std::fs::read_link(&local)
            };
            match link {
                Err(_) if is_dir_component => {
                    self.remember_plain(&candidate);
                    resolved = candidate;
                }
                Ok(target) if followed < MAX_SYMLINKS => {
                    followed += 1;
                    if target.is_absolute() {
                        resolved = PathBuf::from("/");
                    }
                    let mut more = components(&target);
                    more.reverse();
                    pending.extend(more);
                }
                // Still a symlink after 40: handing it to the kernel would
                // follow it from the real `/`, out of the root. A name that
                // cannot exist makes every open fail instead, and says why.
                Ok(_) => {
                    let mut looped = name;
                    looped.push(SYMLINK_LOOP);
                    resolved.push(looped);
                }
                Err(_) => resolved = candidate,
            }
        }
        resolved
    }

    /// The local path to open for a host path (symlinks resolved inside the root).
    pub fn local(&self, host_path: impl AsRef<Path>) -> PathBuf {
        self.join_raw(&self.canonical(host_path))
    }

    /// Maps a local path under the root back to the host path it stands for.
    pub fn to_host(&self, local: &Path) -> PathBuf {
        match local.strip_prefix(&self.root) {
            Ok(rest) => Path::new("/").join(rest),
            Err(_) => local.to_path_buf(),
        }
    }

    fn known_plain(&self, dir: &Path) -> bool {
        self.plain_dirs
            .lock()
            .map(|set| set.contains(dir))
            .unwrap_or(false)
    }

    fn remember_plain(&self, dir: &Path) {
        if let Ok(mut set) = self.plain_dirs.lock() {
            set.insert(dir.to_path_buf());
        }
    }

    fn join_raw(&self, host_path: &Path) -> PathBuf {
        let rel = host_path.strip_prefix("/").unwrap_or(host_path);
        if rel.as_os_str().is_empty() {
            self.root.clone()
        } else {
            self.root.join(rel)
        }
    }
}

/// Normal components and `..`; `.` and the root are dropped.
fn components(path: &Path) -> Vec<OsString> {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_os_string()),
            Component::ParentDir => Some(OsString::from("..")),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn resolves_absolute_symlinks_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("run")).unwrap();
        std::fs::create_dir_all(dir.path().join("var")).unwrap();
        symlink("/run", dir.path().join("var/run")).unwrap();
        let host = HostRoot::new(dir.path());
        assert_eq!(
            host.canonical("/var/run/docker.sock"),
            Path::new("/run/docker.sock")
        );
        assert_eq!(
            host.local("/var/run/docker.sock"),
            dir.path().join("run/docker.sock")
        );
    }

    #[test]
    fn a_missing_var_run_is_taken_as_the_run_symlink() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("run")).unwrap();
        std::fs::create_dir_all(dir.path().join("var/lib")).unwrap();
        let host = HostRoot::new(dir.path());
        assert_eq!(
            host.canonical("/var/run/docker.sock"),
            Path::new("/run/docker.sock")
        );
        // A real /var/run directory is left alone.
        std::fs::create_dir_all(dir.path().join("var/run")).unwrap();
        let host = HostRoot::new(dir.path());
        assert_eq!(
            host.canonical("/var/run/docker.sock"),
            Path::new("/var/run/docker.sock")
        );
    }

    #[test]
    fn symlinks_cannot_escape_the_root() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("var/lib")).unwrap();
        symlink("../../../../../../etc", dir.path().join("var/lib/docker")).unwrap();
        symlink("/etc/passwd", dir.path().join("var/lib/abs")).unwrap();
        let host = HostRoot::new(dir.path());
        assert_eq!(host.local("/var/lib/docker"), dir.path().join("etc"));
        assert_eq!(host.local("/var/lib/abs"), dir.path().join("etc/passwd"));
        assert_eq!(host.local("/../../x"), dir.path().join("x"));
    }

    #[test]
    fn symlink_loops_stop() {
        let dir = tempfile::tempdir().unwrap();
        symlink("/b", dir.path().join("a")).unwrap();
        symlink("/a", dir.path().join("b")).unwrap();
        let host = HostRoot::new(dir.path());
        // Terminates; the result is some path inside the root.
        assert!(host.local("/a/x").starts_with(dir.path()));
    }

    #[test]
    fn a_loop_never_hands_the_kernel_a_symlink_to_follow_from_the_real_root() {
        // Outside the root: what the kernel would reach if it followed
        // `/var/lib/docker -> /var/lib/docker` itself, from the real `/`.
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), b"outside").unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("var/lib")).unwrap();
        symlink("/var/lib/docker", dir.path().join("var/lib/docker")).unwrap();
        // A chain as long as our budget, then one link that points outside.
        let far = outside.path().display().to_string();
        symlink(&far, dir.path().join("l40")).unwrap();
        for i in 0..40 {
            symlink(format!("/l{}", i + 1), dir.path().join(format!("l{i}"))).unwrap();
        }
        let host = HostRoot::new(dir.path());
        for path in ["/var/lib/docker/image", "/l0/secret"] {
            let canonical = host.canonical(path);
            assert!(is_loop(&canonical), "{canonical:?}");
            let local = host.local(path);
            assert!(local.starts_with(dir.path()), "{local:?}");
            assert_eq!(
                std::fs::read(&local).unwrap_err().kind(),
                std::io::ErrorKind::NotFound,
                "{local:?} must not be readable"
            );
        }
        assert!(!is_loop(&host.canonical("/var/lib")));
    }

    #[test]
    fn maps_local_paths_back_to_host_paths() {
        let host = HostRoot::new("/host");
        assert_eq!(
            host.to_host(Path::new("/host/var/lib/docker")),
            Path::new("/var/lib/docker")
        );
        assert_eq!(
            HostRoot::default().local("/run/x.sock"),
            Path::new("/run/x.sock")
        );
    }
}
