//! The node's filesystem as the kubelet sees it, and hostPath volume setup
//! with Kubernetes' type checks (pkg/volume/hostpath): Directory, File,
//! Socket, CharDevice and BlockDevice must exist; DirectoryOrCreate and
//! FileOrCreate create; an unset type checks nothing, and (like
//! containerd's CRI plugin) a missing path is then created as a directory.

use std::io;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

/// Where a node's `/` is.
#[derive(Debug, Clone)]
pub enum NodeRoot {
    /// A lab scenario: its mount namespace, through its holder process.
    Lab { holder: u32 },
    /// A directory on this host.
    Dir(PathBuf),
}

impl NodeRoot {
    /// The node's `/` seen from this host.
    pub fn host_view(&self) -> PathBuf {
        match self {
            NodeRoot::Lab { holder } => PathBuf::from(format!("/proc/{holder}/root")),
            NodeRoot::Dir(d) => d.clone(),
        }
    }

    /// A node path as the sandbox script names it: lab scripts run inside
    /// the node's mount namespace; dir nodes are host directories.
    pub fn script_path(&self, in_node: &Path) -> PathBuf {
        match self {
            NodeRoot::Lab { .. } => in_node.to_path_buf(),
            NodeRoot::Dir(d) => join_in(d, in_node),
        }
    }
}

fn join_in(root: &Path, p: &Path) -> PathBuf {
    root.join(p.strip_prefix("/").unwrap_or(p))
}

/// Resolves `path` inside `root` (symlinks, absolute ones included, stay in
/// the root). A missing tail is kept as written.
pub fn resolve_in_root(root: &Path, path: &str) -> PathBuf {
    let mut todo: Vec<PathBuf> = Path::new(path)
        .components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(PathBuf::from(n)),
            Component::ParentDir => Some(PathBuf::from("..")),
            _ => None,
        })
        .rev()
        .collect();
    let mut cur = PathBuf::from("/");
    let mut hops = 0;
    while let Some(c) = todo.pop() {
        if c.as_os_str() == ".." {
            cur.pop();
            continue;
        }
        let cand = cur.join(&c);
        match std::fs::symlink_metadata(join_in(root, &cand)) {
            Ok(m) if m.file_type().is_symlink() && hops < 40 => {
                hops += 1;
                let target = std::fs::read_link(join_in(root, &cand)).unwrap_or_default();
                if target.is_absolute() {
                    cur = PathBuf::from("/");
                }
                for t in target.components().rev() {
                    match t {
                        Component::Normal(n) => todo.push(PathBuf::from(n)),
                        Component::ParentDir => todo.push(PathBuf::from("..")),
                        _ => {}
                    }
                }
            }
            Ok(_) => cur = cand,
            Err(_) => {
                cur = cand;
                while let Some(rest) = todo.pop() {
                    cur.push(rest);
                }
            }
        }
    }
    cur
}

/// Checks (and creates, for the creating types) a hostPath; returns its
/// resolved path inside the node, or the kubelet's error text.
pub fn setup_host_path(root: &NodeRoot, path: &str, typ: &str) -> Result<PathBuf, String> {
    let view = root.host_view();
    let resolved = resolve_in_root(&view, path);
    let host = join_in(&view, &resolved);
    let meta = std::fs::metadata(&host).ok();
    let ft = meta.as_ref().map(|m| m.file_type());
    let fail = |what: &str| {
        Err(format!(
            "hostPath type check failed: {path} is not a {what}"
        ))
    };
    let mkdir = |p: &Path| -> io::Result<()> {
        std::fs::create_dir_all(p)?;
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755))
    };
    match typ {
        "" => {
            if meta.is_none() {
                mkdir(&host).map_err(|e| format!("mkdir {path}: {e}"))?;
            }
        }
        "DirectoryOrCreate" => {
            if meta.is_none() {
                mkdir(&host).map_err(|e| format!("mkdir {path}: {e}"))?;
            } else if !ft.is_some_and(|f| f.is_dir()) {
                return fail("directory");
            }
        }
        "Directory" if !ft.is_some_and(|f| f.is_dir()) => return fail("directory"),
        "FileOrCreate" => {
            if meta.is_none() {
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .mode(0o644)
                    .open(&host)
                    .map_err(|e| format!("open {path}: {e}"))?;
            } else if !ft.is_some_and(|f| f.is_file()) {
                return fail("file");
            }
        }
        "File" if !ft.is_some_and(|f| f.is_file()) => return fail("file"),
        "Socket" if !ft.is_some_and(|f| f.is_socket()) => return fail("socket file"),
        "CharDevice" if !ft.is_some_and(|f| f.is_char_device()) => return fail("character device"),
        "BlockDevice" if !ft.is_some_and(|f| f.is_block_device()) => return fail("block device"),
        "Directory" | "File" | "Socket" | "CharDevice" | "BlockDevice" => {}
        other => return Err(format!("{other:?} is an invalid volume type")),
    }
    Ok(resolved)
}

/// Whether a node path is a directory (a bind target must match).
pub fn is_dir(root: &NodeRoot, resolved: &Path) -> bool {
    join_in(&root.host_view(), resolved).is_dir()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symlinks_stay_inside_and_types_are_checked() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path();
        std::fs::create_dir_all(root.join("run/docker")).unwrap();
        std::fs::create_dir_all(root.join("var")).unwrap();
        std::os::unix::fs::symlink("/run", root.join("var/run")).unwrap();
        assert_eq!(
            resolve_in_root(root, "/var/run/docker"),
            PathBuf::from("/run/docker")
        );
        assert_eq!(
            resolve_in_root(root, "/var/run/missing/x"),
            PathBuf::from("/run/missing/x")
        );
        let node = NodeRoot::Dir(root.to_path_buf());
        assert!(setup_host_path(&node, "/var/run/docker", "Directory").is_ok());
        assert_eq!(
            setup_host_path(&node, "/var/lib/docker", "Directory").unwrap_err(),
            "hostPath type check failed: /var/lib/docker is not a directory"
        );
        assert!(
            !root.join("var/lib/docker").exists(),
            "Directory must not create"
        );
        assert_eq!(
            setup_host_path(&node, "/run/docker", "Socket").unwrap_err(),
            "hostPath type check failed: /run/docker is not a socket file"
        );
        assert!(setup_host_path(&node, "/var/lib/new", "DirectoryOrCreate").is_ok());
        assert!(root.join("var/lib/new").is_dir());
    }
}
