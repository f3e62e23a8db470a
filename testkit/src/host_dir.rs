//! A throwaway host root for tests that need a node's files but no daemon:
//! write files at host paths (`/etc/crictl.yaml`) under a temp dir and point
//! `--host-root` at it.

use std::path::{Path, PathBuf};

pub struct HostDir {
    pub dir: tempfile::TempDir,
}

impl Default for HostDir {
    fn default() -> Self {
        Self::new()
    }
}

impl HostDir {
    /// A short path under `/tmp`: a unix socket path must stay under 108 bytes.
    pub fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("cw")
            .tempdir_in("/tmp")
            .expect("cannot create a temp dir in /tmp");
        Self { dir }
    }

    /// The local path of a host path.
    pub fn path(&self, host_path: &str) -> PathBuf {
        self.dir.path().join(host_path.trim_start_matches('/'))
    }

    /// Writes a file at a host path, creating its directories.
    pub fn write(&self, host_path: &str, text: &str) {
        let p = self.path(host_path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    /// A symlink at a host path, to `target` taken literally (it may be
    /// absolute, relative or point outside the root: that is the point).
    pub fn symlink(&self, host_path: &str, target: impl AsRef<Path>) {
        let p = self.path(host_path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(target, p).unwrap();
    }

    /// An empty directory to pass as `--proc`: no process is visible, so a
    /// test does not see the daemons other tests run on this machine.
    pub fn empty_proc(&self) -> PathBuf {
        let p = self.path("/.test-proc");
        std::fs::create_dir_all(&p).unwrap();
        p
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }
}
