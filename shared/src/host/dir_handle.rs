//! A host directory resolved once, its entries opened relative to it.
//!
//! A store scan reads tens of thousands of files below a few directories
//! (`layerdb/sha256/<chainid>/diff`, `blobs/sha256/<hex>`). Resolving every
//! full path inside the host root ([`HostRoot::canonical`]) cost a
//! `readlink` per path component, which dominated a 10k-image scan. Here the
//! directory is resolved once and each entry is one `openat(O_NOFOLLOW)` (or
//! `fstatat(AT_SYMLINK_NOFOLLOW)`) relative to its descriptor: no symlink is
//! ever followed on the fast path. An entry that *is* a symlink (or a name
//! that is not a single component) takes the slow path through the host
//! root, so a hostile link still resolves inside it and never outside.

use std::fs::File;
use std::io;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;

use crate::host::capped_read;
use crate::host::du::DiskUsage;
use crate::host::root::HostRoot;

/// An open directory of the host, symlinks above it resolved inside the root.
#[derive(Debug)]
pub struct HostDir {
    host: HostRoot,
    host_path: PathBuf,
    /// Where it is opened here; no symlink below the root's own resolution.
    local: PathBuf,
    fd: OwnedFd,
}

const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::CLOEXEC)
    .union(OFlags::NOFOLLOW);
/// NONBLOCK: a FIFO swapped in after the stat must not block the open.
const FILE_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::CLOEXEC)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::NONBLOCK)
    .union(OFlags::NOCTTY);

impl HostDir {
    /// Opens the host directory `host_path` (e.g. `/var/lib/docker/overlay2`).
    pub fn open(host: &HostRoot, host_path: impl AsRef<Path>) -> io::Result<Self> {
        let host_path = host_path.as_ref().to_path_buf();
        let local = host.local(&host_path);
        // The resolved path holds no symlink, but the directory itself may
        // be one only if resolution gave up (a loop): refuse it then.
        let fd = rustix::fs::open(&local, DIR_FLAGS, Mode::empty())?;
        Ok(Self {
            host: host.clone(),
            host_path,
            local,
            fd,
        })
    }

    /// The host path of the entry `name`, for messages.
    pub fn entry(&self, name: &str) -> PathBuf {
        self.host_path.join(name)
    }

    /// The subdirectory `name`.
    pub fn sub(&self, name: &str) -> io::Result<Self> {
        if !is_single(name) {
            return Self::open(&self.host, self.entry(name));
        }
        match rustix::fs::openat(&self.fd, name, DIR_FLAGS, Mode::empty()) {
            Ok(fd) => Ok(Self {
                host: self.host.clone(),
                host_path: self.entry(name),
                local: self.local.join(name),
                fd,
            }),
            // A symlink (ELOOP, or ENOTDIR on some kernels): resolve it in the root.
            Err(Errno::LOOP | Errno::NOTDIR) => Self::open(&self.host, self.entry(name)),
            Err(e) => Err(e.into()),
        }
    }

    /// Entry names, sorted. A name that is not UTF-8 comes lossy: no
    /// store writes one, so the caller reports it as a stray, not a skip.
    pub fn names(&self) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(&self.local)? {
            names.push(entry?.file_name().to_string_lossy().into_owned());
        }
        names.sort();
        Ok(names)
    }

    /// The regular file `name`, opened, with its size, when it holds at
    /// most `cap` bytes; errors as [`capped_read::read_capped`]'s.
    pub fn open_file(&self, name: &str, cap: u64) -> io::Result<(File, u64)> {
        if !is_single(name) {
            return self.open_resolved(name, cap);
        }
        // Stat before open, as capped_read does: opening some devices acts.
        let stat = rustix::fs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW)?;
        let kind = FileType::from_raw_mode(stat.st_mode);
        if kind == FileType::Symlink {
            return self.open_resolved(name, cap);
        }
        let len = u64::try_from(stat.st_size).unwrap_or(0);
        capped_read::admit(kind_name(kind), len, cap)?;
        match rustix::fs::openat(&self.fd, name, FILE_FLAGS, Mode::empty()) {
            Ok(fd) => Ok((File::from(fd), len)),
            Err(Errno::LOOP) => self.open_resolved(name, cap), // swapped for a symlink
            Err(e) => Err(e.into()),
        }
    }

    /// Reads the regular file `name` whole, bounded like [`capped_read::read_capped`].
    pub fn read_capped(&self, name: &str, cap: u64) -> io::Result<Vec<u8>> {
        let (file, len) = self.open_file(name, cap)?;
        capped_read::read_opened(file, len, cap)
    }

    /// Adds what `name` occupies to `du` (see [`DiskUsage::add`]).
    pub fn disk_usage(&self, du: &mut DiskUsage, name: &str) -> io::Result<u64> {
        if is_single(name) {
            if let Some(bytes) = du.add_unless_symlink(&self.local.join(name))? {
                return Ok(bytes);
            }
        }
        du.add(&self.host.local(self.entry(name)))
    }

    /// The slow path: the whole host path resolved inside the root.
    fn open_resolved(&self, name: &str, cap: u64) -> io::Result<(File, u64)> {
        capped_read::open_capped(&self.host.local(self.entry(name)), cap)
    }
}

/// One plain path component: nothing to resolve but the name itself.
fn is_single(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains('/')
}

/// As [`capped_read::file_kind`], for a type from `fstatat`.
fn kind_name(kind: FileType) -> Option<&'static str> {
    match kind {
        FileType::RegularFile => None,
        FileType::Directory => Some("a directory"),
        FileType::Fifo => Some("a FIFO"),
        FileType::Socket => Some("a socket"),
        FileType::CharacterDevice | FileType::BlockDevice => Some("a device"),
        _ => Some("not a file"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::symlink;

    /// A root with a plain store and symlinks pointing inside and outside.
    fn root() -> (tempfile::TempDir, tempfile::TempDir) {
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("secret"), b"outside").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("var/lib/store");
        fs::create_dir_all(store.join("sub")).unwrap();
        fs::create_dir_all(dir.path().join("elsewhere")).unwrap();
        fs::write(store.join("plain"), b"plain").unwrap();
        fs::write(store.join("sub/file"), b"in sub").unwrap();
        fs::write(dir.path().join("elsewhere/file"), b"elsewhere").unwrap();
        fs::write(dir.path().join("secret"), b"inside").unwrap();
        // Absolute targets: the host's paths, so they resolve inside the root.
        symlink("/elsewhere", store.join("linked-dir")).unwrap();
        symlink("/elsewhere/file", store.join("linked-file")).unwrap();
        let far = outside.path().join("secret");
        symlink(&far, store.join("escape")).unwrap();
        symlink("../../../../../../../../secret", store.join("climb")).unwrap();
        (dir, outside)
    }

    #[test]
    fn reads_plain_entries_and_resolves_symlinks_inside_the_root() {
        let (dir, _outside) = root();
        let host = HostRoot::new(dir.path());
        let store = HostDir::open(&host, "/var/lib/store").unwrap();
        assert_eq!(store.read_capped("plain", 100).unwrap(), b"plain");
        assert_eq!(
            store.sub("sub").unwrap().read_capped("file", 100).unwrap(),
            b"in sub"
        );
        assert_eq!(store.read_capped("sub/file", 100).unwrap(), b"in sub");
        assert_eq!(store.read_capped("linked-file", 100).unwrap(), b"elsewhere");
        let linked = store.sub("linked-dir").unwrap();
        assert_eq!(linked.read_capped("file", 100).unwrap(), b"elsewhere");
        assert_eq!(
            linked.entry("file"),
            Path::new("/var/lib/store/linked-dir/file")
        );
        // Neither an absolute target nor `..` leaves the root.
        assert_eq!(
            store.read_capped("escape", 100).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
        assert_eq!(store.read_capped("climb", 100).unwrap(), b"inside");
        assert_eq!(
            store.names().unwrap(),
            [
                "climb",
                "escape",
                "linked-dir",
                "linked-file",
                "plain",
                "sub"
            ]
        );
    }

    #[test]
    fn refuses_what_node_file_refuses() {
        let (dir, _outside) = root();
        let host = HostRoot::new(dir.path());
        let store = HostDir::open(&host, "/var/lib/store").unwrap();
        let e = store.read_capped("plain", 4).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::FileTooLarge);
        let e = store.read_capped("sub", 100).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        assert!(e.to_string().contains("a directory"), "{e}");
        let fifo = dir.path().join("var/lib/store/fifo");
        testkit::bad_socket::fifo(&fifo);
        let e = store.read_capped("fifo", 100).unwrap_err();
        assert!(e.to_string().contains("a FIFO"), "{e}");
        let e = store.read_capped("absent", 100).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        assert!(store.sub("plain").is_err());
    }

    #[test]
    fn disk_usage_of_a_symlinked_entry_is_its_target_inside_the_root() {
        let (dir, _outside) = root();
        let host = HostRoot::new(dir.path());
        let store = HostDir::open(&host, "/var/lib/store").unwrap();
        let mut du = DiskUsage::new();
        let linked = store.disk_usage(&mut du, "linked-dir").unwrap();
        let direct = crate::host::du::disk_bytes(&dir.path().join("elsewhere")).unwrap();
        assert_eq!(linked, direct);
        let plain = store.disk_usage(&mut du, "sub").unwrap();
        assert_eq!(
            plain,
            crate::host::du::disk_bytes(&dir.path().join("var/lib/store/sub")).unwrap()
        );
        assert!(store.disk_usage(&mut du, "absent").is_err());
    }
}
