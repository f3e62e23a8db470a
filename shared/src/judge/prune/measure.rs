//! The before/after measurements of a prune: a store root's du (our walker,
//! hard links once, as the judge counts) and its filesystem's free space.

use std::path::Path;

use crate::host::du::disk_bytes;
use crate::host::root::HostRoot;

/// du of a host path; a missing path is 0 (a removed store).
pub fn du(host: &HostRoot, path: &str) -> std::io::Result<u64> {
    let local = host.local(path);
    match std::fs::symlink_metadata(&local) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        _ => disk_bytes(&local),
    }
}

/// Free bytes for unprivileged users on the filesystem holding `path`
/// (statfs `f_bavail × f_frsize`, what `df` shows as Avail). A path that is
/// gone is measured at its nearest existing parent.
pub fn free_bytes(host: &HostRoot, path: &str) -> std::io::Result<u64> {
    let mut local = host.local(path);
    while !local.exists() {
        match local.parent() {
            Some(parent) => local = parent.to_path_buf(),
            None => break,
        }
    }
    let st = rustix::fs::statvfs(Path::new(&local))?;
    Ok(st.f_bavail.saturating_mul(st.f_frsize))
}

/// `after − before` as a signed delta.
pub fn delta(before: u64, after: u64) -> i64 {
    i64::try_from(after as i128 - before as i128).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn du_of_a_missing_path_is_zero_and_free_bytes_walk_up() {
        let dir = tempfile::tempdir().unwrap();
        let host = HostRoot::new(dir.path().canonicalize().unwrap());
        assert_eq!(du(&host, "/gone/store").unwrap(), 0);
        assert!(free_bytes(&host, "/gone/store").unwrap() > 0);
        std::fs::write(dir.path().join("f"), vec![1u8; 8192]).unwrap();
        assert!(du(&host, "/f").unwrap() >= 8192);
        assert_eq!(delta(10, 4), -6);
        assert_eq!(delta(4, 10), 6);
    }
}
