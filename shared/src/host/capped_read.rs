//! Reading one file of the node, bounded.
//!
//! Every file we parse (configs, image metadata, procfs entries) is small on
//! a sane node, but the node is not ours: a config replaced by a 10 GiB log,
//! `/etc/crictl.yaml -> /dev/zero` or a FIFO must end in a clear error, not
//! an exhausted agent pod or a scan that hangs. So only regular files are
//! opened (a FIFO would block `open`), and reading stops one byte past the
//! cap (procfs files report size 0, so the size alone proves nothing).

use std::io::{self, Read};
use std::path::Path;

/// Config files: `crictl.yaml`, `daemon.json`, `config.toml`, k3s's and the kubelet's.
pub const MAX_CONFIG: u64 = 1 << 20;
/// One JSON document of a store: an image config, a container's config.
pub const MAX_JSON: u64 = 4 << 20;
/// A store's index of names (`repositories.json` of a node with many images).
pub const MAX_INDEX: u64 = 64 << 20;
/// A one-line file: a layerdb `diff`, `cache-id` or `size`, `/proc/<pid>/comm`.
pub const MAX_LINE: u64 = 4 << 10;
/// `/proc/<pid>/cmdline` and `environ` (ARG_MAX is 2 MiB by default).
pub const MAX_PROC_ARGS: u64 = 4 << 20;
/// `/proc/<pid>/net/unix`: one line per unix socket of the network namespace.
pub const MAX_NET_UNIX: u64 = 64 << 20;

/// Why a node file was not read although it exists.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NodeFileError {
    #[error(
        "larger than {cap} bytes, far more than such a file ever holds; not read (is it the right file?)"
    )]
    TooLarge { cap: u64 },
    #[error("not a regular file ({kind}); not read")]
    NotRegular { kind: &'static str },
}

/// Reads `local` whole when it is a regular file of at most `cap` bytes.
/// The errors are `io::Error`s (the callers name the path): kind
/// `FileTooLarge` or `InvalidInput`, wrapping a [`NodeFileError`].
pub fn read_capped(local: &Path, cap: u64) -> io::Result<Vec<u8>> {
    let (file, len) = open_capped(local, cap)?;
    read_opened(file, len, cap)
}

/// `local` opened, with its size, when it is a regular file of at most
/// `cap` bytes (errors as [`read_capped`]'s).
pub(crate) fn open_capped(local: &Path, cap: u64) -> io::Result<(std::fs::File, u64)> {
    // Stat before open: opening a FIFO blocks, opening some devices acts.
    let meta = std::fs::metadata(local)?;
    admit(file_kind(&meta.file_type()), meta.len(), cap)?;
    Ok((std::fs::File::open(local)?, meta.len()))
}

/// Refuses what is not a regular file (`kind` is `None` for one) or is
/// larger than `cap`, before it is opened.
pub(crate) fn admit(kind: Option<&'static str>, len: u64, cap: u64) -> io::Result<()> {
    if let Some(kind) = kind {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            NodeFileError::NotRegular { kind },
        ));
    }
    if len > cap {
        return Err(too_large(cap));
    }
    Ok(())
}

/// Reads an admitted file that stat said holds `len` bytes, stopping one
/// byte past `cap`. A file that holds just what stat said costs one `read`
/// (a store scan reads tens of thousands); procfs files say 0 and are read
/// to their end.
pub(crate) fn read_opened(mut file: std::fs::File, len: u64, cap: u64) -> io::Result<Vec<u8>> {
    let mut bytes = vec![0; len.min(cap) as usize + 1];
    let mut filled = 0;
    if len > 0 {
        filled = loop {
            match file.read(&mut bytes) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                read => break read?,
            }
        };
        if filled as u64 == len {
            bytes.truncate(filled);
            return Ok(bytes);
        }
    }
    bytes.truncate(filled);
    file.take(cap + 1 - filled as u64).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(too_large(cap));
    }
    Ok(bytes)
}

fn too_large(cap: u64) -> io::Error {
    io::Error::new(io::ErrorKind::FileTooLarge, NodeFileError::TooLarge { cap })
}

/// [`read_capped`] as text, invalid UTF-8 replaced: for evidence such as
/// procfs entries, where one odd byte must not hide the rest.
pub fn read_capped_lossy(local: &Path, cap: u64) -> io::Result<String> {
    read_capped(local, cap).map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// `None` for a regular file, else what it is, for the error.
pub(crate) fn file_kind(t: &std::fs::FileType) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    if t.is_file() {
        None
    } else if t.is_dir() {
        Some("a directory")
    } else if t.is_fifo() {
        Some("a FIFO")
    } else if t.is_socket() {
        Some("a socket")
    } else if t.is_char_device() || t.is_block_device() {
        Some("a device")
    } else {
        Some("not a file")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_small_files_and_refuses_large_ones_without_reading_them() {
        let dir = tempfile::tempdir().unwrap();
        let small = dir.path().join("small");
        std::fs::write(&small, b"abc").unwrap();
        assert_eq!(read_capped(&small, 3).unwrap(), b"abc");
        // Sparse: a "10 GiB" file costs nothing to make, and is never read.
        let huge = dir.path().join("huge");
        std::fs::File::create(&huge)
            .unwrap()
            .set_len(10 << 30)
            .unwrap();
        let e = read_capped(&huge, MAX_CONFIG).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::FileTooLarge);
        assert!(e.to_string().contains("larger than 1048576 bytes"), "{e}");
        assert!(read_capped(&small, 2).is_err());
    }

    #[test]
    fn procfs_files_of_size_zero_are_bounded_by_what_is_read() {
        // /proc/self/cmdline reports size 0; a cap of 1 byte must still trip.
        let cmdline = Path::new("/proc/self/cmdline");
        assert!(!read_capped(cmdline, MAX_PROC_ARGS).unwrap().is_empty());
        let e = read_capped(cmdline, 1).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::FileTooLarge);
    }

    #[test]
    fn devices_directories_and_fifos_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        testkit::bad_socket::fifo(&fifo);
        for (path, kind) in [
            (fifo.as_path(), "a FIFO"),
            (Path::new("/dev/zero"), "a device"),
            (dir.path(), "a directory"),
        ] {
            let e = read_capped(path, MAX_CONFIG).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{path:?}");
            assert!(e.to_string().contains(kind), "{e}");
        }
        assert_eq!(
            read_capped(&dir.path().join("absent"), 1)
                .unwrap_err()
                .kind(),
            io::ErrorKind::NotFound
        );
    }
}
