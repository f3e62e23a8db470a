//! The directory walk behind [`super::DiskUsage::add`]: parallel when the
//! tree is big enough to pay for it.
//!
//! The caller's thread starts alone. Once it has listed [`SPAWN_AFTER`]
//! directories and more are waiting, helpers join it (see [`MIN_THREADS`])
//! and all take directories from one shared stack. The helpers of all walks
//! share one budget ([`HELPERS`]): the layer reads run a walk on every rayon
//! worker, and each starting its own set multiplied the threads by up to 16. Taking
//! the newest first keeps the walk depth-first, so the stack stays small and
//! each thread holds one directory handle at a time. A layer directory of a
//! few entries (the node scan walks thousands of them) never starts a thread.
//!
//! Each entry costs one `fstatat(dirfd, name, AT_SYMLINK_NOFOLLOW)`, GNU
//! du's call, through rustix's raw syscalls: symlinks are never followed.
//! (std's `read_dir` + `DirEntry::metadata` asked `statx` for more fields
//! and allocated per entry; the walk was 15 % slower.) Only
//! directories and files with several links go through the shared `seen`
//! set, once per directory listed, so the threads rarely wait on it.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};

use rustix::fs::{AtFlags, Dir, FileType, Mode, OFlags};

use super::{Inode, named, vanished};

/// Directories the caller lists alone before helpers start.
const SPAWN_AFTER: usize = 64;
/// Threads per walk: twice the CPUs, within these bounds. A thread waiting
/// for an inode to be read from disk (a store nobody read lately) holds no
/// CPU, so more threads than CPUs keep more reads in flight; past 16 they
/// only queue on the filesystem's locks.
const MIN_THREADS: usize = 4;
const MAX_THREADS: usize = 16;

static THREADS: OnceLock<usize> = OnceLock::new();

/// Caps every later walk at `n` threads (at least 1), before the first walk:
/// `kubectl imgdup serve` scans on one thread so a node's workloads keep its
/// CPUs. False when a walk already fixed the number.
pub fn limit_threads(n: usize) -> bool {
    THREADS.set(n.max(1)).is_ok()
}

/// Threads for a big walk. Asked once: `available_parallelism` reads the
/// cgroup files on every call, which a scan of thousands of layer
/// directories would otherwise pay each time.
fn threads() -> usize {
    *THREADS.get_or_init(|| {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        (2 * cpus).clamp(MIN_THREADS, MAX_THREADS)
    })
}

/// Helper threads running now, in every walk of the process together; at
/// most [`threads`] − 1, so a scan's walks never hold more threads than one
/// big walk does.
static HELPERS: AtomicUsize = AtomicUsize::new(0);

/// The most helpers ever seen running at once (the tests check the cap).
#[cfg(test)]
static PEAK_HELPERS: AtomicUsize = AtomicUsize::new(0);

/// One helper's place in [`HELPERS`], given back when the helper ends.
struct HelperSlot;

impl HelperSlot {
    /// Up to `want` slots, as many as the budget has free.
    fn take(want: usize) -> Vec<HelperSlot> {
        let cap = threads() - 1;
        let mut got = 0;
        let _ = HELPERS.fetch_update(Ordering::AcqRel, Ordering::Acquire, |running| {
            got = want.min(cap.saturating_sub(running));
            Some(running + got)
        });
        #[cfg(test)]
        PEAK_HELPERS.fetch_max(HELPERS.load(Ordering::Acquire), Ordering::AcqRel);
        (0..got).map(|_| HelperSlot).collect()
    }
}

impl Drop for HelperSlot {
    fn drop(&mut self) {
        HELPERS.fetch_sub(1, Ordering::AcqRel);
    }
}

/// One walk below a top directory that has been counted already.
pub(super) struct Walk<'a> {
    /// The top's filesystem: no entry on another one is counted (`du -x`).
    dev: u64,
    /// Look up files with one link in `seen` too (a top path was one).
    loose: bool,
    seen: Mutex<&'a mut HashSet<(u64, u64)>>,
    queue: Mutex<Queue>,
    /// Wakes idle threads: work was pushed, or the walk is over.
    wake: Condvar,
}

#[derive(Default)]
struct Queue {
    dirs: Vec<PathBuf>,
    /// Threads listing a directory now (they may push more).
    busy: usize,
    /// Threads waiting on `wake`: with none, a notify is a wasted syscall
    /// (a scan walks thousands of small layer directories alone).
    waiting: usize,
    bytes: u64,
    error: Option<io::Error>,
}

/// An entry that may have been counted before.
struct Shared {
    key: (u64, u64),
    bytes: u64,
    dir: Option<PathBuf>,
}

impl<'a> Walk<'a> {
    pub(super) fn new(dev: u64, loose: bool, seen: &'a mut HashSet<(u64, u64)>) -> Self {
        Self {
            dev,
            loose,
            seen: Mutex::new(seen),
            queue: Mutex::new(Queue::default()),
            wake: Condvar::new(),
        }
    }

    /// Bytes below `top` (not `top`'s own), each new inode once.
    pub(super) fn run(self, top: &Path) -> io::Result<u64> {
        self.lock().dirs.push(top.to_path_buf());
        let this = &self;
        std::thread::scope(|scope| {
            let mut spawn = || {
                for slot in HelperSlot::take(threads() - 1) {
                    scope.spawn(move || {
                        let _slot = slot;
                        this.work(None)
                    });
                }
            };
            self.work(Some(&mut spawn));
        });
        let queue = self.queue.into_inner().unwrap_or_else(|e| e.into_inner());
        match queue.error {
            Some(e) => Err(e),
            None => Ok(queue.bytes),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        // A panicking thread cannot leave the queue half-changed.
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn notify(&self, queue: &Queue) {
        if queue.waiting > 0 {
            self.wake.notify_all();
        }
    }

    /// Lists directories until none is left; `spawn` (the caller's thread
    /// only) starts the helpers once the tree proves big.
    fn work(&self, mut spawn: Option<&mut dyn FnMut()>) {
        let (mut listed, mut bytes) = (0usize, 0u64);
        let mut found: Vec<PathBuf> = Vec::new();
        let mut shared: Vec<Shared> = Vec::new();
        let mut current: Option<PathBuf> = None;
        loop {
            let mut queue = self.lock();
            if current.take().is_some() {
                queue.busy -= 1;
                if !found.is_empty() {
                    queue.dirs.append(&mut found);
                    self.notify(&queue);
                }
            }
            let big = listed >= SPAWN_AFTER && queue.dirs.len() > 1;
            if let Some(spawn) = spawn.take_if(|_| big) {
                drop(queue);
                spawn();
                queue = self.lock();
            }
            let dir = loop {
                if queue.error.is_some() {
                    break None;
                }
                if let Some(dir) = queue.dirs.pop() {
                    queue.busy += 1;
                    break Some(dir);
                }
                if queue.busy == 0 {
                    self.notify(&queue); // the walk is over
                    break None;
                }
                queue.waiting += 1;
                queue = self.wake.wait(queue).unwrap_or_else(|e| e.into_inner());
                queue.waiting -= 1;
            };
            let Some(dir) = dir else {
                queue.bytes += bytes;
                return;
            };
            drop(queue);
            listed += 1;
            if let Err(e) = self.list(&dir, &mut bytes, &mut shared, &mut found) {
                let mut queue = self.lock();
                queue.error.get_or_insert(e);
                queue.busy -= 1;
                queue.bytes += bytes;
                self.notify(&queue);
                return;
            }
            current = Some(dir);
        }
    }

    /// Counts the entries of `dir`: files with one link straight away, the
    /// rest through `seen`; new subdirectories go to `found`.
    fn list(
        &self,
        dir: &Path,
        bytes: &mut u64,
        shared: &mut Vec<Shared>,
        found: &mut Vec<PathBuf>,
    ) -> io::Result<()> {
        // NOFOLLOW: a directory swapped for a symlink since it was listed is
        // not entered.
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::NOFOLLOW;
        let fd = match rustix::fs::open(dir, flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(e) if vanished(e) => return Ok(()),
            Err(e) => return Err(named(dir, e.into())),
        };
        let mut entries = Dir::new(fd).map_err(|e| named(dir, e.into()))?;
        while let Some(entry) = entries.read() {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) if vanished(e) => break,
                Err(e) => return Err(named(dir, e.into())),
            };
            let name = entry.file_name();
            if name == c"." || name == c".." {
                continue;
            }
            // One fstatat per entry, relative to the listed directory.
            let stat = entries
                .fd()
                .and_then(|fd| rustix::fs::statat(fd, name, AtFlags::SYMLINK_NOFOLLOW));
            let inode = match stat {
                Ok(stat) => Inode::of(&stat),
                Err(e) if vanished(e) => continue,
                Err(e) => {
                    return Err(named(
                        &dir.join(OsStr::from_bytes(name.to_bytes())),
                        e.into(),
                    ));
                }
            };
            if inode.key.0 != self.dev {
                continue; // a mount point: another filesystem's bytes
            }
            let is_dir = inode.kind == FileType::Directory;
            if !is_dir && inode.nlink <= 1 && !self.loose {
                *bytes += inode.bytes;
                continue;
            }
            shared.push(Shared {
                key: inode.key,
                bytes: inode.bytes,
                dir: is_dir.then(|| dir.join(OsStr::from_bytes(name.to_bytes()))),
            });
        }
        if shared.is_empty() {
            return Ok(());
        }
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        for entry in shared.drain(..) {
            // A directory seen before was walked before: skip its subtree.
            if seen.insert(entry.key) {
                *bytes += entry.bytes;
                found.extend(entry.dir);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::{DiskUsage, disk_bytes};
    use super::{Ordering, PEAK_HELPERS, threads};
    use std::fs;
    use std::path::Path;
    use std::process::Command;

    /// `du -sxB1 PATH` (GNU du counts hard links once).
    fn gnu_du(path: &Path) -> u64 {
        let out = Command::new("du").arg("-sxB1").arg(path).output().unwrap();
        assert!(out.status.success(), "{out:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        text.split_whitespace().next().unwrap().parse().unwrap()
    }

    /// Enough directories that helper threads start, with hard links that
    /// cross directories (and threads) and symlinks to the tree's own files.
    fn wide_tree(root: &Path) {
        for d in 0..300 {
            let dir = root.join(format!("d{}/s{d}", d % 7));
            fs::create_dir_all(&dir).unwrap();
            for f in 0..6 {
                fs::write(dir.join(format!("f{f}")), vec![b'x'; 1 + d * 97 + f * 4099]).unwrap();
            }
            if d > 0 {
                let other = root.join(format!("d{}/s{}/f1", (d - 1) % 7, d - 1));
                fs::hard_link(&other, dir.join("link")).unwrap();
                std::os::unix::fs::symlink(&other, dir.join("sym")).unwrap();
            }
        }
    }

    #[test]
    fn a_wide_tree_walked_by_threads_matches_gnu_du() {
        let dir = tempfile::tempdir().unwrap();
        wide_tree(dir.path());
        for _ in 0..3 {
            assert_eq!(disk_bytes(dir.path()).unwrap(), gnu_du(dir.path()));
        }
    }

    /// Eight walks at once on a pool of eight, the layer reads' shape:
    /// helpers start, but all walks together never run more than one big
    /// walk's share; each walk still matches GNU du.
    #[test]
    fn concurrent_walks_share_one_helper_budget() {
        use rayon::prelude::*;
        let dirs: Vec<_> = (0..8)
            .map(|_| {
                let dir = tempfile::tempdir().unwrap();
                wide_tree(dir.path());
                dir
            })
            .collect();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(8)
            .build()
            .unwrap();
        let sums: Vec<u64> = pool.install(|| {
            dirs.par_iter()
                .map(|d| disk_bytes(d.path()).unwrap())
                .collect()
        });
        for (dir, sum) in dirs.iter().zip(sums) {
            assert_eq!(sum, gnu_du(dir.path()));
        }
        let (peak, cap) = (PEAK_HELPERS.load(Ordering::Acquire), threads() - 1);
        assert!(
            peak >= 1,
            "no helper started: the trees are too small to test the cap"
        );
        assert!(
            peak <= cap,
            "{peak} helpers ran at once; the budget is {cap}"
        );
    }

    #[test]
    fn parts_then_the_whole_count_each_inode_once() {
        let dir = tempfile::tempdir().unwrap();
        wide_tree(dir.path());
        let mut du = DiskUsage::new();
        let first = du.add(&dir.path().join("d3")).unwrap();
        assert_eq!(first, gnu_du(&dir.path().join("d3")));
        let file = dir.path().join("d0/s0/f2"); // one link: a "loose" top path
        let second = du.add(&file).unwrap();
        assert!(second > 0);
        let rest = du.add(dir.path()).unwrap();
        assert_eq!(first + second + rest, gnu_du(dir.path()));
        assert_eq!(du.add(dir.path()).unwrap(), 0);
    }
}
