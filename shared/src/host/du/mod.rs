//! Real disk usage, the way `du -sx --block-size=1` counts it.
//!
//! The bytes a removal frees are the blocks the files occupy (st_blocks ×
//! 512), not their apparent sizes and never what a runtime API reports. One
//! [`DiskUsage`] remembers every inode it has counted, so summing several
//! layer directories (which may share hard links) counts each inode once.
//!
//! A big tree is walked by several threads ([`walk`]): a store of a million
//! files costs one `fstatat` per entry, and threads overlap those calls.

mod walk;

pub use walk::limit_threads as limit_walk_threads;

use std::collections::HashSet;
use std::io;
use std::path::Path;

use rustix::fs::FileType;
use rustix::io::Errno;

/// A du-style walker that counts each inode once across all its calls.
#[derive(Debug, Default, Clone)]
pub struct DiskUsage {
    /// `(st_dev, st_ino)` of every directory, every file with more than one
    /// link and every top path counted so far. A file with one link can only
    /// be met again through its directory, whose subtree is then skipped, so
    /// most inodes never need an entry.
    seen: HashSet<(u64, u64)>,
    /// Some top path was a file with one link: walks look up every file.
    loose: bool,
    /// Sum of all bytes returned by [`DiskUsage::add`].
    total: u64,
}

impl DiskUsage {
    pub fn new() -> Self {
        Self::default()
    }

    /// Allocated bytes under `path` that this walker has not counted before.
    ///
    /// Symlinks are never followed (their own blocks count), other
    /// filesystems mounted below `path` are not entered (like `du -x`), and
    /// entries that vanish during the walk are skipped: a runtime may be
    /// deleting a layer while we look. A missing `path` itself is an error.
    pub fn add(&mut self, path: &Path) -> io::Result<u64> {
        let top = Inode::lstat(path)?;
        self.add_top(path, top)
    }

    /// [`DiskUsage::add`], unless `path` is a symlink: then `None`, nothing
    /// counted, so the caller can resolve it (see [`crate::host::dir_handle`]).
    pub fn add_unless_symlink(&mut self, path: &Path) -> io::Result<Option<u64>> {
        let top = Inode::lstat(path)?;
        if top.kind == FileType::Symlink {
            return Ok(None);
        }
        self.add_top(path, top).map(Some)
    }

    fn add_top(&mut self, path: &Path, top: Inode) -> io::Result<u64> {
        if !self.seen.insert(top.key) {
            return Ok(0); // counted before, and so was its subtree
        }
        let mut bytes = top.bytes;
        if top.kind == FileType::Directory {
            bytes += walk::Walk::new(top.key.0, self.loose, &mut self.seen).run(path)?;
        } else if top.nlink <= 1 {
            // This file is in `seen` although it has one link: from now on
            // every file a walk meets must be looked up there.
            self.loose = true;
        }
        self.total += bytes;
        Ok(bytes)
    }

    /// Everything this walker has counted.
    pub fn total(&self) -> u64 {
        self.total
    }
}

/// Allocated bytes of everything under `path` (one fresh walker).
pub fn disk_bytes(path: &Path) -> io::Result<u64> {
    DiskUsage::new().add(path)
}

/// What a walk needs of one inode. Every one comes from the same call,
/// `fstatat(AT_SYMLINK_NOFOLLOW)` (what GNU du makes per entry), so the
/// `(st_dev, st_ino)` keys of top paths and walked entries always agree.
#[derive(Debug, Clone, Copy)]
struct Inode {
    key: (u64, u64),
    /// Allocated bytes: `st_blocks` × 512.
    bytes: u64,
    nlink: u64,
    kind: FileType,
}

impl Inode {
    fn of(stat: &rustix::fs::Stat) -> Self {
        Self {
            key: (num(stat.st_dev), num(stat.st_ino)),
            bytes: num(stat.st_blocks).saturating_mul(512),
            nlink: num(stat.st_nlink),
            kind: FileType::from_raw_mode(stat.st_mode),
        }
    }

    fn lstat(path: &Path) -> io::Result<Self> {
        rustix::fs::lstat(path)
            .map(|stat| Self::of(&stat))
            .map_err(|e| named(path, e.into()))
    }
}

/// A `stat` field as u64, whatever width this architecture gives it.
fn num<T: TryInto<u64>>(v: T) -> u64 {
    v.try_into().unwrap_or(0)
}

/// The entry disappeared between listing and stat (ENOENT), or its parent
/// was replaced by a file or a symlink (ENOTDIR, ELOOP): "deleted meanwhile".
fn vanished(e: Errno) -> bool {
    matches!(e, Errno::NOENT | Errno::NOTDIR | Errno::LOOP)
}

/// io::Error names no path; the caller's message must.
fn named(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::process::Command;

    /// `du -sx --block-size=1 PATH...` (GNU du counts hard links once).
    fn gnu_du(paths: &[&Path]) -> u64 {
        let out = Command::new("du")
            .args(["-sx", "--block-size=1", "--total"])
            .args(paths)
            .output()
            .expect("du runs");
        assert!(out.status.success(), "{out:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        let last = text.lines().last().unwrap();
        last.split_whitespace().next().unwrap().parse().unwrap()
    }

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("a/b/c/d")).unwrap();
        fs::create_dir_all(root.join("e")).unwrap();
        fs::write(root.join("a/big"), vec![7u8; 300_000]).unwrap();
        fs::write(root.join("a/b/c/d/small"), b"x").unwrap();
        fs::write(root.join("e/mid"), vec![1u8; 40_000]).unwrap();
        fs::hard_link(root.join("a/big"), root.join("e/big-link")).unwrap();
        fs::hard_link(root.join("a/big"), root.join("a/b/big-link2")).unwrap();
        // A long target so the symlink needs a block of its own.
        let target = format!("/nowhere/{}", "t".repeat(200));
        std::os::unix::fs::symlink(&target, root.join("a/dangling")).unwrap();
        std::os::unix::fs::symlink("/", root.join("e/to-slash")).unwrap();
        dir
    }

    #[test]
    fn matches_gnu_du_with_hard_links_and_symlinks() {
        let dir = tree();
        assert_eq!(disk_bytes(dir.path()).unwrap(), gnu_du(&[dir.path()]));
    }

    #[test]
    fn counts_shared_inodes_once_across_calls() {
        let dir = tree();
        let (a, e) = (dir.path().join("a"), dir.path().join("e"));
        let mut du = DiskUsage::new();
        let first = du.add(&a).unwrap();
        let second = du.add(&e).unwrap();
        assert_eq!(first, gnu_du(&[&a]));
        // `big` was counted under a/: e/big-link adds nothing.
        assert_eq!(first + second, gnu_du(&[&a, &e]));
        assert!(second < 300_000);
        assert_eq!(du.add(&a).unwrap(), 0, "a repeated path counts nothing");
        // The whole tree adds only what a/ and e/ did not hold.
        let rest = du.add(dir.path()).unwrap();
        assert_eq!(first + second + rest, gnu_du(&[dir.path()]));
        assert_eq!(du.total(), first + second + rest);
    }

    #[test]
    fn a_missing_top_path_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("gone");
        let err = disk_bytes(&missing).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert!(err.to_string().contains("gone"), "{err}");
    }

    #[test]
    fn a_single_file_or_symlink_counts_itself() {
        let dir = tree();
        let big = dir.path().join("a/big");
        assert_eq!(disk_bytes(&big).unwrap(), gnu_du(&[&big]));
        let link = dir.path().join("e/to-slash");
        assert_eq!(disk_bytes(&link).unwrap(), gnu_du(&[&link]));
    }

    #[test]
    fn deep_trees_do_not_recurse() {
        let dir = tempfile::tempdir().unwrap();
        let mut deep = dir.path().to_path_buf();
        for _ in 0..300 {
            deep.push("d");
        }
        fs::create_dir_all(&deep).unwrap();
        assert_eq!(disk_bytes(dir.path()).unwrap(), gnu_du(&[dir.path()]));
    }
}
